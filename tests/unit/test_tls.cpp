// TLS settings and what the client sends a server that asks for the
// password in clear: a fake server on loopback that speaks just enough of
// the MySQL protocol to ask, and records every byte it receives.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <thread>

#include "service/config.hpp"
#include "store/mysql_connect.hpp"
#include "store/store.hpp"

using namespace engagementd;

namespace {

Config parse(const std::string& database_lines) {
  return parse_config("database:\n  backend: mysql\n  name: shop\n  user: u\n" + database_lines,
                      "test.yaml");
}

std::string only_problem(const std::string& database_lines) {
  try {
    parse(database_lines);
  } catch (const ConfigError& e) {
    REQUIRE(e.problems().size() == 1);
    return e.problems()[0];
  }
  FAIL("expected a config error");
  return {};
}

// One packet: 3-byte length, sequence number, payload.
std::string packet(unsigned char seq, const std::string& payload) {
  std::string p;
  p += static_cast<char>(payload.size() & 0xff);
  p += static_cast<char>((payload.size() >> 8) & 0xff);
  p += static_cast<char>((payload.size() >> 16) & 0xff);
  p += static_cast<char>(seq);
  return p + payload;
}

// A server greeting (protocol 10) that names `plugin` as its default
// authentication method, without TLS.
std::string greeting(const std::string& plugin) {
  std::string g;
  g += '\x0a';
  g += std::string("5.5.5-10.11.0-fake") + '\0';
  g += std::string("\x01\x00\x00\x00", 4);  // connection id
  g += "abcdefgh";                          // scramble, first part
  g += '\0';
  const unsigned caps = 0x0001 | 0x0008 | 0x0200 | 0x2000 | 0x8000 | 0x20000 | 0x80000;
  g += static_cast<char>(caps & 0xff);
  g += static_cast<char>((caps >> 8) & 0xff);
  g += '\x21';                      // utf8 collation
  g += std::string("\x02\x00", 2);  // status: autocommit
  g += static_cast<char>((caps >> 16) & 0xff);
  g += static_cast<char>((caps >> 24) & 0xff);
  g += static_cast<char>(21);               // scramble length
  g += std::string(10, '\0');               // reserved
  g += std::string("ijklmnopqrst") + '\0';  // scramble, second part
  g += plugin + '\0';
  return g;
}

// Listens on 127.0.0.1, greets one client naming `plugin`, answers its first
// packet with an authentication switch to mysql_clear_password, and keeps
// what the client sent.
class FakeServer {
 public:
  explicit FakeServer(std::string plugin) : plugin_(std::move(plugin)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(fd_, 1) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  // Everything the client sent (after the client gave up).
  std::string received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  // Reads what arrives within 2 s of the last byte; false when the client
  // closed the connection.
  bool read_some(int c) {
    pollfd p{c, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return true;
    char buf[4096];
    const ssize_t n = ::read(c, buf, sizeof buf);
    if (n <= 0) return false;
    received_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  void serve() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    const std::string hello = packet(0, greeting(plugin_));
    if (::write(c, hello.data(), hello.size()) == static_cast<ssize_t>(hello.size()) &&
        read_some(c) && !received_.empty()) {
      // Whatever the client answered: switch to the clear-text method.
      const std::string ask =
          packet(2, std::string("\xfe") + "mysql_clear_password" + '\0' + "abcdefghijklmnopqrst");
      if (::write(c, ask.data(), ask.size()) == static_cast<ssize_t>(ask.size())) read_some(c);
    }
    ::close(c);
  }

  std::string plugin_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string received_;
};

}  // namespace

TEST_CASE("database.ssl_mode: its values, what it needs, and the default by host") {
  CHECK(parse("  host: 127.0.0.1\n").database.effective_ssl_mode() == SslMode::disabled);
  CHECK(parse("  host: localhost\n").database.effective_ssl_mode() == SslMode::disabled);
  CHECK(parse("  socket: /run/mysqld/mysqld.sock\n").database.effective_ssl_mode() ==
        SslMode::disabled);
  // Another host: encrypted unless disabled is chosen explicitly.
  CHECK(parse("  host: db.internal\n").database.effective_ssl_mode() == SslMode::required);
  CHECK(parse("  host: db.internal\n  ssl_mode: disabled\n").database.effective_ssl_mode() ==
        SslMode::disabled);
  CHECK(parse("  host: 127.0.0.1\n  ssl_mode: required\n").database.effective_ssl_mode() ==
        SslMode::required);
  CHECK(parse("  ssl_mode: verify_identity\n  ssl_ca: /etc/hostname\n")
            .database.effective_ssl_mode() == SslMode::verify_identity);
  // A CA given and no mode: the certificate is checked, name included.
  CHECK(parse("  host: db.internal\n  ssl_ca: /etc/hostname\n").database.effective_ssl_mode() ==
        SslMode::verify_identity);
  CHECK_THAT(only_problem("  ssl_mode: verify_ca\n"), Catch::Contains("needs ssl_ca"));
  CHECK_THAT(only_problem("  ssl_mode: sometimes\n"),
             Catch::Contains("test.yaml:5") && Catch::Contains("not disabled, required"));
  CHECK_THAT(only_problem("  ssl_mode: required\n  ssl_ca: /nonexistent/ca.pem\n"),
             Catch::Contains("cannot read '/nonexistent/ca.pem'"));
  CHECK_THAT(only_problem("  ssl_cert: /etc/hostname\n"),
             Catch::Contains("ssl_cert and ssl_key go together"));
  CHECK(parse("  ssl_cert: /etc/hostname\n  ssl_key: /etc/hostname\n")
            .database.effective_ssl_mode() == SslMode::required);
  CHECK_THAT(only_problem("  ssl_mode: disabled\n  ssl_ca: /etc/hostname\n"),
             Catch::Contains("choose one"));
}

TEST_CASE("the client answers only challenge-response methods unless the server is verified") {
  for (const SslMode m : {SslMode::disabled, SslMode::required}) {
    CHECK(allowed_auth_plugins(m) == "mysql_native_password,client_ed25519");
  }
  for (const SslMode m : {SslMode::verify_ca, SslMode::verify_identity}) {
    CHECK_THAT(allowed_auth_plugins(m), Catch::Contains("caching_sha2_password"));
  }
  for (const SslMode m :
       {SslMode::disabled, SslMode::required, SslMode::verify_ca, SslMode::verify_identity}) {
    CHECK_THAT(allowed_auth_plugins(m), !Catch::Contains("clear") && !Catch::Contains("dialog"));
  }
}

TEST_CASE("a server that asks for the password in clear gets nothing of it") {
  const std::string password = "s3cret-Password-9f2c";
  for (const std::string plugin : {"mysql_clear_password", "mysql_native_password"}) {
    INFO("the server's greeting names " << plugin << ", then asks for mysql_clear_password");
    FakeServer server(plugin);
    DatabaseConfig db;
    db.backend = Backend::mysql;
    db.host = "127.0.0.1";
    db.port = server.port();
    db.name = "shop";
    db.user = "engagementd";
    db.connect_timeout = std::chrono::seconds(5);
    db.read_timeout = std::chrono::seconds(5);
    CHECK_THROWS_WITH(Store::open(db, password), Catch::Contains("cannot connect"));
    const std::string got = server.received();
    CHECK(got.find(password) == std::string::npos);
    if (plugin == "mysql_native_password") {
      // The client answered the greeting (its user name is there), then
      // refused the switch to the clear-text method.
      CHECK(got.find("engagementd") != std::string::npos);
    }
  }
}
