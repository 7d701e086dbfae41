#include "store/doctor.hpp"

#include <algorithm>
#include <set>

#include "store/cluster.hpp"
#include "store/db_errors.hpp"
#include "store/doctor_cluster.hpp"
#include "store/doctor_queries.hpp"
#include "store/server_check.hpp"
#include "store/session.hpp"
#include "store/trigger_account.hpp"

namespace engagementd {
namespace {

using Level = Finding::Level;

// The columns engagementd reads or writes in each site table.
struct Needs {
  const char* table;
  std::vector<const char*> columns;
};

const std::vector<Needs>& site_needs() {
  static const std::vector<Needs> needs = {
      {"live_streams",
       {"id", "status", "viewer_count", "max_viewers", "like_count", "dislike_count",
        "comment_count", "started_at", "ended_at"}},
      {"stream_viewers", {"stream_id", "session_id", "is_fake", "joined_at", "left_at"}},
      {"stream_interactions", {"stream_id", "interaction_type", "is_fake"}},
      {"stream_engagement_config",
       {"stream_id", "fake_viewers_enabled", "fake_likes_enabled", "min_fake_viewers",
        "max_fake_viewers", "viewer_increase_rate", "viewer_decrease_rate", "like_rate",
        "engagement_multiplier"}},
      {"global_stream_settings", {"setting_key", "setting_value"}},
  };
  return needs;
}

void inspect(Store& store, std::chrono::milliseconds real_viewer_ttl, std::vector<Finding>& out);
int inspect_schema(Store& store, std::vector<Finding>& out);
void inspect_viewers(Store& store, std::chrono::milliseconds real_viewer_ttl,
                     std::vector<Finding>& out);
void inspect_triggers(Store& store, int have, std::vector<Finding>& out);
void inspect_records(Store& store, int have, std::vector<Finding>& out);

// The account holds the privilege on the whole database (or everywhere);
// false when its grants cannot be read.
bool holds_on_database(Store& store, const std::string& privilege) {
  try {
    return holds(store.server_facts(), privilege);
  } catch (const std::exception& e) {
    if (!is_database_error(e)) throw;
    return false;
  }
}

void inspect_migration_lock(Store& store, std::vector<Finding>& out);

}  // namespace

const char* level_name(Level level) {
  switch (level) {
    case Level::ok:
      return "ok";
    case Level::warning:
      return "warning";
    case Level::problem:
      return "PROBLEM";
    case Level::skipped:
      return "skipped";
  }
  return "?";
}

std::vector<Finding> inspect_site(Store& store, std::chrono::milliseconds real_viewer_ttl) {
  std::vector<Finding> out;
  try {
    inspect(store, real_viewer_ttl, out);
  } catch (const std::exception& e) {
    // An account without the rights to look (the daemon's own, least
    // privilege) still runs: say what could not be checked.
    if (!is_database_error(e)) throw;
    out.push_back({Level::skipped, "the checks after the last line above: " + error_text(e) +
                                       " (an administrator's 'engagementd doctor' runs them)"});
  }
  return out;
}

namespace {

void inspect(Store& store, std::chrono::milliseconds real_viewer_ttl, std::vector<Finding>& out) {
  const int have = inspect_schema(store, out);
  if (store.has_table("stream_viewers")) inspect_viewers(store, real_viewer_ttl, out);
  inspect_triggers(store, have, out);
  inspect_records(store, have, out);
  inspect_cluster(store, out);  // a Galera cluster's size, node and needs (nothing elsewhere)
}

// The schema version, the site's tables and columns, the badge, the replay
// table's layout. Returns the schema version.
int inspect_schema(Store& store, std::vector<Finding>& out) {
  const auto add = [&](Level level, std::string text) { out.push_back({level, std::move(text)}); };
  const int have = store.schema_version();
  const int want = Store::latest_schema_version(store.backend());
  if (have == want) {
    add(Level::ok, "schema version " + std::to_string(have) + " (this engagementd's)");
  } else if (have < want) {
    add(Level::problem, "schema version " + std::to_string(have) + ", this engagementd needs " +
                            std::to_string(want) +
                            ": run 'engagementd migrate' as an administrator");
  } else {
    add(Level::problem, "schema version " + std::to_string(have) +
                            " is newer than this engagementd knows (" + std::to_string(want) +
                            "): upgrade engagementd");
  }

  for (const Needs& n : site_needs()) {
    if (!store.has_table(n.table)) {
      add(Level::problem, std::string("table ") + n.table + " is missing");
      continue;
    }
    std::string missing;
    for (const char* c : n.columns) {
      if (!store.has_column(n.table, c)) missing += std::string(missing.empty() ? "" : ", ") + c;
    }
    if (missing.empty()) {
      add(Level::ok, std::string("table ") + n.table + ": every column engagementd uses is there");
    } else {
      add(Level::problem, std::string("table ") + n.table + " lacks " + missing);
    }
  }
  if (store.has_table("live_streams")) {
    if (store.has_column("live_streams", "includes_simulated")) {
      add(Level::ok, "live_streams.includes_simulated (the badge flag) is there");
    } else {
      add(Level::problem, "live_streams.includes_simulated is missing: run 'engagementd migrate'");
    }
    add(Level::ok, "display numbers are clamped to " + std::to_string(store.display_limit()) +
                       ", the largest value every display column holds");
  }

  const SavedStreamsLayout layout = store.saved_streams_layout();
  add(layout == SavedStreamsLayout::dump_unlinked || layout == SavedStreamsLayout::unknown
          ? Level::warning
          : Level::ok,
      std::string("saved_streams: ") + describe(layout));
  return have;
}

// The heartbeat column and the old generator's rows (stream_viewers is there).
void inspect_viewers(Store& store, std::chrono::milliseconds real_viewer_ttl,
                     std::vector<Finding>& out) {
  const auto add = [&](Level level, std::string text) { out.push_back({level, std::move(text)}); };
  if (store.has_column("stream_viewers", "last_seen_at")) {
    // Sessions opened in the last hour, long enough ago that a page that
    // keeps the heartbeat has set it (two TTLs): none of them with one
    // means the site does not keep it. Older sessions may predate migrate.
    const long long ttl_s = std::max<long long>(1, real_viewer_ttl.count() / 1000);
    const HeartbeatCounts beats = count_heartbeats(store, std::chrono::seconds(2 * ttl_s));
    const std::string ttl = std::to_string(real_viewer_ttl.count() / 1000) + " s";
    if (beats.settled > 0 && beats.settled_beating == 0) {
      add(Level::warning,
          "stream_viewers.last_seen_at is there but no session opened in the last hour has a "
          "heartbeat: a real "
          "viewer counts for " +
              ttl +
              " after joining only. Install the PHP kit (php/install.sh), whose pages keep it");
    } else {
      add(Level::ok,
          "heartbeat column stream_viewers.last_seen_at: a real viewer counts while "
          "seen within " +
              ttl + " (" + std::to_string(beats.open_beating) + " of " +
              std::to_string(beats.open) + " open sessions have a heartbeat)");
    }
  } else {
    add(Level::warning,
        "no heartbeat column (stream_viewers.last_seen_at): a closed tab counts as a viewer "
        "until the site sets left_at; 'engagementd migrate' adds it");
  }
  // The old generator wrote is_fake = 1 rows: it is still running somewhere.
  long long fake = 0;
  bool interactions_read = false;
  if (store.has_column("stream_viewers", "is_fake")) fake += count_recent_fake_viewers(store);
  if (store.has_column("stream_interactions", "is_fake") &&
      store.has_column("stream_interactions", "created_at")) {
    fake += count_recent_fake_interactions(store);
    interactions_read = true;
  } else if (store.backend() == Backend::mysql && store.has_table("stream_interactions") &&
             !holds_on_database(store, "SELECT")) {
    // A column this account may not read is not listed to it either.
    add(Level::skipped,
        "is_fake = 1 interactions written in the last hour (the old generator still running): "
        "needs SELECT (created_at) on stream_interactions, if the table has that column");
  }
  if (fake > 0) {
    add(Level::warning, std::to_string(fake) +
                            " is_fake = 1 row(s) written in the last hour: the site's old "
                            "generator is still running (never counted as real; install the "
                            "PHP kit, php/install.sh, to retire it)");
  } else {
    add(Level::ok, interactions_read
                       ? "no is_fake = 1 rows written in the last hour (the old generator is off)"
                       : "no is_fake = 1 stream_viewers rows written in the last hour");
  }
}

// Triggers are listed only to accounts with the TRIGGER privilege on
// their tables (information_schema.triggers); SQLite's have no definer.
void inspect_triggers(Store& store, int have, std::vector<Finding>& out) {
  const auto add = [&](Level level, std::string text) { out.push_back({level, std::move(text)}); };
  if (const auto listed = engagementd_triggers(store)) {
    std::size_t triggers = 0, hidden = 0;
    std::set<std::string> definers;
    const std::string own = trigger_user(current_database(store)) + "@localhost";
    for (const TriggerInfo& t : *listed) {
      const std::string &name = t.name, &table = t.table, &definer = t.definer;
      ++triggers;
      if (definer.empty()) {
        ++hidden;
        continue;
      }
      definers.insert(definer);
      if (definer == own) {
        add(Level::ok,
            "trigger " + name + " on " + table + " runs as its own locked account " + definer);
      } else {
        add(Level::warning, "trigger " + name + " on " + table + " runs as " + definer +
                                ": dropping or renaming that account makes the site's writes "
                                "to " +
                                table +
                                " fail; 'engagementd migrate' as an "
                                "administrator gives it its own locked account " +
                                own);
      }
    }
    // None listed: none there, or this account may not see them; listed
    // without their DEFINER: some of them only.
    const bool visible = (triggers > 0 && hidden == 0) || holds_on_database(store, "TRIGGER");
    if (!visible && have >= 6) {
      add(Level::skipped,
          "engagementd's triggers (that they are all there, run as their own locked account, "
          "and that their DEFINER accounts exist; " +
              std::to_string(triggers) +
              " listed to this account without their DEFINER): needs the TRIGGER privilege on "
              "stream_viewers, stream_interactions, stream_engagement_config and live_streams; "
              "'engagementd recount --check' shows whether the kept counts drift");
    } else if (triggers == 0 && have >= 6) {
      add(Level::warning,
          "no engagementd trigger is there: the kept real counts do not follow the site's "
          "writes; 'engagementd migrate' as an administrator makes them again "
          "('engagementd recount --check' shows the drift)");
    }
    // A trigger whose table is gone, or whose DEFINER account is gone, fails
    // the site's own writes (MariaDB opens a trigger's tables with the
    // statement): only 'engagementd uninstall' (or migrate) mends that.
    // Checked also when the triggers are not visible: migrate made them
    // with the version that made the table.
    struct TriggerTable {
      int since;          // the migration that creates it
      const char* table;  // the table the triggers insert into
      const char* site;   // the site's tables whose writes then fail
    };
    for (const TriggerTable& t :
         {TriggerTable{8, "engagementd_real_deltas", "stream_viewers and stream_interactions"},
          TriggerTable{11, "engagementd_stream_changes", "stream_engagement_config"}}) {
      if ((visible && triggers == 0) || have < t.since || store.has_table(t.table)) continue;
      add(Level::problem,
          std::string(t.table) + " is missing" +
              (visible ? "" : " (or this account may not read it)") +
              " while engagementd's triggers are on the site's tables: the site's writes to " +
              t.site +
              " fail. Rename it back, or run 'engagementd uninstall' (it removes the triggers "
              "first; 'engagementd migrate' then puts everything back)");
    }
    // mysql.user may be unreadable to this account: then that check is
    // named as skipped.
    bool checked = true;
    std::string missing;
    for (const std::string& d : definers) {
      const auto at = d.rfind('@');
      if (at == std::string::npos) continue;
      const auto n = count_accounts(store, d.substr(0, at), d.substr(at + 1));
      if (!n) {
        checked = false;
        break;
      }
      if (*n == 0) missing += (missing.empty() ? "" : ", ") + d;
    }
    if (!checked && visible) {
      add(Level::skipped,
          "that the triggers' DEFINER accounts exist (a missing one fails the site's writes): "
          "needs SELECT on mysql.user");
    } else if (!missing.empty()) {
      add(Level::problem, "the triggers' DEFINER account " + missing +
                              " does not exist: the site's writes to those tables fail. "
                              "Recreate that account, or run 'engagementd uninstall' "
                              "then 'engagementd migrate' as an existing account");
    }
  }
}

// What the daemon and migrate left: streams set aside lately, the migration lock.
void inspect_records(Store& store, int have, std::vector<Finding>& out) {
  const auto add = [&](Level level, std::string text) { out.push_back({level, std::move(text)}); };
  if (have >= 5 && store.has_table("engagementd_audit")) {
    // Streams the daemon set aside lately, with the cause it recorded.
    for (const SetAside& a : recent_set_asides(store, store.now_ms() - 24LL * 60 * 60 * 1000)) {
      add(Level::warning,
          "stream=" + std::to_string(a.stream_id) + " was set aside in the last 24 h: " + a.detail);
    }
  }

  // Every migrate on MariaDB/MySQL makes the lock's table: not seeing it
  // is not having the right to.
  if (store.backend() == Backend::mysql && have > 0 &&
      !store.has_table("engagementd_migration_lock")) {
    add(Level::skipped,
        "the migration lock (a migrate running, or one killed that left its row): needs SELECT "
        "on engagementd_migration_lock");
  }
  if (store.backend() == Backend::mysql && store.has_table("engagementd_migration_lock")) {
    try {
      inspect_migration_lock(store, out);
    } catch (const std::exception& e) {
      if (!is_database_error(e)) throw;
      add(Level::warning, "the migration lock could not be read: " + error_text(e));
    }
  }
}

// A migrate running, or one that was killed and left its row.
void inspect_migration_lock(Store& store, std::vector<Finding>& out) {
  const std::optional<MigrationLockSeen> m = read_migration_lock(session_of(store));
  if (!m) return;
  const auto secs = [](std::int64_t ms) {
    return std::to_string(std::max<std::int64_t>(0, ms) / 1000);
  };
  const std::int64_t stale = MigrationLock::kStale.count();
  if (m->session_alive == true) {
    out.push_back({Level::ok, "a migrate is running: " + m->holder + ", for " +
                                  secs(m->claimed_ago_ms) + " s"});
  } else if (m->session_alive == false) {
    out.push_back({Level::warning,
                   "the migration lock was left by a migrate whose session is gone (killed or "
                   "interrupted) " +
                       secs(m->claimed_ago_ms) + " s ago: " + m->holder +
                       ". The next 'engagementd migrate' takes it over at once"});
  } else if (m->renewed_ago_ms >= stale) {
    out.push_back({Level::warning, "the migration lock of " + m->holder + " was last renewed " +
                                       std::to_string(m->renewed_ago_ms / 60000) +
                                       " min ago: that migrate stopped. The next 'engagementd "
                                       "migrate' takes it over"});
  } else {
    out.push_back(
        {Level::warning,
         "the migration lock is held by " + m->holder + ", renewed " + secs(m->renewed_ago_ms) +
             " s ago: a migrate is running, or stopped less than " + std::to_string(stale / 60000) +
             " min ago (the next one then waits until that long after its last "
             "renewal)"});
  }
}

}  // namespace

}  // namespace engagementd
