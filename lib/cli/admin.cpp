#include "cli/admin.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <sstream>

#include "core/audit.hpp"
#include "core/setting_text.hpp"
#include "core/simulation.hpp"
#include "store/admin_queries.hpp"
#include "store/transaction.hpp"

namespace engagementd {
namespace {

constexpr std::size_t kNoField = kConfigKeys.size();

std::size_t field_of(const std::string& key) {
  for (std::size_t i = 0; i < kConfigKeys.size(); ++i) {
    if (kConfigKeys[i] == key) return i;
  }
  return kNoField;
}

std::string value_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string known_keys(bool global) {
  std::string out;
  for (const auto& k : kConfigKeys) out += (out.empty() ? "" : ", ") + std::string(k);
  if (global) out += ", " + std::string(kKillSwitchKey) + ", " + std::string(kWatchMinutesKey);
  return out;
}

// A value read as the daemon reads setting text (core/setting_text.hpp).
double parse_value(const std::string& key, const std::string& text) {
  const SettingKind kind = setting_kind(key);
  const std::optional<double> v = parse_setting_text(text, kind);
  if (!v) throw AdminError(key + ": '" + text + "' is not a number");
  if (kind == SettingKind::flag && *v != 0 && *v != 1) {
    throw AdminError(key + ": '" + text + "' is not 0 or 1");
  }
  return *v;
}

std::string describe_rates(const EngagementConfig& c) {
  std::ostringstream out;
  out << "  per minute: " << value_text(c.increase_rate)
      << " joins while below the target's natural band, " << value_text(c.decrease_rate)
      << " leaves while above it (net of the comings and goings), "
      << value_text(like_rate_per_minute(c)) << " likes while anyone watches ("
      << value_text(c.like_rate) << " x min(1, 0.1 x " << value_text(c.multiplier) << "))\n"
      << "  target: max(" << c.min_viewers << ", min(" << c.max_viewers << ", floor(real x "
      << value_text(c.multiplier) << ")))"
      << (c.viewers_enabled ? "" : "; simulated viewers OFF (they drain at the leave rate)")
      << (c.likes_enabled ? "" : "; simulated likes OFF") << "\n"
      << "  within the band T -+ (4 sqrt(T) + 2 + (T/W)/rate), a natural audience: each "
         "simulated viewer watches W = "
      << value_text(c.watch_minutes) << " min on average, T/W join and as many leave a minute, "
      << "sd sqrt(T)\n";
  return out.str();
}

void print_config(std::ostream& out, const EngagementConfig& c) {
  const RawConfig raw = to_raw(c);
  for (std::size_t i = 0; i < kConfigKeys.size(); ++i) {
    out << "  " << kConfigKeys[i] << std::string(24 - kConfigKeys[i].size(), ' ')
        << value_text(*raw[i]) << "\n";
  }
}

}  // namespace

std::string command_actor(Store& store) {
  JsonObject actor;
  const uid_t uid = ::geteuid();
  const passwd* pw = ::getpwuid(uid);
  actor.add("os_user", pw != nullptr ? std::string(pw->pw_name) : std::to_string(uid));
  actor.add("uid", static_cast<std::int64_t>(uid));
  // Who ran sudo, when it was used.
  if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo != '\0') {
    actor.add("sudo_user", sudo);
  }
  if (const auto account = current_account(store)) actor.add("db_account", *account);
  return actor.str();
}

