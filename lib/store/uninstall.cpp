#include "store/uninstall.hpp"

#include <soci/soci.h>

#include <limits>

#include "store/per_dialect.hpp"
#include "store/session.hpp"
#include "store/sql_dialect.hpp"
#include "store/trigger_account.hpp"

namespace engagementd {
namespace {

struct UninstallStatements {
  const char* has_trigger;  // :name
  const char* has_index;    // :table, :name
  // A column's comment (:table, :column); nullptr: the database keeps no
  // column comments (SQLite).
  const char* column_comment;
  const char* count_rows;  // {table}
  const char* drop_trigger;
  const char* drop_table;
  // nullptr: no account of the triggers' own (SQLite has no accounts).
  const char* drop_account;
  const char* drop_index;
  const char* drop_column;
  const char* count_where;  // {table}, {condition}
  // Every live stream's display columns set to its real numbers: {fresh}
  // is the heartbeat condition on sv (or nothing; :ttl in seconds), {only}
  // narrows them (to the badged ones, or nothing).
  const char* show_real;
  // Then max_viewers from the viewers just set ({real_peak}, {only}).
  const char* show_real_peak;
  // Then the badge off ({only}).
  const char* badge_off;
  const char* fresh_condition;  // :ttl
};

// Every live stream's display columns set to its real numbers (the same
// text in both dialects).
constexpr const char* kShowRealNumbers =
    "UPDATE live_streams SET"
    " viewer_count = (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id = live_streams.id"
    "   AND sv.is_fake = 0 AND sv.left_at IS NULL{fresh}),"
    " like_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
    "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'like'),"
    " dislike_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
    "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
    " comment_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
    "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'comment')"
    " WHERE status = 'live'{only}";

constexpr UninstallStatements kMysql = {
    "SELECT COUNT(*) FROM information_schema.triggers"
    " WHERE trigger_schema = DATABASE() AND trigger_name = :name",
    "SELECT COUNT(*) FROM information_schema.statistics"
    " WHERE table_schema = DATABASE() AND table_name = :table AND index_name = :name",
    "SELECT column_comment FROM information_schema.columns"
    " WHERE table_schema = DATABASE() AND table_name = :table AND column_name = :column",
    "SELECT COUNT(*) FROM {table}",
    "DROP TRIGGER {trigger}",
    "DROP TABLE {table}",
    "DROP USER IF EXISTS {account}",
    "DROP INDEX {index} ON {table}",
    "ALTER TABLE {table} DROP COLUMN {column}",
    "SELECT COUNT(*) FROM {table} WHERE {condition}",
    kShowRealNumbers,
    "UPDATE live_streams SET max_viewers = GREATEST(viewer_count, COALESCE({real_peak}, 0))"
    " WHERE status = 'live'{only}",
    "UPDATE live_streams SET includes_simulated = 0 WHERE status = 'live'{only}",
    " AND COALESCE(sv.last_seen_at, sv.joined_at) >= NOW() - INTERVAL :ttl SECOND",
};

constexpr UninstallStatements kSqlite = {
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = :name",
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
    " AND name = :name",
    nullptr,
    "SELECT COUNT(*) FROM {table}",
    "DROP TRIGGER {trigger}",
    "DROP TABLE {table}",
    nullptr,
    "DROP INDEX {index}",
    "ALTER TABLE {table} DROP COLUMN {column}",
    "SELECT COUNT(*) FROM {table} WHERE {condition}",
    kShowRealNumbers,
    "UPDATE live_streams SET max_viewers = MAX(viewer_count, COALESCE({real_peak}, 0))"
    " WHERE status = 'live'{only}",
    "UPDATE live_streams SET includes_simulated = 0 WHERE status = 'live'{only}",
    " AND COALESCE(sv.last_seen_at, sv.joined_at) >= datetime('now', '-' || :ttl || ' seconds')",
};

const UninstallStatements& statements(const Store& store) {
  return per_dialect(store.backend(), kMysql, kSqlite);
}

// The triggers migrate creates, on which table.
const std::vector<std::pair<const char*, const char*>>& our_triggers() {
  static const std::vector<std::pair<const char*, const char*>> triggers = {
      {"engagementd_viewers_insert", "stream_viewers"},
      {"engagementd_viewers_update", "stream_viewers"},
      {"engagementd_viewers_delete", "stream_viewers"},
      {"engagementd_interactions_insert", "stream_interactions"},
      {"engagementd_interactions_update", "stream_interactions"},
      {"engagementd_interactions_delete", "stream_interactions"},
      {"engagementd_config_insert", "stream_engagement_config"},
      {"engagementd_config_update", "stream_engagement_config"},
      {"engagementd_config_delete", "stream_engagement_config"},
      {"live_streams_stream_key", "live_streams"},
      {"engagementd_audit_no_update", "engagementd_audit"},
      {"engagementd_audit_no_delete", "engagementd_audit"},
  };
  return triggers;
}

// The index that goes with saved_streams.stream_id (007): kept with it.
constexpr const char* kReplayLinkIndex = "idx_saved_streams_stream_id";

// Indexes migrate adds to the site's tables (002, 007), by table.
const std::vector<std::pair<const char*, const char*>>& our_indexes() {
  static const std::vector<std::pair<const char*, const char*>> indexes = {
      {"uq_live_streams_stream_key", "live_streams"},
      {"idx_live_streams_status", "live_streams"},
      {"idx_stream_viewers_stream", "stream_viewers"},
      {"idx_stream_interactions_stream", "stream_interactions"},
      {"idx_saved_streams_stream_id", "saved_streams"},
  };
  return indexes;
}

// The tables engagementd owns; the ones whose rows are the record of what
// happened (and cannot be made again) are asked about.
const std::vector<std::pair<const char*, bool>>& our_tables() {
  static const std::vector<std::pair<const char*, bool>> tables = {
      // First: a daemon still running stands by at its next tick (its
      // schema is gone) rather than fail on the tables dropped after.
      {"engagementd_schema_version", false}, {"engagementd_real_deltas", false},
      {"engagementd_stream_changes", false}, {"engagementd_real_counts", false},
      {"engagementd_stream_state", false},   {"engagementd_leader", false},
      {"engagementd_stream_summary", true},  {"engagementd_audit", true},
      {"engagementd_migration_lock", false}, {"engagementd_instances", false},
  };
  return tables;
}

bool has_trigger(Store& store, const std::string& name) {
  long long n = 0;
  session_of(store) << statements(store).has_trigger, soci::use(name), soci::into(n);
  return n > 0;
}

bool has_index(Store& store, const std::string& table, const std::string& name) {
  long long n = 0;
  session_of(store) << statements(store).has_index, soci::use(table), soci::use(name),
      soci::into(n);
  return n > 0;
}

// The column's comment; none where the database keeps no comments.
std::optional<std::string> column_comment(Store& store, const std::string& table,
                                          const std::string& column) {
  const char* query = statements(store).column_comment;
  if (query == nullptr) return std::nullopt;
  std::string comment;
  session_of(store) << query, soci::use(table), soci::use(column), soci::into(comment);
  return comment;
}

}  // namespace

UninstallPlan plan_uninstall(Store& store, bool purge) {
  const UninstallStatements& s = statements(store);
  UninstallPlan plan;
  const auto count_where = [&](const std::string& table, const std::string& condition) {
    long long n = 0;
    session_of(store) << with_names(s.count_where,
                                    {{"{table}", table}, {"{condition}", condition}}),
        soci::into(n);
    return n;
  };
  const auto rows = [](long long n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  if (store.has_table("live_streams")) {
    plan.live_streams = count_where("live_streams", "status = 'live'");
    if (store.has_column("live_streams", "includes_simulated")) {
      plan.live_simulated =
          count_where("live_streams", "status = 'live' AND includes_simulated <> 0");
    }
  }
  for (const auto& [name, table] : our_triggers()) {
    if (!has_trigger(store, name)) continue;
    plan.steps.push_back({with_names(s.drop_trigger, {{"{trigger}", name}}),
                          std::string("trigger ") + name + " on " + table});
    if (std::string(name) == "live_streams_stream_key") {
      plan.consequences.push_back(
          "without live_streams_stream_key an INSERT into live_streams that gives no stream_key "
          "gets an empty key again, and a second such row fails on the unique index: the site's "
          "code must set stream_key itself (its start.php does since its own key fix)");
    }
  }
  // The version table goes first of all (our_tables): the triggers write
  // into tables that stay until after them.
  std::vector<UninstallPlan::Step> tables;
  for (const auto& [table, keeps_record] : our_tables()) {
    if (!store.has_table(table)) continue;
    long long n = 0;
    session_of(store) << with_names(s.count_rows, {{"{table}", table}}), soci::into(n);
    if (keeps_record && n > 0)
      plan.data.push_back(std::string(table) + " (" + rows(n, "row", "rows") + ")");
    tables.push_back({with_names(s.drop_table, {{"{table}", table}}),
                      std::string("table ") + table + " (" + rows(n, "row", "rows") + ")"});
  }
  if (!tables.empty() && tables.front().what.rfind(std::string("table ") + kVersionTable, 0) == 0) {
    plan.steps.insert(plan.steps.begin(), tables.front());
    tables.erase(tables.begin());
  }
  plan.steps.insert(plan.steps.end(), tables.begin(), tables.end());
  // The triggers' own locked account, once no trigger runs as it.
  if (s.drop_account != nullptr) {
    const std::string database = current_database(store);
    // Unknown (mysql.user unreadable): DROP USER IF EXISTS says.
    if (count_accounts(store, trigger_user(database)).value_or(1) > 0) {
      plan.steps.push_back({with_names(s.drop_account, {{"{account}", trigger_account(database)}}),
                            "account " + trigger_account(database) + " (the triggers' own)"});
    }
  }
  // Indexes before columns: SQLite cannot drop an indexed column.
  for (const auto& [name, table] : our_indexes()) {
    if (!store.has_table(table) || !has_index(store, table, name)) continue;
    if (!purge && std::string(name) == kReplayLinkIndex) {
      plan.kept.push_back(std::string("index ") + name + " on " + table +
                          " (finds a stream's replay row)");
      continue;
    }
    plan.steps.push_back({with_names(s.drop_index, {{"{index}", name}, {"{table}", table}}),
                          std::string("index ") + name + " on " + table});
  }
  struct Column {
    const char* table;
    const char* column;
    const char* set;   // the condition of a row holding a value
    const char* one;   // what such a row is
    const char* many;  // and several
    const char* why;   // what the site's pages do with it
  };
  const std::vector<Column> columns = {
      {"live_streams", "includes_simulated", "includes_simulated <> 0", "stream with the badge on",
       "streams with the badge on",
       "the badge flag: a stream whose numbers include simulated ones keeps saying so"},
      {"stream_viewers", "last_seen_at", "last_seen_at IS NOT NULL", "session with a heartbeat",
       "sessions with a heartbeat",
       "the heartbeat the kit's pages keep, by which they count real viewers"},
      {"saved_streams", "stream_id", "stream_id IS NOT NULL", "replay link", "replay links",
       "the replay links: a replay row's stream, its numbers and its badge"}};
  for (const Column& c : columns) {
    if (!store.has_column(c.table, c.column)) continue;
    // A column migrate added: its comment says so. Without comments
    // (SQLite) its name is one only engagementd adds, except
    // saved_streams.stream_id, which may be the site's own (its migration
    // shape). includes_simulated has no comment (migration 005 predates
    // them): only engagementd adds a column of that name.
    bool ours = true;
    if (std::string(c.column) != "includes_simulated") {
      if (const auto comment = column_comment(store, c.table, c.column)) {
        ours = comment->find("engagementd") != std::string::npos;
      } else {
        ours = !(std::string(c.table) == "saved_streams" &&
                 store.saved_streams_layout() == SavedStreamsLayout::migration);
      }
    }
    if (!ours) continue;
    const std::string name = std::string(c.table) + "." + c.column;
    const std::string held = rows(count_where(c.table, c.set), c.one, c.many);
    if (!purge) {
      plan.kept.push_back("column " + name + " (" + held + "): " + c.why);
      continue;
    }
    if (std::string(c.column) != "last_seen_at" && count_where(c.table, c.set) > 0) {
      plan.data.push_back(name + " (" + held + ")");
    }
    plan.steps.push_back({with_names(s.drop_column, {{"{table}", c.table}, {"{column}", c.column}}),
                          "column " + name + " (" + held + ")"});
  }
  return plan;
}

std::vector<FreshLease> fresh_leases(Store& store) {
  std::vector<FreshLease> out;
  if (!store.has_table("engagementd_leader")) return out;
  const std::int64_t now = store.now_ms();
  for (const ShardLeaseSeen& l : store.shard_leases(std::numeric_limits<int>::max())) {
    if (l.holder.empty() || l.expires_ms <= now) continue;
    out.push_back({l.shard, l.holder, l.expires_ms - now});
  }
  return out;
}

long long show_real_numbers(Store& store, std::chrono::milliseconds real_viewer_ttl,
                            bool only_badged) {
  const UninstallStatements& s = statements(store);
  if (!store.has_table("live_streams")) return 0;
  const bool badge = store.has_column("live_streams", "includes_simulated");
  if (only_badged && !badge) return 0;
  const bool heartbeat = store.has_column("stream_viewers", "last_seen_at");
  const bool peak = store.has_table("engagementd_stream_state") &&
                    store.has_column("engagementd_stream_state", "real_peak");
  const std::string only = only_badged ? " AND includes_simulated <> 0" : "";
  const std::string text =
      with_names(s.show_real, {{"{fresh}", heartbeat ? s.fresh_condition : ""}, {"{only}", only}});
  long long ttl = std::max<long long>(1, real_viewer_ttl.count() / 1000);
  soci::statement st(session_of(store));
  if (heartbeat) st.exchange(soci::use(ttl));
  st.alloc();
  st.prepare(text);
  st.define_and_bind();
  st.execute(true);
  const long long changed = st.get_affected_rows();
  // The real peak the daemon kept (its state row), at least the viewers now.
  session_of(store) << with_names(
      s.show_real_peak,
      {{"{real_peak}", peak ? "(SELECT st.real_peak FROM engagementd_stream_state st"
                              " WHERE st.stream_id = live_streams.id AND st.finalized_ms IS NULL)"
                            : "NULL"},
       {"{only}", only}});
  long long unbadged = 0;
  if (badge) {
    soci::statement off(session_of(store));
    off.alloc();
    off.prepare(with_names(s.badge_off, {{"{only}", only}}));
    off.define_and_bind();
    off.execute(true);
    unbadged = off.get_affected_rows();
  }
  return std::max(changed, unbadged);
}

UninstallDone run_uninstall(Store& store, const UninstallPlan& plan,
                            std::chrono::milliseconds real_viewer_ttl, bool again) {
  UninstallDone done;
  {
    soci::transaction tx(session_of(store));
    done.real_numbers = show_real_numbers(store, real_viewer_ttl, false);
    tx.commit();
  }
  for (const UninstallPlan::Step& step : plan.steps) {
    session_of(store) << step.sql;
    ++done.steps;
  }
  if (again) {
    // A daemon still running (--force) may have committed a tick since the
    // first pass; its tables are gone now, so nothing writes after this.
    // Its real peak went with them: max_viewers is the viewers now.
    soci::transaction tx(session_of(store));
    done.real_again = show_real_numbers(store, real_viewer_ttl, true);
    tx.commit();
  }
  return done;
}

}  // namespace engagementd
