#include "store/transport.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <vector>

namespace engagementd {

bool is_loopback_address(const std::string& text) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(text, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

Transport decide_transport(const DatabaseConfig& db) {
  Transport t;
  t.connect_host = db.host;
  t.unix_socket = !db.socket.empty() || db.host == "localhost";
  if (db.ssl_mode != SslMode::automatic) {
    t.ssl_mode = db.ssl_mode;
    t.reason = "database.ssl_mode";
    return t;
  }
  // A CA given means the certificate is to be checked; a client
  // certificate, that the connection is to be encrypted.
  if (!db.ssl_ca.empty()) {
    t.ssl_mode = SslMode::verify_identity;
    t.reason = "database.ssl_ca is set";
    return t;
  }
  if (!db.ssl_cert.empty()) {
    t.ssl_mode = SslMode::required;
    t.reason = "database.ssl_cert is set";
    return t;
  }
  // The password crosses a network unless the connection stays on this
  // host: decided by where it goes, never by what the name looks like
  // (127.db.example.com is a name like any other).
  t.ssl_mode = SslMode::disabled;
  if (!db.socket.empty()) {
    t.reason = "a Unix socket";
    return t;
  }
  if (db.host == "localhost") {
    t.reason = "localhost: the client library connects through its Unix socket";
    return t;
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(db.host, ec);
  if (!ec) {
    const bool loopback = is_loopback_address(db.host);
    t.ssl_mode = loopback ? SslMode::disabled : SslMode::required;
    t.reason = db.host + (loopback ? " is a loopback address" : " is not a loopback address");
    return t;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(db.host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    t.ssl_mode = SslMode::required;
    t.reason = "cannot resolve " + db.host + " (" + ::gai_strerror(rc) + "), so not loopback";
    return t;
  }
  std::vector<std::string> addresses;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
        ::inet_ntop(a->ai_family, raw, text, sizeof text) != nullptr &&
        std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
      addresses.emplace_back(text);
    }
  }
  ::freeaddrinfo(found);
  std::string list;
  for (const std::string& a : addresses) list += (list.empty() ? "" : ", ") + a;
  const bool all_loopback =
      !addresses.empty() && std::all_of(addresses.begin(), addresses.end(), is_loopback_address);
  if (all_loopback) {
    t.connect_host = addresses.front();
    t.reason = db.host + " resolves only to loopback (" + list + ")";
  } else {
    t.ssl_mode = SslMode::required;
    t.reason =
        db.host + " resolves to " + (list.empty() ? "no IP address" : list) + ", not only loopback";
  }
  return t;
}

std::string describe_tls(const DatabaseConfig& db) {
  if (db.backend != Backend::mysql) return {};
  const Transport t = decide_transport(db);
  return std::string("TLS ") + ssl_mode_name(t.ssl_mode) + " (" + t.reason + ")";
}

}  // namespace engagementd
