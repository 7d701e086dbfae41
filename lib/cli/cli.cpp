#include "cli/cli.hpp"

#include <sys/prctl.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "core/duration.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "service/config.hpp"
#include "service/daemon.hpp"
#include "service/version.hpp"
#include "store/store.hpp"
#include "store/transport.hpp"

namespace engagementd {
namespace {

constexpr const char* kUsage =
    "Usage: engagementd [COMMAND] [-c FILE] [OPTIONS]\n"
    "\n"
    "Simulated audience engine for live streams: every tick it reads the live\n"
    "streams from the site's database, advances their simulated viewers and\n"
    "likes, and writes the display numbers back.\n"
    "\n"
    "Commands:\n"
    "  run            run the daemon in the foreground (the default)\n"
    "  migrate        apply pending schema migrations (safe to rerun)\n"
    "  check-config   validate the configuration file; exit 0 if valid, 1 if not;\n"
    "                 --settings: every setting's default, range and meaning\n"
    "  preview        simulate one stream, no database: a summary, --csv, --svg\n"
    "  config         show or change the engagement settings in the database\n"
    "  report         real vs simulated numbers per stream, from the database\n"
    "  recount        check the kept real counts, or have them counted again\n"
    "  doctor         what engagementd finds in the database and will do (read-only)\n"
    "  uninstall      remove everything engagementd created in the database\n"
    "\n"
    "preview [--preset conservative|moderate|aggressive] [--min N] [--max N]\n"
    "        [--increase N] [--decrease N] [--like-rate N] [--multiplier X]\n"
    "        [--watch-minutes X]\n"
    "        [--real-viewers N|N,N@MINUTE,...] [--minutes N] [--tick D] [--seed N]\n"
    "        [--csv FILE] [--svg FILE]          (FILE '-': standard output)\n"
    "config show [--stream ID] [-c FILE]\n"
    "config set (--stream ID | --global) KEY=VALUE... [-c FILE]\n"
    "config apply-preset NAME (--stream ID | --global) [-c FILE]\n"
    "report [--stream ID] [--since DATE] [--csv] [-c FILE]\n"
    "recount [--stream ID] [--check] [-c FILE]\n"
    "doctor [-c FILE]                         (exit 1: something stops engagementd;\n"
    "                                          3: checks this account cannot run skipped)\n"
    "uninstall [--yes] [--force] [--purge] [-c FILE]\n"
    "        (refuses while an instance holds a fresh lease, unless --force; gives live\n"
    "        streams their real numbers first; keeps the columns the site's pages use,\n"
    "        unless --purge; asks before dropping data, unless --yes)\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   configuration file (default /etc/engagementd/engagementd.yaml)\n"
    "  --duration D        run: stop cleanly after D (e.g. 30s, 5m)\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "\n"
    "Signals (run): SIGTERM/SIGINT stop after the current tick, SIGHUP reloads FILE.\n";

struct Args {
  std::string command = "run";
  std::string config = kDefaultConfigPath;
  std::optional<std::chrono::milliseconds> duration;
  bool settings = false;  // check-config --settings
};

int usage_error(const std::string& what) {
  std::cerr << "engagementd: " << what << "\nTry 'engagementd --help'.\n";
  return 2;
}

std::optional<Config> load_or_report(const std::string& path) {
  try {
    return load_config(path);
  } catch (const ConfigError& e) {
    for (const auto& p : e.problems()) std::cerr << p << "\n";
    return std::nullopt;
  }
}

int cmd_check_config(const Args& a) {
  if (a.settings) {
    // The settings table (core/settings.hpp), as README.md shows it.
    std::cout << settings_markdown();
    return 0;
  }
  const auto config = load_or_report(a.config);
  if (!config) return 1;
  std::cout << a.config << ": OK (" << describe(config->database) << ", tick "
            << format_duration(config->tick_interval) << ")\n";
  std::cout << "real viewers: a session counts while seen within "
            << format_duration(config->real_viewer_ttl) << "; every live stream recounted every "
            << format_duration(real_viewer_sweep_for(*config))
            << " (a closed tab stops counting within TTL + sweep + one tick)\n";
  if (config->database.backend == Backend::mysql) {
    std::cout << "connection: " << describe_tls(config->database) << "\n";
  }
  for (const std::string& w : setting_warnings(*config)) std::cout << "warning: " << w << "\n";
  return 0;
}

int cmd_migrate(const Args& a) {
  const auto config = load_or_report(a.config);
  if (!config) return 1;
  Logger log(config->log_level);
  try {
    auto store = Store::open(config->database, read_password(config->database));
    const auto applied = store->migrate(log);
    const int version = store->schema_version();
    if (applied.empty()) {
      log.notice("schema is up to date at version " + std::to_string(version));
    } else {
      log.notice("schema migrated to version " + std::to_string(version));
    }
    // What the site's shape means for engagementd; 'doctor' tells the rest.
    const SavedStreamsLayout layout = store->saved_streams_layout();
    const std::string saved = std::string("saved_streams: ") + describe(layout);
    if (layout == SavedStreamsLayout::dump_unlinked || layout == SavedStreamsLayout::unknown) {
      log.warning(saved);
    } else {
      log.notice(saved);
    }
    return 0;
  } catch (const std::exception& e) {
    log.error(std::string("migrate failed: ") + e.what());
    return 1;
  }
}

int cmd_run(const Args& a) {
  // A reload request that arrives while starting up is not a reason to die
  // (SIGHUP's default action); the daemon's own handler replaces this.
  std::signal(SIGHUP, SIG_IGN);
  const auto config = load_or_report(a.config);
  if (!config) return 1;
  Logger log(config->log_level);
  Daemon daemon(*config, log);
  return daemon.run(a.duration);
}

// Every command but preview reads the database password: no core dump of the
// process, and no debugger attached by the same user, may hold it (systemd's
// LimitCORE=0 covers only the service). ENGAGEMENTD_DUMPABLE=1 keeps the
// default, for a developer's debugger or core file.
void keep_out_of_core_dumps() {
  const char* keep = std::getenv("ENGAGEMENTD_DUMPABLE");
  if (keep != nullptr && std::string_view(keep) == "1") return;
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace

int main_cli(int argc, char** argv) {
  keep_out_of_core_dumps();
  Args a;
  bool command_seen = false;
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Commands with options of their own parse them themselves.
  {
    // Commands with options of their own parse them themselves; a -c FILE
    // given before the command is passed on.
    std::vector<std::string> before;
    std::size_t k = 0;
    while (k < args.size()) {
      if ((args[k] == "-c" || args[k] == "--config") && k + 1 < args.size()) {
        before.insert(before.end(), {args[k], args[k + 1]});
        k += 2;
      } else if (args[k].rfind("--config=", 0) == 0) {
        before.push_back(args[k++]);
      } else {
        break;
      }
    }
    if (k < args.size()) {
      std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(k) + 1, args.end());
      rest.insert(rest.end(), before.begin(), before.end());
      if (args[k] == "preview") {
        if (!before.empty()) return usage_error("preview uses no config file");
        return cmd_preview(rest);
      }
      if (args[k] == "config") return cmd_config(rest);
      if (args[k] == "report") return cmd_report(rest);
      if (args[k] == "recount") return cmd_recount(rest);
      if (args[k] == "doctor") return cmd_doctor(rest);
      if (args[k] == "uninstall") return cmd_uninstall(rest);
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "-V" || arg == "--version") {
      std::cout << "engagementd " << version() << "\n";
      return 0;
    }
    if (arg == "-c" || arg == "--config" || arg == "--duration") {
      if (i + 1 >= args.size()) return usage_error(arg + " needs a value");
      const std::string& value = args[++i];
      if (arg == "--duration") {
        try {
          a.duration = parse_duration(value);
        } catch (const std::invalid_argument& e) {
          return usage_error(std::string("--duration: ") + e.what());
        }
      } else {
        a.config = value;
      }
      continue;
    }
    if (arg.rfind("--config=", 0) == 0) {
      a.config = arg.substr(9);
      continue;
    }
    if (arg == "--settings") {
      a.settings = true;
      continue;
    }
    if (!arg.empty() && arg[0] == '-') return usage_error("unknown option '" + arg + "'");
    if (command_seen) return usage_error("unexpected argument '" + arg + "'");
    if (arg != "run" && arg != "migrate" && arg != "check-config") {
      return usage_error("unknown command '" + arg + "'");
    }
    a.command = arg;
    command_seen = true;
  }
  if (a.duration && a.command != "run") return usage_error("--duration applies to run only");
  if (a.settings && a.command != "check-config") {
    return usage_error("--settings applies to check-config only");
  }
  if (a.command == "check-config") return cmd_check_config(a);
  if (a.command == "migrate") return cmd_migrate(a);
  return cmd_run(a);
}

}  // namespace engagementd