namespace {

using GlobalRows = std::map<std::string, std::optional<std::string>>;

// The settings a command changes, as read from KEY=VALUE pairs.
struct SettingsChange {
  RawConfig after;
  std::optional<bool> kill_switch;
  std::optional<double> watch_minutes;
  std::vector<std::string> report;  // "key: from -> to", one per change
  JsonObject detail;                // the audit row's changes
};

SettingsChange read_settings_changes(
    const SettingsTarget& target, const std::vector<std::pair<std::string, std::string>>& changes,
    const GlobalRows& global_rows, const GlobalSettings& globals, const RawConfig& before) {
  SettingsChange c;
  c.after = before;
  std::map<std::string, bool> seen;
  for (const auto& [key, text] : changes) {
    if (seen[key]) throw AdminError(key + " is given twice");
    seen[key] = true;
    if (key == kKillSwitchKey) {
      if (target.stream) {
        throw AdminError(std::string(kKillSwitchKey) +
                         " is global (the kill switch for every stream): use --global");
      }
      c.kill_switch = parse_value(key, text) == 1;
      c.report.push_back(key + ": " + (globals.simulation_enabled ? "1" : "0") + " -> " +
                         (*c.kill_switch ? "1" : "0"));
      c.detail.raw(key, JsonObject()
                            .add("from", std::int64_t{globals.simulation_enabled})
                            .add("to", std::int64_t{*c.kill_switch})
                            .str());
      continue;
    }
    if (key == kWatchMinutesKey) {
      if (target.stream) {
        throw AdminError(std::string(kWatchMinutesKey) +
                         " is global (there is no column for it per stream): use --global");
      }
      c.watch_minutes = parse_value(key, text);
      if (const std::string error = validate_watch_minutes(*c.watch_minutes); !error.empty()) {
        throw AdminError("refused, nothing changed: " + error);
      }
      const auto row = global_rows.find(key);
      c.report.push_back(key + ": " +
                         (row != global_rows.end() && row->second
                              ? setting_text_excerpt(*row->second)
                              : "not set") +
                         " -> " + value_text(*c.watch_minutes));
      c.detail.raw(key, JsonObject()
                            .add("from", globals.defaults.watch_minutes)
                            .add("to", *c.watch_minutes)
                            .str());
      continue;
    }
    const std::size_t f = field_of(key);
    if (f == kNoField) {
      throw AdminError("unknown setting '" + key + "' (known: " + known_keys(!target.stream) + ")");
    }
    c.after[f] = parse_value(key, text);
    c.report.push_back(key + ": " + (before[f] ? value_text(*before[f]) : "NULL") + " -> " +
                       value_text(*c.after[f]));
    c.detail.raw(
        key, JsonObject().add("from", before[f] ? *before[f] : 0.0).add("to", *c.after[f]).str());
  }
  return c;
}

void write_stream_settings(Store& store, std::int64_t stream, const RawConfig& after) {
  write_stream_config(store, stream, after);
  // Read back: a column that cannot hold the value (e.g. a whole-number
  // rate column given 2.5) must not leave a silently different setting.
  const auto stored = read_stream_config(store, stream);
  for (std::size_t i = 0; i < kConfigKeys.size(); ++i) {
    if (!stored || (*stored)[i] != after[i]) {
      throw AdminError("refused, nothing changed: stream_engagement_config stored " +
                       std::string(kConfigKeys[i]) + " as " +
                       (stored && (*stored)[i] ? value_text(*(*stored)[i]) : "NULL") +
                       " instead of " + value_text(after[i].value_or(0)) +
                       " (the column's type cannot hold it)");
    }
  }
}

void write_global_settings(Store& store,
                           const std::vector<std::pair<std::string, std::string>>& changes,
                           const SettingsChange& c, EngagementConfig config) {
  for (const auto& [key, text] : changes) {
    if (key == kKillSwitchKey) {
      write_global_setting(store, key, *c.kill_switch ? "1" : "0");
    } else if (key == kWatchMinutesKey) {
      write_global_setting(store, key, value_text(*c.watch_minutes));
    } else {
      write_global_setting(store, key, value_text(*c.after[field_of(key)]));
    }
  }
  // Read back, as the ticks will read them.
  std::vector<std::string> left;
  const GlobalSettings result = resolve_global_settings(store.read_global_settings(), left);
  if (!left.empty()) throw AdminError("refused, nothing changed: " + left.front());
  config.watch_minutes = c.watch_minutes.value_or(result.defaults.watch_minutes);
  if (result.defaults != config) {
    throw AdminError("refused, nothing changed: global_stream_settings did not read back as set");
  }
}

}  // namespace

