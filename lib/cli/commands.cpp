#include "cli/commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <random>

#include <unistd.h>

#include "cli/admin.hpp"
#include "cli/preview.hpp"
#include "core/audit.hpp"
#include "core/duration.hpp"
#include "core/presets.hpp"
#include "service/config.hpp"
#include "store/db_errors.hpp"
#include "store/doctor.hpp"
#include "store/store.hpp"
#include "store/transaction.hpp"
#include "store/transport.hpp"
#include "store/uninstall.hpp"

namespace engagementd {
namespace {

int usage_error(const std::string& command, const std::string& what) {
  std::cerr << "engagementd " << command << ": " << what << "\nTry 'engagementd --help'.\n";
  return 2;
}

// "--name value" or "--name=value"; advances i past the value.
std::optional<std::string> option_value(const std::vector<std::string>& args, std::size_t& i,
                                        const std::string& name, std::string& error) {
  const std::string& arg = args[i];
  if (arg == name) {
    if (i + 1 >= args.size()) {
      error = name + " needs a value";
      return std::nullopt;
    }
    return args[++i];
  }
  if (arg.rfind(name + "=", 0) == 0) return arg.substr(name.size() + 1);
  return std::nullopt;
}

std::optional<double> parse_number(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long long> parse_whole(const std::string& text) {
  const auto v = parse_number(text);
  if (!v || *v < 0 || *v != std::floor(*v) || *v > 9e15) return std::nullopt;
  return static_cast<long long>(*v);
}

bool write_file(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  if (path == "-") {
    fill(std::cout);
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path, std::ios::trunc);
  if (out) fill(out);
  out.close();
  if (!out) {
    std::cerr << "engagementd: cannot write " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

}  // namespace

namespace {

// What `engagementd preview` was asked for.
struct PreviewArgs {
  PreviewOptions o;
  std::string preset = "moderate";
  std::string csv, svg;
  std::optional<std::uint64_t> seed;
  // Individual settings, applied over the preset.
  std::optional<double> min, max, increase, decrease, like_rate, multiplier, watch_minutes;

  bool changed() const {
    return min || max || increase || decrease || like_rate || multiplier || watch_minutes;
  }
};

// Takes one "--name value"; the usage error, or "".
std::string take_preview_option(const std::string& name, const std::string& value,
                                PreviewArgs& a) {
  std::string error;
  auto number = [&](std::optional<double>& into) {
    into = parse_number(value);
    if (!into) error = name + ": '" + value + "' is not a number";
  };
  if (name == "--preset") {
    if (!find_preset(value)) {
      return "unknown preset '" + value + "' (known: " + std::string(preset_names()) + ")";
    }
    a.preset = value;
  } else if (name == "--min") {
    number(a.min);
  } else if (name == "--max") {
    number(a.max);
  } else if (name == "--increase") {
    number(a.increase);
  } else if (name == "--decrease") {
    number(a.decrease);
  } else if (name == "--like-rate") {
    number(a.like_rate);
  } else if (name == "--multiplier") {
    number(a.multiplier);
  } else if (name == "--watch-minutes") {
    number(a.watch_minutes);
  } else if (name == "--real-viewers") {
    try {
      a.o.real = parse_real_viewers(value);
    } catch (const std::invalid_argument& e) {
      error = std::string("--real-viewers: ") + e.what();
    }
  } else if (name == "--minutes") {
    const auto m = parse_whole(value);
    if (!m || *m < 1 || *m > 7 * 24 * 60) {
      error = "--minutes: '" + value + "' is not a whole number in 1..10080 (one week)";
    } else {
      a.o.minutes = static_cast<int>(*m);
    }
  } else if (name == "--tick") {
    try {
      a.o.tick = parse_duration(value);
      if (a.o.tick < std::chrono::milliseconds(100) || a.o.tick > std::chrono::hours(1)) {
        error = "--tick: " + value + " is outside 100ms..1h";
      }
    } catch (const std::invalid_argument& e) {
      error = std::string("--tick: ") + e.what();
    }
  } else if (name == "--seed") {
    const auto s = parse_whole(value);
    if (!s) {
      error = "--seed: '" + value + "' is not a whole number";
    } else {
      a.seed = static_cast<std::uint64_t>(*s);
    }
  } else if (name == "--csv") {
    a.csv = value;
  } else if (name == "--svg") {
    a.svg = value;
  } else {
    return "unknown option '" + name + "'";
  }
  return error;
}

// The preset with the individual settings over it, into a.o.config; what
// is wrong with them, or "".
std::string apply_preview_settings(PreviewArgs& a) {
  EngagementConfig& c = a.o.config;
  c = find_preset(a.preset)->config;
  std::string error;
  auto count = [&](const std::optional<double>& v, std::int64_t& into, const char* name) {
    if (!v) return;
    if (*v < 0 || *v != std::floor(*v)) {
      error = std::string(name) + " must be a whole number >= 0";
    } else {
      into = static_cast<std::int64_t>(*v);
    }
  };
  count(a.min, c.min_viewers, "--min");
  count(a.max, c.max_viewers, "--max");
  if (a.increase) c.increase_rate = *a.increase;
  if (a.decrease) c.decrease_rate = *a.decrease;
  if (a.like_rate) c.like_rate = *a.like_rate;
  if (a.multiplier) c.multiplier = *a.multiplier;
  if (a.watch_minutes) c.watch_minutes = *a.watch_minutes;
  if (error.empty()) error = validate(c);
  return error;
}

}  // namespace

int cmd_preview(const std::vector<std::string>& args) {
  const std::string cmd = "preview";
  PreviewArgs a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string error;
    const std::string arg = args[i];
    const std::string name = arg.substr(0, arg.find('='));
    const auto value = option_value(args, i, name, error);
    if (!error.empty()) return usage_error(cmd, error);
    if (!value || name.rfind("--", 0) != 0)
      return usage_error(cmd, "unexpected argument '" + arg + "'");
    error = take_preview_option(name, *value, a);
    if (!error.empty()) return usage_error(cmd, error);
  }

  const std::string error = apply_preview_settings(a);
  if (!error.empty()) return usage_error(cmd, "invalid settings: " + error);
  PreviewOptions& o = a.o;
  if (a.seed) {
    o.seed = *a.seed;
  } else {
    std::random_device rd;
    o.seed = rd() % 1'000'000;  // short enough to retype
  }

  const PreviewResult r = run_preview(o);
  const std::string& csv = a.csv;
  const std::string& svg = a.svg;
  if (!csv.empty() && !write_file(csv, [&](std::ostream& out) { write_preview_csv(r, out); })) {
    return 1;
  }
  if (!svg.empty() && !write_file(svg, [&](std::ostream& out) { write_preview_svg(r, out); })) {
    return 1;
  }
  if (csv != "-" && svg != "-") {
    std::cout << "preset " << a.preset << (a.changed() ? " with changes" : "") << "\n";
    write_preview_summary(r, std::cout);
    if (!csv.empty()) std::cout << "wrote " << csv << " (one row per minute)\n";
    if (!svg.empty()) std::cout << "wrote " << svg << " (open it in a browser)\n";
  }
  return 0;
}

namespace {

struct DbArgs {
  std::string config = kDefaultConfigPath;
  std::optional<std::int64_t> stream;
  bool global = false;
  bool csv = false;
  std::optional<std::string> since;
  std::vector<std::string> rest;  // positional arguments
};

// Parses -c FILE, --stream ID, --global, --since DATE, --csv (as allowed)
// and collects the rest.
std::optional<int> parse_db_args(const std::string& cmd, const std::vector<std::string>& args,
                                 bool target_options, bool report_options, DbArgs& a) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    const std::string name = arg.substr(0, arg.find('='));
    if (name == "-c" || name == "--config") {
      const auto v = option_value(args, i, name, error);
      if (!v) return usage_error(cmd, error.empty() ? "unexpected argument '" + arg + "'" : error);
      a.config = *v;
    } else if (name == "--stream" && (target_options || report_options)) {
      const auto v = option_value(args, i, name, error);
      if (!v) return usage_error(cmd, error);
      const auto id = parse_whole(*v);
      if (!id || *id == 0) return usage_error(cmd, "--stream: '" + *v + "' is not a stream id");
      a.stream = *id;
    } else if (arg == "--global" && target_options) {
      a.global = true;
    } else if (arg == "--csv" && report_options) {
      a.csv = true;
    } else if (name == "--since" && report_options) {
      const auto v = option_value(args, i, name, error);
      if (!v) return usage_error(cmd, error);
      a.since = *v;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error(cmd, "unknown option '" + arg + "'");
    } else {
      a.rest.push_back(arg);
    }
  }
  if (a.stream && a.global) return usage_error(cmd, "--stream and --global exclude each other");
  return std::nullopt;
}

// Opens the database of the config file, on a schema this build knows.
// Loads the config and connects; check_schema: refuse a schema this build
// does not know (doctor and uninstall work on any).
std::unique_ptr<Store> open_store(const std::string& path, Config& config,
                                  bool check_schema = true) {
  try {
    config = load_config(path);
  } catch (const ConfigError& e) {
    std::string all;
    for (const auto& p : e.problems()) all += (all.empty() ? "" : "\n") + p;
    throw std::runtime_error(all);
  }
  auto store = Store::open(config.database, read_password(config.database));
  if (check_schema) store->check_schema();
  return store;
}

// Removes every `flag` from args; true if there was one.
bool take_flag(std::vector<std::string>& args, const std::string& flag) {
  const auto before = args.size();
  args.erase(std::remove(args.begin(), args.end(), flag), args.end());
  return args.size() != before;
}

int fail(const std::string& cmd, const std::string& what) {
  std::cerr << "engagementd " << cmd << ": " << what << "\n";
  return 1;
}

}  // namespace

int cmd_config(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("config", "needs show, set or apply-preset");
  const std::string sub = args[0];
  const std::string cmd = "config " + sub;
  if (sub != "show" && sub != "set" && sub != "apply-preset") {
    return usage_error("config", "unknown subcommand '" + sub + "' (show, set, apply-preset)");
  }
  DbArgs a;
  if (const auto rc = parse_db_args(cmd, {args.begin() + 1, args.end()}, true, false, a)) {
    return *rc;
  }
  std::vector<std::pair<std::string, std::string>> changes;
  std::string origin = "engagementd " + cmd;
  if (sub == "show") {
    if (a.global) return usage_error(cmd, "--global does not apply (show prints both)");
    if (!a.rest.empty()) return usage_error(cmd, "unexpected argument '" + a.rest[0] + "'");
  } else if (!a.stream && !a.global) {
    // The global defaults apply to every stream without its own row: never
    // changed by leaving an option out.
    return usage_error(cmd, "needs --stream ID or --global");
  }
  if (sub == "set") {
    if (a.rest.empty()) return usage_error(cmd, "needs KEY=VALUE arguments");
    for (const std::string& kv : a.rest) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        return usage_error(cmd, "'" + kv + "' is not KEY=VALUE");
      }
      changes.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  } else if (sub == "apply-preset") {
    if (a.rest.size() != 1) return usage_error(cmd, "needs one preset name");
    const Preset* p = find_preset(a.rest[0]);
    if (!p) {
      return usage_error(
          cmd, "unknown preset '" + a.rest[0] + "' (known: " + std::string(preset_names()) + ")");
    }
    const RawConfig raw = to_raw(p->config);
    for (std::size_t i = 0; i < kConfigKeys.size(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.10g", *raw[i]);
      changes.emplace_back(std::string(kConfigKeys[i]), buf);
    }
    origin += " " + std::string(p->name);
  }
  try {
    Config config;
    auto store = open_store(a.config, config);
    if (sub == "show") {
      show_settings(*store, a.stream, config.simulation_enabled, std::cout,
                    std::chrono::duration<double, std::ratio<60>>(config.watch_time).count());
      return 0;
    }
    const auto done = apply_settings(*store, SettingsTarget{a.stream}, changes, origin);
    std::cout << (a.stream ? "stream " + std::to_string(*a.stream) : std::string("global"))
              << " settings changed (the daemon applies them at its next tick):\n";
    for (const auto& line : done) std::cout << "  " << line << "\n";
    return 0;
  } catch (const std::exception& e) {
    return fail(cmd, error_text(e));
  }
}

int cmd_report(const std::vector<std::string>& args) {
  const std::string cmd = "report";
  DbArgs a;
  if (const auto rc = parse_db_args(cmd, args, false, true, a)) return *rc;
  if (!a.rest.empty()) return usage_error(cmd, "unexpected argument '" + a.rest[0] + "'");
  std::int64_t since = 0;
  if (a.since) {
    try {
      since = parse_utc_date(*a.since);
    } catch (const std::invalid_argument& e) {
      return usage_error(cmd, std::string("--since: ") + e.what());
    }
  }
  try {
    Config config;
    auto store = open_store(a.config, config);
    const auto rows = read_report(*store, a.stream, since);
    if (a.csv) {
      write_report_csv(rows, std::cout);
    } else {
      write_report_table(rows, std::cout);
    }
    return 0;
  } catch (const std::exception& e) {
    return fail(cmd, error_text(e));
  }
}

int cmd_recount(const std::vector<std::string>& args) {
  const std::string cmd = "recount";
  std::vector<std::string> rest = args;
  const bool check = take_flag(rest, "--check");
  DbArgs a;
  if (const auto rc = parse_db_args(cmd, rest, true, false, a)) return *rc;
  if (a.global) return usage_error(cmd, "unknown option '--global'");
  if (!a.rest.empty()) return usage_error(cmd, "unexpected argument '" + a.rest[0] + "'");
  try {
    Config config;
    auto store = open_store(a.config, config);
    if (check) {
      // Differences for a stream the site is writing to at this moment may
      // be passing: a second run tells.
      const auto rows = store->check_real_counts(a.stream);
      std::size_t differ = 0;
      for (const Store::CountsCheck& c : rows) {
        const RealCounts& k = c.kept;
        const RealCounts& n = c.counted;
        if (k.viewers == n.viewers && k.likes == n.likes && k.dislikes == n.dislikes &&
            k.comments == n.comments) {
          continue;
        }
        ++differ;
        std::cout << "stream=" << c.stream_id << " kept viewers=" << k.viewers
                  << " likes=" << k.likes << " dislikes=" << k.dislikes
                  << " comments=" << k.comments << "; counted viewers=" << n.viewers
                  << " likes=" << n.likes << " dislikes=" << n.dislikes
                  << " comments=" << n.comments << "\n";
      }
      std::cout << rows.size() << " stream(s) checked, " << differ << " differ"
                << (differ ? "; 'engagementd recount' has them counted again at the next tick" : "")
                << "\n";
      return differ ? 1 : 0;
    }
    Transaction tx(*store);
    const long long dropped = store->drop_real_counts(a.stream);
    JsonObject detail;
    detail.add("origin", "engagementd recount").raw("actor", command_actor(*store));
    detail.add("target", a.stream ? "stream" : "all").add("dropped", std::int64_t{dropped});
    store->append_audit({{store->now_ms(), "recount", a.stream, detail.str()}});
    tx.commit();
    std::cout << dropped
              << " stream(s) will be counted again from the site's rows at the next "
                 "tick\n";
    return 0;
  } catch (const std::exception& e) {
    return fail(cmd, error_text(e));
  }
}

int cmd_doctor(const std::vector<std::string>& args) {
  const std::string cmd = "doctor";
  DbArgs a;
  if (const auto rc = parse_db_args(cmd, args, false, false, a)) return *rc;
  if (!a.rest.empty()) return usage_error(cmd, "unexpected argument '" + a.rest[0] + "'");
  try {
    Config config;
    // Any schema version: telling what is missing is the point.
    auto store = open_store(a.config, config, false);
    std::cout << "database: " << describe(config.database) << "\n";
    if (config.database.backend == Backend::mysql) {
      std::cout << "connection: " << describe_tls(config.database) << "\n";
    }
    for (const std::string& w : setting_warnings(config)) std::cout << "warning: " << w << "\n";
    bool problem = false;
    std::size_t skipped = 0;
    for (const Finding& f : inspect_site(*store, config.real_viewer_ttl)) {
      std::cout << level_name(f.level) << ": " << f.text << "\n";
      problem = problem || f.level == Finding::Level::problem;
      skipped += f.level == Finding::Level::skipped;
    }
    if (problem) {
      std::cout << "engagementd cannot work on this database until the PROBLEM lines are fixed"
                << (skipped ? " (and " + std::to_string(skipped) + " check(s) were skipped)" : "")
                << "\n";
      return 1;
    }
    if (skipped > 0) {
      // Never "fine" over a check that did not run: a problem may hide there.
      std::cout << "engagementd can work on this database as far as this account can see, but "
                << skipped
                << " check(s) were skipped (the 'skipped' lines name the privilege each needs): "
                   "run 'engagementd doctor' as an administrator to have them all\n";
      return 3;
    }
    std::cout << "engagementd can work on this database\n";
    return 0;
  } catch (const std::exception& e) {
    return fail(cmd, error_text(e));
  }
}

int cmd_uninstall(const std::vector<std::string>& args) {
  const std::string cmd = "uninstall";
  std::vector<std::string> rest = args;
  const bool yes = take_flag(rest, "--yes");
  const bool force = take_flag(rest, "--force");
  const bool purge = take_flag(rest, "--purge");
  DbArgs a;
  if (const auto rc = parse_db_args(cmd, rest, false, false, a)) return *rc;
  if (!a.rest.empty()) return usage_error(cmd, "unexpected argument '" + a.rest[0] + "'");
  try {
    Config config;
    auto store = open_store(a.config, config, false);
    // A daemon that still ticks would write simulated numbers again over
    // the real ones given below, into tables about to go.
    const std::vector<FreshLease> leases = fresh_leases(*store);
    std::string holders;
    for (const FreshLease& l : leases) {
      holders += (holders.empty() ? "" : "; ") + l.holder + " holds the lease of shard " +
                 std::to_string(l.shard) + " for " + std::to_string(l.expires_in_ms) + " ms more";
    }
    if (!leases.empty() && !force) {
      return fail(cmd, "an engagementd is running on this database (" + holders +
                           "). Stop it first (systemctl stop engagementd: a clean stop lets its "
                           "lease go at once) and run uninstall again. --force goes on anyway, "
                           "at a risk: until its tables are gone that daemon may write simulated "
                           "numbers again (with the badge on; uninstall gives those streams their "
                           "real numbers once more at the end, their real peak lost), and it "
                           "keeps running, standing by, until it is stopped");
    }
    const UninstallPlan plan = plan_uninstall(*store, purge);
    if (plan.steps.empty() && plan.live_simulated == 0) {
      std::cout << "nothing of engagementd's is left in " << describe(config.database) << "\n";
      for (const auto& k : plan.kept) std::cout << "kept: " << k << "\n";
      return 0;
    }
    if (!leases.empty()) {
      std::cout << "warning: --force: " << holders
                << "; it stands by once the schema is gone (stop it: it keeps running)\n";
    }
    std::cout << "engagementd uninstall, on " << describe(config.database) << ":\n";
    if (plan.live_streams > 0) {
      std::cout << "first, the " << plan.live_streams << " live stream(s) get their real numbers ("
                << plan.live_simulated << " show simulated ones now): viewers seen within "
                << format_duration(config.real_viewer_ttl)
                << ", likes, dislikes and comments with is_fake = 0, includes_simulated = 0\n";
    }
    std::cout << "it drops:\n";
    for (const auto& s : plan.steps) std::cout << "  " << s.what << "\n";
    if (!plan.kept.empty()) {
      std::cout << "it keeps, with their values (the site's pages rely on them; --purge drops "
                   "them too):\n";
      for (const auto& k : plan.kept) std::cout << "  " << k << "\n";
    }
    for (const auto& c : plan.consequences) std::cout << "note: " << c << "\n";
    std::cout << "kept: the site's own tables, rows and columns (the widened "
                 "engagement_multiplier and stream_key's NOT NULL DEFAULT '' stay as they are)\n";
    if (!plan.data.empty() && !yes) {
      std::cout << "this drops data that cannot be made again:";
      for (const std::string& d : plan.data) std::cout << " " << d << ";";
      std::cout << "\n";
      if (!::isatty(STDIN_FILENO)) {
        return fail(cmd,
                    "not confirmed: run again with --yes to drop it (back it up first, e.g. "
                    "mariadb-dump DB engagementd_stream_summary engagementd_audit)");
      }
      std::cout << "type 'yes' to go on: " << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "yes") return fail(cmd, "not confirmed; nothing was changed");
    }
    const UninstallDone done = run_uninstall(*store, plan, config.real_viewer_ttl, !leases.empty());
    if (done.real_again > 0) {
      std::cout << done.real_again
                << " live stream(s) written again by the running daemon meanwhile were given "
                   "their real numbers once more (max_viewers: the viewers now)\n";
    }
    std::cout << done.real_numbers << " live stream(s) now show their real numbers; " << done.steps
              << " object(s) removed; 'engagementd migrate' puts them back\n";
    return 0;
  } catch (const std::exception& e) {
    return fail(cmd, error_text(e));
  }
}

}  // namespace engagementd
