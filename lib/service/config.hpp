#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/database.hpp"
#include "core/engagement.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"
#include "core/settings.hpp"
#include "core/shard.hpp"

namespace engagementd {

// The optional HTTP listener for /metrics and /healthz.
struct MetricsConfig {
  bool enabled = setting_on("metrics.enabled");
  // An IP address; loopback unless chosen otherwise.
  std::string listen = setting_text("metrics.listen");
  int port = static_cast<int>(setting_whole("metrics.port"));  // 0: any free port

  bool operator==(const MetricsConfig& o) const {
    return enabled == o.enabled && listen == o.listen && port == o.port;
  }
  bool operator!=(const MetricsConfig& o) const { return !(*this == o); }
};

struct Config {
  std::string source;  // the file it came from, for messages
  DatabaseConfig database;
  std::chrono::milliseconds tick_interval{setting_ms("tick.interval")};
  std::chrono::milliseconds max_catchup{setting_ms("tick.max_catchup")};
  // Keep the live streams in memory between ticks, reading only what
  // changed (TickSettings::cache).
  bool tick_cache = setting_on("tick.cache");
  bool simulation_enabled = setting_on("simulation.enabled");
  std::chrono::milliseconds real_viewer_ttl{setting_ms("simulation.real_viewer_ttl")};
  // The real-viewer sweep: every live stream's open sessions are recounted
  // at least this often (a closed tab stops counting within TTL + sweep +
  // one tick); unset: real_viewer_sweep_for() picks TTL/4.
  std::optional<std::chrono::milliseconds> real_viewer_sweep;
  // Mean watch time of a simulated viewer, unless the global setting
  // sim_watch_minutes gives one.
  std::chrono::milliseconds watch_time{setting_ms("simulation.watch_time")};
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
inline constexpr std::chrono::milliseconds kMinTickInterval{setting("tick.interval").min};
inline constexpr std::chrono::milliseconds kMaxTickInterval{setting("tick.interval").max};

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


}  // namespace engagementd