std::vector<std::string> apply_settings(
    Store& store, const SettingsTarget& target,
    const std::vector<std::pair<std::string, std::string>>& changes, const std::string& origin) {
  if (changes.empty()) throw AdminError("no KEY=VALUE given");
  Transaction tx(store);
  const std::int64_t now = store.now_ms();

  std::vector<std::string> problems;
  const auto global_rows = store.read_global_settings();
  const GlobalSettings globals = resolve_global_settings(global_rows, problems);

  RawConfig before;
  if (target.stream) {
    if (!stream_exists(store, *target.stream)) {
      throw AdminError("there is no stream " + std::to_string(*target.stream) + " in live_streams");
    }
    before = read_stream_config(store, *target.stream).value_or(to_raw(globals.defaults));
  } else {
    before = to_raw(globals.defaults);
  }
  SettingsChange change = read_settings_changes(target, changes, global_rows, globals, before);

  std::string error;
  const auto config = config_from_raw(change.after, error);
  if (!config) throw AdminError("refused, nothing changed: " + error);

  if (target.stream) {
    write_stream_settings(store, *target.stream, change.after);
  } else {
    write_global_settings(store, changes, change, *config);
  }
  store.append_audit({{now, "config_command",
                       target.stream ? std::optional<std::int64_t>(*target.stream) : std::nullopt,
                       JsonObject()
                           .add("origin", origin)
                           .raw("actor", command_actor(store))
                           .add("target", target.stream ? "stream" : "global")
                           .raw("changes", change.detail.str())
                           .str()}});
  tx.commit();
  return std::move(change.report);
}

void show_settings(Store& store, std::optional<std::int64_t> stream, bool config_file_enabled,
                   std::ostream& out, double file_watch_minutes) {
  std::vector<std::string> problems;
  const auto rows = store.read_global_settings();
  const GlobalSettings g = resolve_global_settings(rows, problems, file_watch_minutes);
  const bool on = config_file_enabled && g.simulation_enabled;
  out << "simulation (kill switch): " << (on ? "ON" : "OFF, display = real numbers only")
      << "  [simulation.enabled in the config file: " << (config_file_enabled ? "true" : "false")
      << "; global setting simulation_enabled: "
      << (rows.count(std::string(kKillSwitchKey)) ? (g.simulation_enabled ? "1" : "0")
                                                  : "not set (on)")
      << "]\n\n";
  out << "global defaults (global_stream_settings; * = built-in default, no row):\n";
  const RawConfig raw = to_raw(g.defaults);
  for (std::size_t i = 0; i < kConfigKeys.size(); ++i) {
    const bool has_row = rows.count(std::string(kConfigKeys[i])) > 0;
    out << "  " << kConfigKeys[i] << std::string(24 - kConfigKeys[i].size(), ' ')
        << value_text(*raw[i]) << (has_row ? "" : " *") << "\n";
  }
  out << "  " << kWatchMinutesKey << std::string(24 - kWatchMinutesKey.size(), ' ')
      << value_text(g.defaults.watch_minutes)
      << (rows.count(std::string(kWatchMinutesKey)) ? "" : " * (simulation.watch_time)")
      << "  (every stream)\n";
  out << describe_rates(g.defaults);
  for (const auto& p : problems) out << "  problem: " << p << "\n";

  std::vector<std::int64_t> ids;
  if (stream) {
    if (!stream_exists(store, *stream)) {
      throw AdminError("there is no stream " + std::to_string(*stream) + " in live_streams");
    }
    ids.push_back(*stream);
  } else {
    ids = live_stream_ids(store);
    out << "\nlive streams: " << ids.size() << "\n";
  }
  for (const std::int64_t id : ids) {
    out << "\nstream " << id << " (" << stream_status(store, id) << "): ";
    const auto row = read_stream_config(store, id);
    if (!row) {
      out << "no stream_engagement_config row; the daemon creates one from the global defaults\n";
      continue;
    }
    std::string error;
    auto c = config_from_raw(*row, error);
    if (c) c->watch_minutes = g.defaults.watch_minutes;
    if (!c) {
      out << "stream_engagement_config is INVALID (" << error
          << "); the daemon uses the global defaults until it is fixed\n";
      for (std::size_t i = 0; i < kConfigKeys.size(); ++i) {
        out << "  " << kConfigKeys[i] << std::string(24 - kConfigKeys[i].size(), ' ')
            << ((*row)[i] ? value_text(*(*row)[i]) : "NULL") << "\n";
      }
      continue;
    }
    out << "stream_engagement_config\n";
    print_config(out, *c);
    out << describe_rates(*c);
  }
}

