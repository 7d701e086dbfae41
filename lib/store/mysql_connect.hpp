#pragma once

#include <mysql.h>

#include <memory>
#include <string>

#include "core/database.hpp"

namespace soci {
class session;
}  // namespace soci

namespace engagementd {

struct InfileSource;

// What must be set on a MySQL/MariaDB connection before it connects: the
// TLS mode and files, the authentication methods the client may answer
// (never one that sends the password in clear), and the LOAD DATA LOCAL
// handler (so a server can never have a local file read, not even during
// the connection's own set-up statements).
struct ConnectOptions {
  SslMode ssl_mode = SslMode::disabled;  // effective, never automatic
  bool unix_socket = false;              // the connection goes through a Unix socket
  // The password, given to the client library at the login and nowhere else;
  // null for none. Must outlive the connection attempt.
  const char* password = nullptr;
  std::string ssl_ca, ssl_cert, ssl_key;
  // The LOAD DATA LOCAL INFILE handler and its data, or null for none.
  int (*infile_init)(void**, const char*, void*) = nullptr;
  int (*infile_read)(void*, char*, unsigned int) = nullptr;
  void (*infile_end)(void*) = nullptr;
  int (*infile_error)(void*, char*, unsigned int) = nullptr;
  void* infile_data = nullptr;
};

// The authentication plugins the client may use: the challenge-response
// ones always; those that send the password itself (caching_sha2_password,
// MySQL 8's default, and sha256_password) over TLS or a Unix socket, never
// over plain TCP (where they would encrypt it to a public key the server
// sends, which anyone in the path can replace).
std::string allowed_auth_plugins(SslMode mode, bool unix_socket);

// SOCI's MySQL backend calls mysql_init() and mysql_real_connect() in one
// constructor, with no hook between them. While an ArmConnect lives, the
// next mysql_real_connect() on this thread gets these options first (see
// mysql_connect.cpp).
class ArmConnect {
 public:
  explicit ArmConnect(const ConnectOptions& options);
  ~ArmConnect();
  ArmConnect(const ArmConnect&) = delete;
  ArmConnect& operator=(const ArmConnect&) = delete;
  // Whether a connection attempt took the options (false: they were never
  // applied, and the connection must not be used).
  bool applied() const;
};

// Connects to MariaDB/MySQL with the TLS and authentication options of db
// and, when infile is given, its LOAD DATA LOCAL handler; the store then
// runs its dialect's session_setup.
// Throws soci::soci_error, or std::runtime_error naming the database.
std::unique_ptr<soci::session> connect_mysql(const DatabaseConfig& db, const std::string& password,
                                             InfileSource* infile);

}  // namespace engagementd
