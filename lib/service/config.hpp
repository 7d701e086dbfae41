#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/engagement.hpp"
#include "core/secret.hpp"
#include "service/log.hpp"

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

// The optional HTTP listener for /metrics and /healthz.
struct MetricsConfig {
  bool enabled = false;
  std::string listen = "127.0.0.1";  // an IP address; loopback unless chosen otherwise
  int port = 9477;                   // 0: any free port (the log says which)

  bool operator==(const MetricsConfig& o) const {
    return enabled == o.enabled && listen == o.listen && port == o.port;
  }
  bool operator!=(const MetricsConfig& o) const { return !(*this == o); }
};

// This instance's part of the streams: those whose id hashes to index
// (store/shard_hash.hpp), each part with its own leadership lease
// (engagementd_leader.shard = index).
struct Shard {
  int index = 0;
  int count = 1;
  // shard.index: auto (or left out with count > 1): the instance claims
  // free shards itself, its fair part of them (tick/shard_pool.hpp).
  bool automatic = false;

  bool operator==(const Shard& o) const {
    return index == o.index && count == o.count && automatic == o.automatic;
  }
  bool operator!=(const Shard& o) const { return !(*this == o); }
};

inline constexpr int kMaxShards = 1024;

struct Config {
  std::string source;  // the file it came from, for messages
  DatabaseConfig database;
  std::chrono::milliseconds tick_interval{5'000};
  std::chrono::milliseconds max_catchup{60'000};
  // Keep the live streams in memory between ticks, reading only what
  // changed (TickSettings::cache).
  bool tick_cache = true;
  bool simulation_enabled = true;
  std::chrono::milliseconds real_viewer_ttl{60'000};
  // The real-viewer sweep: every live stream's open sessions are recounted
  // at least this often (a closed tab stops counting within TTL + sweep +
  // one tick); unset: real_viewer_sweep_for() picks TTL/4.
  std::optional<std::chrono::milliseconds> real_viewer_sweep;
  // Mean watch time of a simulated viewer, unless the global setting
  // sim_watch_minutes gives one.
  std::chrono::milliseconds watch_time{static_cast<std::int64_t>(kDefaultWatchMinutes * 60'000)};
  std::optional<std::uint64_t> seed;
  LogLevel log_level = LogLevel::info;
  // Leadership lease; unset: lease_for() picks max(15 s, 3 x tick interval).
  std::optional<std::chrono::milliseconds> lease;
  MetricsConfig metrics;
  Shard shard;
};

// The leadership lease in effect for a config.
std::chrono::milliseconds lease_for(const Config& c);
// simulation.real_viewer_sweep, or TTL/4 (at least a second).
std::chrono::milliseconds real_viewer_sweep_for(const Config& c);

// Settings that only take effect at a restart and differ between a and b,
// by key (e.g. "database.host"), for a reload to report.
std::vector<std::string> restart_needed(const Config& a, const Config& b);

// Limits, checked at load.
inline constexpr std::chrono::milliseconds kMinTickInterval{100};
inline constexpr std::chrono::milliseconds kMaxTickInterval{3'600'000};

// Every problem found, each as "file:line:col: key: what is wrong".
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

Config load_config(const std::string& path);
Config parse_config(const std::string& text, const std::string& source);

// The database password: from the systemd credential named by
// password_credential if the config names one and $CREDENTIALS_DIRECTORY is
// set (a credential the config does not name is never read), else from
// password_file, else empty (e.g. unix_socket authentication). A trailing
// newline is not part of it. Read afresh for every connection and wiped
// from memory when the Secret goes. Throws std::runtime_error naming the
// file, never the content.
Secret read_password(const DatabaseConfig& db);
// Where read_password takes it from, for the log ("password_file PATH",
// "the systemd credential NAME", "no password").
std::string password_source(const DatabaseConfig& db);

// Warnings about file modes: the password file must not be readable, nor
// the config file writable, by other users. One line per problem.
std::vector<std::string> permission_warnings(const Config& c);

// The PHP kit's buyer page polls (and so keeps the heartbeat) every 5 to
// 15 s; a real viewer must stay counted across at least two polls.
inline constexpr std::chrono::seconds kKitPollMax{15};
// Settings that are valid but likely wrong (simulation.real_viewer_ttl
// below twice the kit's poll interval). One line per problem; check-config,
// run and doctor say them.
std::vector<std::string> setting_warnings(const Config& c);

// What the logs may say about the database: never the password.
std::string describe(const DatabaseConfig& db);
// The TLS mode a connection to db uses and why, e.g. "TLS required
// (db.example.com resolves to 192.0.2.7, not only loopback)"; empty for
// SQLite.
std::string describe_tls(const DatabaseConfig& db);

}  // namespace engagementd