void write_report_csv(const std::vector<ReportRow>& rows, std::ostream& out) {
  out << "stream_id,status,first_simulated_utc,duration_seconds,real_peak_viewers,"
         "sim_peak_viewers,shown_peak_viewers,real_viewers_total,sim_viewers_total,"
         "shown_viewers_total,real_likes,sim_likes,shown_likes\n";
  for (const ReportRow& r : rows) {
    out << r.stream_id << ',' << r.status << ',' << format_utc(r.first_ms) << ','
        << r.duration_seconds << ',' << r.real_peak << ',' << r.sim_peak << ',' << r.shown_peak
        << ',' << r.real_viewers_total << ',' << r.sim_viewers_total << ','
        << r.real_viewers_total + r.sim_viewers_total << ',' << r.real_likes << ',' << r.sim_likes
        << ',' << r.real_likes + r.sim_likes << '\n';
  }
}

void write_report_table(const std::vector<ReportRow>& rows, std::ostream& out) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"stream", "status", "first simulated (UTC)", "minutes", "peak real", "sim",
                   "shown", "viewers real", "sim", "shown", "likes real", "sim", "shown",
                   "sim share"});
  std::int64_t tr = 0, ts = 0, lr = 0, ls = 0;
  for (const ReportRow& r : rows) {
    const std::int64_t total = r.real_viewers_total + r.sim_viewers_total;
    char share[16];
    std::snprintf(
        share, sizeof share, "%.0f%%",
        total > 0 ? 100.0 * static_cast<double>(r.sim_viewers_total) / static_cast<double>(total)
                  : 0.0);
    cells.push_back({std::to_string(r.stream_id), r.status, format_utc(r.first_ms),
                     std::to_string(r.duration_seconds / 60), std::to_string(r.real_peak),
                     std::to_string(r.sim_peak), std::to_string(r.shown_peak),
                     std::to_string(r.real_viewers_total), std::to_string(r.sim_viewers_total),
                     std::to_string(total), std::to_string(r.real_likes),
                     std::to_string(r.sim_likes), std::to_string(r.real_likes + r.sim_likes),
                     share});
    tr += r.real_viewers_total;
    ts += r.sim_viewers_total;
    lr += r.real_likes;
    ls += r.sim_likes;
  }
  std::vector<std::size_t> width(cells[0].size(), 0);
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      // Text left, numbers right.
      out << (i ? "  " : "") << (i == 1 || i == 2 ? row[i] + pad : pad + row[i]);
    }
    out << "\n";
  }
  out << rows.size() << " stream(s); viewers total real " << tr << ", simulated " << ts
      << "; likes real " << lr << ", simulated " << ls
      << ". 'shown' = what the site displayed (real + simulated); peaks are sampled at ticks.\n";
}

std::int64_t parse_utc_date(const std::string& text) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = ' ';
  const int n =
      std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &y, &mo, &d, &sep, &h, &mi, &s);
  const bool ok =
      (n == 3 && text.size() == 10) || ((n == 6 || n == 7) && (sep == ' ' || sep == 'T'));
  if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    throw std::invalid_argument("'" + text +
                                "' is not a date (YYYY-MM-DD or 'YYYY-MM-DD HH:MM[:SS]', UTC)");
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string format_utc(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace engagementd
