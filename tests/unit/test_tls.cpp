// TLS settings and what the client sends a server that asks for the
// password in clear: a fake server on loopback that speaks just enough of
// the MySQL protocol to ask, and records every byte it receives.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <soci/soci.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "service/config.hpp"
#include "store/mysql_connect.hpp"
#include "store/store.hpp"
#include "store/transport.hpp"

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

// A server greeting (protocol 10) of server `version` that names `plugin`
// as its default authentication method, with capabilities `caps`.
std::string greeting(const std::string& plugin, unsigned caps,
                     const std::string& version = "5.5.5-10.11.0-fake") {
  std::string g;
  g += '\x0a';
  g += version + '\0';
  g += std::string("\x01\x00\x00\x00", 4);  // connection id
  g += "abcdefgh";                          // scramble, first part
  g += '\0';
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

// A MariaDB 10.11's capabilities, with TLS or without.
unsigned mariadb_caps(bool offer_tls) {
  return 0x0001 | 0x0008 | 0x0200 | 0x2000 | 0x8000 | 0x20000 | 0x80000 |
         (offer_tls ? 0x0800u : 0u);
}

// Listens on 127.0.0.1, greets one client naming `plugin`, answers its first
// packet with an authentication switch to mysql_clear_password, and keeps
// what the client sent.
class FakeServer {
 public:
  // On 127.0.0.1, or on every address (to stand for a remote host); its
  // greeting offers TLS or not (it cannot speak it).
  explicit FakeServer(std::string plugin, bool any_address = false, bool offer_tls = false)
      : plugin_(std::move(plugin)), offer_tls_(offer_tls) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(any_address ? INADDR_ANY : INADDR_LOOPBACK);
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
    const std::string hello = packet(0, greeting(plugin_, mariadb_caps(offer_tls_)));
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
  bool offer_tls_ = false;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string received_;
};

SslMode mode_of(const std::string& database_lines) {
  return decide_transport(parse(database_lines).database).ssl_mode;
}

}  // namespace

TEST_CASE("database.ssl_mode: its values, what it needs, and the default by address") {
  // Loopback addresses, written as addresses: no TLS unless asked for.
  for (const char* host : {"127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"}) {
    INFO(host);
    CHECK(mode_of(std::string("  host: \"") + host + "\"\n") == SslMode::disabled);
    CHECK(
        decide_transport(parse(std::string("  host: \"") + host + "\"\n").database).connect_host ==
        host);
  }
  CHECK(mode_of("  host: localhost\n") == SslMode::disabled);  // the client library's socket
  CHECK(mode_of("  socket: /run/mysqld/mysqld.sock\n") == SslMode::disabled);
  // Any other address, or a name that does not resolve: encrypted unless
  // disabled is chosen explicitly.
  for (const char* host : {"10.1.2.3", "192.0.2.1", "::2", "fd00::1", "128.0.0.1",
                           "127.db.example.invalid", "db.internal.invalid"}) {
    INFO(host);
    CHECK(mode_of(std::string("  host: \"") + host + "\"\n") == SslMode::required);
  }
  CHECK(mode_of("  host: db.internal\n  ssl_mode: disabled\n") == SslMode::disabled);
  CHECK(mode_of("  host: 127.0.0.1\n  ssl_mode: required\n") == SslMode::required);
  CHECK(mode_of("  ssl_mode: verify_identity\n  ssl_ca: /etc/hostname\n") ==
        SslMode::verify_identity);
  // A CA given and no mode: the certificate is checked, name included.
  CHECK(mode_of("  host: db.internal\n  ssl_ca: /etc/hostname\n") == SslMode::verify_identity);
  CHECK_THAT(only_problem("  ssl_mode: verify_ca\n"), Catch::Contains("needs ssl_ca"));
  CHECK_THAT(only_problem("  ssl_mode: sometimes\n"),
             Catch::Contains("test.yaml:5") && Catch::Contains("not disabled, required"));
  CHECK_THAT(only_problem("  ssl_mode: required\n  ssl_ca: /nonexistent/ca.pem\n"),
             Catch::Contains("cannot read '/nonexistent/ca.pem'"));
  CHECK_THAT(only_problem("  ssl_cert: /etc/hostname\n"),
             Catch::Contains("ssl_cert and ssl_key go together"));
  CHECK(mode_of("  ssl_cert: /etc/hostname\n  ssl_key: /etc/hostname\n") == SslMode::required);
  CHECK_THAT(only_problem("  ssl_mode: disabled\n  ssl_ca: /etc/hostname\n"),
             Catch::Contains("choose one"));
}

