#pragma once

// Every key of the YAML configuration, once: its path, type, default,
// range and meaning. The parser (service/config.cpp) takes each key's
// range and default from here, Config and TickSettings their defaults,
// `engagementd check-config --settings` prints it, and README.md's settings
// table is this table (tests/unit/test_settings.cpp compares them).
//
// To add a setting: a row here, a field with its default from here
// (setting_ms, setting_whole, setting_on), its handler in the parser's
// section, and the row printed by check-config --settings into README.md.

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace engagementd {

enum class SettingType {
  text,      // a string (a name, a path, an address)
  choice,    // one of the words the meaning lists
  boolean,   // true/false (yes/no, on/off)
  whole,     // a whole number in min..max
  duration,  // ms, s, m or h, in min..max milliseconds
};

struct SettingSpec {
  std::string_view path;  // the YAML path, e.g. "tick.interval"
  SettingType type;
  // The default as the YAML would write it ("" none: unset; otherwise a
  // word for what happens unset, e.g. "random").
  std::string_view default_text;
  // The default as a number: milliseconds for a duration, 0/1 for a
  // boolean, the number for a whole one (0 where none).
  std::int64_t default_value;
  // The range, both ends included (whole: the numbers; duration:
  // milliseconds); min > max: no range.
  std::int64_t min;
  std::int64_t max;
  std::string_view meaning;  // one line, as README.md shows it
};

inline constexpr std::int64_t kNoRange = -1;  // min and max of a setting without a range

// clang-format off
inline constexpr std::array<SettingSpec, 33> kSettings = {{
    {"database.backend", SettingType::choice, "mysql", 0, 0, kNoRange,
     "`mysql` (MariaDB or MySQL) or `sqlite3` (embedded, for trying it out)"},
    {"database.host", SettingType::text, "127.0.0.1", 0, 0, kNoRange,
     "TCP address of the server"},
    {"database.port", SettingType::whole, "3306", 3306, 1, 65535,
     "TCP port of the server"},
    {"database.socket", SettingType::text, "", 0, 0, kNoRange,
     "unix socket; replaces host and port"},
    {"database.name", SettingType::text, "", 0, 0, kNoRange,
     "the site's database (required for mysql)"},
    {"database.user", SettingType::text, "", 0, 0, kNoRange,
     "database user"},
    {"database.password_file", SettingType::text, "", 0, 0, kNoRange,
     "file holding the password (a trailing newline is ignored); an inline `password:` is refused"},
    {"database.password_credential", SettingType::text, "", 0, 0, kNoRange,
     "the systemd credential holding the password, read from `$CREDENTIALS_DIRECTORY` when systemd passes credentials (else `password_file` is read); a name, not a path"},
    {"database.path", SettingType::text, "", 0, 0, kNoRange,
     "SQLite file (required for sqlite3)"},
    {"database.connect_timeout", SettingType::duration, "10s", 10'000, 1'000, 600'000,
     "client timeout to connect"},
    {"database.read_timeout", SettingType::duration, "30s", 30'000, 1'000, 3'600'000,
     "client timeout to read; a stalled server is given up on after it"},
    {"database.write_timeout", SettingType::duration, "30s", 30'000, 1'000, 3'600'000,
     "client timeout to write (SQLite: how long a write waits for the database's lock)"},
    {"database.reconnect_max", SettingType::duration, "30s", 30'000, 100, 3'600'000,
     "reconnect attempts back off from 1 s, doubling up to this"},
    {"database.local_infile", SettingType::boolean, "true", 1, 0, kNoRange,
     "MariaDB/MySQL: send each tick's changed rows by `LOAD DATA LOCAL INFILE` from memory into the session's temporary tables (see [Performance](#performance)); `false`, or a server or account that refuses it, writes multi-row statements instead (slower); a change needs a restart"},
    {"database.ssl_mode", SettingType::choice, "by host", 0, 0, kNoRange,
     "TLS to the server: `disabled`, `required` (encrypted, certificate not checked), `verify_ca` (signed by `ssl_ca`), `verify_identity` (and issued to the host connected to). Unset: `disabled` on a socket (`localhost` included: the client library takes it as its socket) or a host whose addresses are all loopback (`127.0.0.0/8`, `::1`; a name is resolved, never judged by its text: `127.db.example.com` is a name like any other), `required` on any other host or one that does not resolve, `verify_identity` when `ssl_ca` is set; a remote host without TLS needs `ssl_mode: disabled` written out. `check-config` and `doctor` print the mode and why. What each mode lets the account's authentication method do: [The connection's security](#the-connections-security)"},
    {"database.ssl_ca", SettingType::text, "", 0, 0, kNoRange,
     "PEM file of the CA(s) the server's certificate must chain to; checked readable at load"},
    {"database.ssl_cert", SettingType::text, "", 0, 0, kNoRange,
     "PEM file of a client certificate, for servers that ask for one (with `ssl_key`); checked readable at load"},
    {"database.ssl_key", SettingType::text, "", 0, 0, kNoRange,
     "PEM file of the client certificate's key (with `ssl_cert`); checked readable at load"},
    {"tick.interval", SettingType::duration, "5s", 5'000, 100, 3'600'000,
     "how often display numbers are updated"},
    {"tick.max_catchup", SettingType::duration, "60s", 60'000, 0, 86'400'000,
     "the most time one tick makes up for after a pause (not below the interval)"},
    {"tick.cache", SettingType::boolean, "true", 1, 0, kNoRange,
     "keep the live streams' settings, simulated state and real counts in memory between ticks and read only what changed ([Performance](#performance)); `false`: every tick reads every stream whole"},
    {"simulation.enabled", SettingType::boolean, "true", 1, 0, kNoRange,
     "the kill switch: `false` shows real numbers only"},
    {"simulation.real_viewer_ttl", SettingType::duration, "60s", 60'000, 1'000, 86'400'000,
     "with a `stream_viewers.last_seen_at` column, only sessions seen within this count as open"},
    {"simulation.real_viewer_sweep", SettingType::duration, "max(1s, TTL / 4)", 15'000, 1'000, 86'400'000,
     "with a heartbeat column and `tick.cache` on, every live stream's open sessions are recounted exactly at least this often, a rotating slice of the streams per tick; a closed tab stops counting within TTL + sweep + one tick (`check-config` shows both)"},
    {"simulation.watch_time", SettingType::duration, "6m", 360'000, 30'000, 36'000'000,
     "how long a simulated viewer watches on average (see [A natural audience near the target](#a-natural-audience-near-the-target)); the global setting `sim_watch_minutes` overrides it"},
    {"simulation.seed", SettingType::whole, "random", 0, 0, kNoRange,
     "fixed random seed, for reproducible runs (a whole number, 0 to 2^64 - 1)"},
    {"leadership.lease", SettingType::duration, "max(15s, 3 × interval)", 15'000, 200, 3'600'000,
     "how long the active instance's lease lasts without renewal (at least two ticks); a standby takes over within lease + one tick"},
    {"shard.index", SettingType::whole, "0", 0, 0, 1023,
     "this instance simulates the streams whose id hashes to `index` (`hash(id) MOD count`) and holds that shard's lease; `auto`, or no `index` with `count` above 1: the instances share the shards by themselves (see [Scaling out](#scaling-out)); below `count`; a change needs a restart"},
    {"shard.count", SettingType::whole, "1", 1, 1, 1024,
     "the number of shards the streams are divided into; a change needs a restart"},
    {"log.level", SettingType::choice, "info", 0, 0, kNoRange,
     "`debug` (every stream, every tick), `info` (a line per tick), `notice`, `warning`, `error`"},
    {"metrics.enabled", SettingType::boolean, "false", 0, 0, kNoRange,
     "serve `/metrics` and `/healthz` over HTTP"},
    {"metrics.listen", SettingType::text, "127.0.0.1", 0, 0, kNoRange,
     "IP address to listen on (`::1`, or `0.0.0.0` to expose it beyond the host)"},
    {"metrics.port", SettingType::whole, "9477", 9477, 0, 65535,
     "TCP port; `0` picks a free one (the log says which)"},
}};
// clang-format on

// The row of a YAML path; a logic error for a path not in the table.
constexpr const SettingSpec& setting(std::string_view path) {
  for (const SettingSpec& s : kSettings) {
    if (s.path == path) return s;
  }
  throw std::logic_error("no such setting");
}

// Whether the path is in the table.
constexpr bool is_setting(std::string_view path) {
  for (const SettingSpec& s : kSettings) {
    if (s.path == path) return true;
  }
  return false;
}

// A default, as the field's type wants it.
constexpr std::int64_t setting_ms(std::string_view path) {
  return setting(path).default_value;
}
constexpr std::int64_t setting_whole(std::string_view path) {
  return setting(path).default_value;
}
constexpr bool setting_on(std::string_view path) {
  return setting(path).default_value != 0;
}
inline std::string setting_text(std::string_view path) {
  return std::string(setting(path).default_text);
}

// The range as messages and the README write it: "100ms..1h", "1..65535";
// empty without one.
std::string setting_range(const SettingSpec& s);

// The table in README.md's form (Markdown: key, default, range, meaning).
std::string settings_markdown();

}  // namespace engagementd
