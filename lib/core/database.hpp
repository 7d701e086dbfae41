#pragma once

// The database settings every layer passes around: which server, how to
// reach it. The configuration file fills them (service/config.hpp), the
// store connects with them (store/store.hpp).

#include <chrono>
#include <string>

namespace engagementd {

enum class Backend { mysql, sqlite3 };

// TLS to the MySQL/MariaDB server (database.ssl_mode).
enum class SslMode {
  automatic,        // not set: disabled on a socket or a loopback address, required elsewhere
  disabled,         // plain connection (only when chosen for a remote host)
  required,         // encrypted; the server's certificate is not checked
  verify_ca,        // encrypted, the certificate signed by ssl_ca
  verify_identity,  // and issued to the host connected to
};
const char* ssl_mode_name(SslMode mode);

struct DatabaseConfig {
  Backend backend = Backend::mysql;
  std::string host = "127.0.0.1";
  std::string socket;  // a unix socket replaces host/port when set
  int port = 3306;
  std::string name;
  std::string user;
  std::string password_file;
  // The name of a systemd credential holding the password, read from
  // $CREDENTIALS_DIRECTORY when systemd passes credentials (else
  // password_file is read). Empty: no credential is ever read.
  std::string password_credential;
  std::string path;  // sqlite3 only
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  // Reconnect attempts back off from 1 s, doubling up to this.
  std::chrono::milliseconds reconnect_max{30'000};
  // MariaDB/MySQL: send each tick's changed rows by LOAD DATA LOCAL INFILE
  // (from memory, into temporary tables) instead of multi-row statements.
  bool local_infile = true;
  SslMode ssl_mode = SslMode::automatic;
  std::string ssl_ca;    // PEM file of the CA(s) the server's certificate must chain to
  std::string ssl_cert;  // client certificate and key, for servers that ask for one
  std::string ssl_key;
};

// What the logs may say about the database: never the password.
std::string describe(const DatabaseConfig& db);

}  // namespace engagementd