TEST_CASE("the methods that send the password go only over TLS or a Unix socket") {
  // Plain TCP: challenge-response only.
  CHECK(allowed_auth_plugins(SslMode::disabled, false) == "mysql_native_password,client_ed25519");
  for (const SslMode m : {SslMode::required, SslMode::verify_ca, SslMode::verify_identity}) {
    for (const bool socket : {false, true}) {
      CHECK_THAT(allowed_auth_plugins(m, socket),
                 Catch::Contains("caching_sha2_password") && Catch::Contains("sha256_password"));
    }
  }
  CHECK_THAT(allowed_auth_plugins(SslMode::disabled, true),
             Catch::Contains("caching_sha2_password"));
  for (const SslMode m :
       {SslMode::disabled, SslMode::required, SslMode::verify_ca, SslMode::verify_identity}) {
    for (const bool socket : {false, true}) {
      CHECK_THAT(allowed_auth_plugins(m, socket),
                 !Catch::Contains("clear") && !Catch::Contains("dialog"));
    }
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

namespace {

// Runs body in a child process whose /etc/hosts is `hosts` (a private mount
// namespace: the machine's own file is untouched), and returns what body
// returned; a failure to set that up is a test failure, not a skip (the
// tests run as root).
std::string with_hosts_file(const std::string& hosts, const std::function<std::string()>& body) {
  const auto file =
      std::filesystem::temp_directory_path() / ("engagementd-hosts-" + std::to_string(::getpid()));
  std::ofstream(file) << hosts;
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(out[0]);
    std::string result;
    if (::unshare(CLONE_NEWNS) != 0) {
      result = std::string("setup: unshare(CLONE_NEWNS): ") + std::strerror(errno);
    } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
               ::mount(file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) {
      result = std::string("setup: bind-mounting a hosts file: ") + std::strerror(errno);
    } else {
      try {
        result = body();
      } catch (const std::exception& e) {
        result = std::string("exception: ") + e.what();
      }
    }
    const ssize_t ignored = ::write(out[1], result.data(), result.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(out[1]);
  std::string result;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) result.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::filesystem::remove(file);
  REQUIRE(WIFEXITED(status));
  REQUIRE_THAT(result, !Catch::StartsWith("setup: "));
  return result;
}

std::string transport_text(const std::string& host) {
  DatabaseConfig db;
  db.host = host;
  const Transport t = decide_transport(db);
  return std::string(ssl_mode_name(t.ssl_mode)) + " " + t.connect_host + " | " + t.reason;
}

// An IPv4 address of this machine that is not loopback: a connection to
// it stands for one to another host.
std::string non_loopback_address() {
  ifaddrs* list = nullptr;
  REQUIRE(::getifaddrs(&list) == 0);
  std::string found;
  for (const ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, text,
                sizeof text);
    found = text;
  }
  ::freeifaddrs(list);
  if (found.empty())
    FAIL("this machine has no IPv4 address besides loopback to stand for a remote host");
  return found;
}

}  // namespace

TEST_CASE("an unset ssl_mode is decided by the addresses a name resolves to, not by its text") {
  const std::string hosts =
      "198.51.100.7 127.db.example.test\n"
      "127.0.0.5 db.loopback.test\n"
      "::1 db.loopback.test\n"
      "127.0.0.1 mixed.example.test\n"
      "198.51.100.8 mixed.example.test\n";
  const std::string got = with_hosts_file(hosts, [] {
    return transport_text("127.db.example.test") + "\n" + transport_text("db.loopback.test") +
           "\n" + transport_text("mixed.example.test") + "\n";
  });
  INFO(got);
  // A name that only looks like loopback: TLS.
  CHECK_THAT(got, Catch::Contains("required 127.db.example.test | 127.db.example.test resolves "
                                  "to 198.51.100.7, not only loopback"));
  // A name whose every address is loopback: no TLS, and the connection goes
  // to the address that was checked.
  CHECK_THAT(got, (Catch::Contains("disabled 127.0.0.5 | db.loopback.test resolves only to "
                                   "loopback (127.0.0.5, ::1)") ||
                   Catch::Contains("disabled ::1 | db.loopback.test resolves only to "
                                   "loopback (::1, 127.0.0.5)")));
  CHECK_THAT(got, Catch::Contains("required mixed.example.test |"));
}

TEST_CASE("127.db.example.test gets TLS by default: the client never logs in in clear") {
  // The fake server listens on every address and offers TLS (which it
  // cannot speak); the name resolves (through a private hosts file) to this
  // machine's own non-loopback address, i.e. to another host as far as the
  // client knows.
  const std::string password = "s3cret-Password-9f2c";
  const std::string remote = non_loopback_address();
  for (const std::string name : {"127.db.example.test", "db.loopback.test"}) {
    const bool looks_remote = name == "127.db.example.test";
    INFO(name << " resolves to " << (looks_remote ? remote : "127.0.0.1"));
    FakeServer server("mysql_native_password", true, true);
    const std::string hosts = (looks_remote ? remote : "127.0.0.1") + " " + name + "\n";
    const int port = server.port();
    const std::string error = with_hosts_file(hosts, [&] {
      DatabaseConfig db;
      db.backend = Backend::mysql;
      db.host = name;
      db.port = port;
      db.name = "shop";
      db.user = "engagementd";
      db.connect_timeout = std::chrono::seconds(5);
      db.read_timeout = std::chrono::seconds(5);
      Store::open(db, password);
      return std::string("connected");
    });
    const std::string got = server.received();
    CHECK_THAT(error, Catch::Contains("cannot connect"));
    CHECK(got.find(password) == std::string::npos);
    if (looks_remote) {
      // TLS: the client's first packet asks for it (32 bytes, no user name)
      // and a TLS handshake record follows.
      REQUIRE(got.size() > 36);
      CHECK(got.substr(0, 4) == std::string("\x20\x00\x00\x01", 4));
      CHECK(got[36] == '\x16');
      CHECK(got.find("engagementd") == std::string::npos);
    } else {
      // Loopback: the login went in clear (then the switch to the clear-text
      // method was refused, as for any server).
      CHECK(got.find("engagementd") != std::string::npos);
    }
  }
}

namespace {

// The payloads of the packets in a byte stream (as far as it is whole).
std::vector<std::string> payloads(const std::string& bytes) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at + 4 <= bytes.size()) {
    const std::size_t len = static_cast<unsigned char>(bytes[at]) |
                            static_cast<unsigned char>(bytes[at + 1]) << 8 |
                            static_cast<unsigned char>(bytes[at + 2]) << 16;
    if (at + 4 + len > bytes.size()) break;
    out.push_back(bytes.substr(at + 4, len));
    at += 4 + len;
  }
  return out;
}

