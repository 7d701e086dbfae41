#pragma once

#include <string>

#include "core/database.hpp"

namespace engagementd {

// How a MySQL/MariaDB connection is made: the TLS mode in force and why.
struct Transport {
  SslMode ssl_mode = SslMode::required;  // never automatic
  // The host to connect to: db.host, or, when no TLS was decided because
  // the name resolves only to loopback addresses, the address it resolved
  // to (so the connection goes where the decision looked, whatever the name
  // resolves to a moment later).
  std::string connect_host;
  // A Unix socket: database.socket, or host "localhost" (which the client
  // library takes as its default socket).
  bool unix_socket = false;
  std::string reason;  // e.g. "127.0.0.1 is a loopback address"
};

// The transport for db. An unset ssl_mode is decided by the address, never
// by the text of the host name: disabled for a Unix socket ("localhost"
// included, which the client library takes as its socket) or a host whose
// addresses are all loopback (127.0.0.0/8, ::1), required for any other
// host or one that does not resolve. Resolves db.host (getaddrinfo) only
// when it is neither an address nor "localhost".
Transport decide_transport(const DatabaseConfig& db);
// Whether text is an IPv4 or IPv6 address in 127.0.0.0/8 or ::1 (IPv4-mapped
// included).
bool is_loopback_address(const std::string& text);

// The TLS mode a connection to db uses and why, e.g. "TLS required
// (db.example.com resolves to 192.0.2.7, not only loopback)"; empty for
// SQLite.
std::string describe_tls(const DatabaseConfig& db);

}  // namespace engagementd
