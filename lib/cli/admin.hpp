#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/engagement.hpp"
#include "store/admin_queries.hpp"
#include "store/store.hpp"

namespace engagementd {

// A refused change: nothing was written. what() says which rule.
class AdminError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a settings change goes: one stream's stream_engagement_config row,
// or the global_stream_settings rows.
struct SettingsTarget {
  std::optional<std::int64_t> stream;  // none: global
};

// Who runs a command, for its audit row: a JSON object with the OS user
// (and SUDO_USER when set) and, on MariaDB/MySQL, the database account.
std::string command_actor(Store& store);

// Applies KEY=VALUE changes with the daemon's rules (multiplier 0.5-10,
// min <= max, rates >= 0, enabled flags 0/1; simulation_enabled, the kill
// switch, and sim_watch_minutes 0.5-600 only globally), all in one
// transaction, and records them in the audit trail. The whole resulting
// configuration is validated and read back before the commit; on any
// problem nothing is written and AdminError says why. Returns a line per
// change ("key: old -> new").
std::vector<std::string> apply_settings(
    Store& store, const SettingsTarget& target,
    const std::vector<std::pair<std::string, std::string>>& changes, const std::string& origin);

// "config show": the kill switch, the global defaults and, with a stream,
// its row and what the daemon uses; without one, every live stream's row.
// file_watch_minutes: the config file's simulation.watch_time, in minutes.
void show_settings(Store& store, std::optional<std::int64_t> stream, bool config_file_enabled,
                   std::ostream& out, double file_watch_minutes = kDefaultWatchMinutes);

// The report (read_report, store/admin_queries.hpp) as a table or as CSV.
void write_report_table(const std::vector<ReportRow>& rows, std::ostream& out);
void write_report_csv(const std::vector<ReportRow>& rows, std::ostream& out);

// "2026-11-25" or "2026-11-25 14:30[:00]" (also with 'T'), UTC, to ms since
// the epoch. Throws std::invalid_argument.
std::int64_t parse_utc_date(const std::string& text);
std::string format_utc(std::int64_t ms);

}  // namespace engagementd