// A server that logs in like MySQL 8.4 with an account of
// caching_sha2_password: the greeting names that method; whatever the
// client first answers, it is switched to it; the fast path is refused
// ("perform full authentication", as after a restart of the server, whose
// cache is then empty), so the client must send the password itself, over a
// secure transport, or ask for the server's RSA key to encrypt it to. It
// accepts the password it expects, then answers every command with OK.
class Mysql84Server {
 public:
  // On 127.0.0.1 (socket_path empty) or on a Unix socket at socket_path.
  Mysql84Server(std::string password, std::string socket_path)
      : password_(std::move(password)), socket_path_(std::move(socket_path)) {
    if (socket_path_.empty()) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      REQUIRE(fd_ >= 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
      socklen_t len = sizeof addr;
      REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
      port_ = ntohs(addr.sin_port);
    } else {
      fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
      REQUIRE(fd_ >= 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      REQUIRE(socket_path_.size() < sizeof addr.sun_path);
      std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
      ::unlink(socket_path_.c_str());
      REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    REQUIRE(::listen(fd_, 1) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~Mysql84Server() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  }
  int port() const { return port_; }
  // After the client is gone: what it sent, and what came of the login.
  std::string received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }
  bool logged_in() {
    received();
    return logged_in_;
  }
  bool asked_for_public_key() {
    received();
    return asked_for_key_;
  }

 private:
  static constexpr unsigned kCaps =
      0x0001 | 0x0004 | 0x0008 | 0x0200 | 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x200000;

  bool send(int c, unsigned char seq, const std::string& payload) {
    const std::string p = packet(seq, payload);
    return ::write(c, p.data(), p.size()) == static_cast<ssize_t>(p.size());
  }
  // The next whole packet from the client (its payload and sequence number),
  // or false when it closed or went quiet for 5 s.
  bool next(int c, std::string& payload, unsigned char& seq) {
    for (;;) {
      const auto whole = payloads(pending_);
      if (!whole.empty()) {
        payload = whole.front();
        seq = static_cast<unsigned char>(pending_[3]);
        pending_.erase(0, 4 + payload.size());
        return true;
      }
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) return false;
      received_.append(buf, static_cast<std::size_t>(n));
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }
  static std::string ok() { return std::string("\x00\x00\x00\x02\x00\x00\x00", 7); }

  void serve() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    login(c);
    if (logged_in_) {
      // Every command gets OK, until the client quits.
      std::string payload;
      unsigned char seq = 0;
      while (next(c, payload, seq) && !payload.empty() && payload[0] != '\x01') send(c, 1, ok());
    }
    ::close(c);
  }
  void login(int c) {
    std::string payload;
    unsigned char seq = 0;
    if (!send(c, 0, greeting("caching_sha2_password", kCaps, "8.4.3")) || !next(c, payload, seq)) {
      return;
    }
    // The client's login packet names the method it answered with.
    if (payload.find(std::string("caching_sha2_password") + '\0') == std::string::npos) {
      // Switch to the account's method, with a fresh scramble.
      if (!send(c, seq + 1,
                std::string("\xfe") + "caching_sha2_password" + '\0' + "abcdefghijklmnopqrst" +
                    '\0') ||
          !next(c, payload, seq)) {
        return;
      }
    }
    // The fast path's answer (a 32-byte hash): not in the cache.
    if (!send(c, seq + 1, std::string("\x01\x04", 2))) return;
    while (next(c, payload, seq)) {
      if (payload == std::string("\x02", 1)) {
        // A request for the RSA public key: never answered with one here.
        asked_for_key_ = true;
        send(c, seq + 1, std::string("\xff\x15\x04#28000Access denied", 22));
        return;
      }
      if (payload == password_ + '\0') {
        logged_in_ = send(c, seq + 1, ok());
        return;
      }
      send(c, seq + 1, std::string("\xff\x15\x04#28000Access denied", 22));
      return;
    }
  }

  std::string password_;
  std::string socket_path_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string received_, pending_;
  bool logged_in_ = false;
  bool asked_for_key_ = false;
};

DatabaseConfig mysql84_account() {
  DatabaseConfig db;
  db.backend = Backend::mysql;
  db.name = "shop";
  db.user = "engagementd";
  db.connect_timeout = std::chrono::seconds(5);
  db.read_timeout = std::chrono::seconds(5);
  return db;
}

}  // namespace

TEST_CASE("a MySQL 8.4 caching_sha2_password account logs in over a Unix socket") {
  const std::string password = "s3cret-Password-9f2c";
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("engagementd-mysql84-" + std::to_string(::getpid()) + ".sock"))
                               .string();
  Mysql84Server server(password, path);
  DatabaseConfig db = mysql84_account();
  db.socket = path;
  REQUIRE(decide_transport(db).ssl_mode == SslMode::disabled);
  {
    const auto session = connect_mysql(db, password, nullptr);
    CHECK(session != nullptr);
  }
  CHECK(server.logged_in());
  CHECK_FALSE(server.asked_for_public_key());
}

TEST_CASE("a MySQL 8.4 caching_sha2_password account is refused over plain TCP, password unsent") {
  const std::string password = "s3cret-Password-9f2c";
  // disabled: plain TCP by choice. required: TLS asked for, but the server
  // (or someone in the path) leaves it out of the greeting, and the client
  // library would go on without it.
  for (const SslMode mode : {SslMode::automatic, SslMode::required}) {
    INFO("ssl_mode " << ssl_mode_name(mode));
    Mysql84Server server(password, "");
    DatabaseConfig db = mysql84_account();
    db.host = "127.0.0.1";
    db.port = server.port();
    db.ssl_mode = mode;
    CHECK_THROWS_WITH(Store::open(db, password), Catch::Contains("cannot connect") &&
                                                     Catch::Contains("caching_sha2_password"));
    const std::string got = server.received();
    CHECK_FALSE(server.logged_in());
    // Neither the password nor a request for the key to encrypt it to.
    CHECK(got.find(password) == std::string::npos);
    CHECK_FALSE(server.asked_for_public_key());
    for (const std::string& p : payloads(got)) CHECK(p != std::string("\x02", 1));
  }
}
