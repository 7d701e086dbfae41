#include "store/uninstall.hpp"

#include <soci/soci.h>

#include <limits>

#include "store/per_dialect.hpp"
#include "store/session.hpp"
#include "store/sql_dialect.hpp"
#include "store/trigger_account.hpp"

namespace engagementd {
namespace {

const SqlDialect& statements(const Store& store) {
  return dialect_for(store.backend());
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
  session_of(store) << statements(store)[Sql::has_trigger], soci::use(name), soci::into(n);
  return n > 0;
}

bool has_index(Store& store, const std::string& table, const std::string& name) {
  long long n = 0;
  session_of(store) << statements(store)[Sql::has_index], soci::use(table), soci::use(name), soci::into(n);
  return n > 0;
}

// The column's comment; none where the database keeps no comments.
std::optional<std::string> column_comment(Store& store, const std::string& table,
                                          const std::string& column) {
  const SqlDialect& d = statements(store);
  if (!d.has(Sql::column_comment)) return std::nullopt;
  std::string comment;
  session_of(store) << d[Sql::column_comment], soci::use(table), soci::use(column), soci::into(comment);
  return comment;
}

long long count_of(Store& store, Sql statement) {
  long long n = 0;
  session_of(store) << statements(store)[statement], soci::into(n);
  return n;
}

std::string rows_text(long long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void plan_triggers(Store& store, UninstallPlan& plan) {
  const SqlDialect& s = statements(store);
  for (const auto& [name, table] : our_triggers()) {
    if (!has_trigger(store, name)) continue;
    plan.steps.push_back({with_names(s[Sql::drop_trigger], {{"{trigger}", name}}),
                          std::string("trigger ") + name + " on " + table});
    if (std::string(name) == "live_streams_stream_key") {
      plan.consequences.push_back(
          "without live_streams_stream_key an INSERT into live_streams that gives no stream_key "
          "gets an empty key again, and a second such row fails on the unique index: the site's "
          "code must set stream_key itself (its start.php does since its own key fix)");
    }
  }
}

void plan_tables(Store& store, UninstallPlan& plan) {
  const SqlDialect& s = statements(store);
  // The version table goes first of all (our_tables): the triggers write
  // into tables that stay until after them.
  std::vector<UninstallPlan::Step> tables;
  for (const auto& [table, keeps_record] : our_tables()) {
    if (!store.has_table(table)) continue;
    long long n = 0;
    session_of(store) << with_names(s[Sql::count_rows], {{"{table}", table}}), soci::into(n);
    if (keeps_record && n > 0)
      plan.data.push_back(std::string(table) + " (" + rows_text(n, "row", "rows") + ")");
    tables.push_back({with_names(s[Sql::drop_table], {{"{table}", table}}),
                      std::string("table ") + table + " (" + rows_text(n, "row", "rows") + ")"});
  }
  if (!tables.empty() && tables.front().what.rfind(std::string("table ") + kVersionTable, 0) == 0) {
    plan.steps.insert(plan.steps.begin(), tables.front());
    tables.erase(tables.begin());
  }
  plan.steps.insert(plan.steps.end(), tables.begin(), tables.end());
}

// The triggers' own locked account, once no trigger runs as it.
void plan_trigger_account(Store& store, UninstallPlan& plan) {
  const SqlDialect& s = statements(store);
  if (!s.has(Sql::drop_account)) return;
  const std::string database = current_database(store);
  // Unknown (mysql.user unreadable): DROP USER IF EXISTS says.
  if (count_accounts(store, trigger_user(database)).value_or(1) > 0) {
    plan.steps.push_back({with_names(s[Sql::drop_account], {{"{account}", trigger_account(database)}}),
                          "account " + trigger_account(database) + " (the triggers' own)"});
  }
}

void plan_indexes(Store& store, bool purge, UninstallPlan& plan) {
  const SqlDialect& s = statements(store);
  for (const auto& [name, table] : our_indexes()) {
    if (!store.has_table(table) || !has_index(store, table, name)) continue;
    if (!purge && std::string(name) == kReplayLinkIndex) {
      plan.kept.push_back(std::string("index ") + name + " on " + table +
                          " (finds a stream's replay row)");
      continue;
    }
    plan.steps.push_back({with_names(s[Sql::drop_index], {{"{index}", name}, {"{table}", table}}),
                          std::string("index ") + name + " on " + table});
  }
}

// A column migrate adds to the site's tables.
struct OurColumn {
  const char* table;
  const char* column;
  Sql count;         // the rows holding a value
  const char* one;   // what such a row is
  const char* many;  // and several
  const char* why;   // what the site's pages do with it
};

const std::vector<OurColumn>& our_columns() {
  static const std::vector<OurColumn> columns = {
      {"live_streams", "includes_simulated", Sql::count_badged_rows, "stream with the badge on",
       "streams with the badge on",
       "the badge flag: a stream whose numbers include simulated ones keeps saying so"},
      {"stream_viewers", "last_seen_at", Sql::count_beating_sessions, "session with a heartbeat",
       "sessions with a heartbeat",
       "the heartbeat the kit's pages keep, by which they count real viewers"},
      {"saved_streams", "stream_id", Sql::count_replay_links, "replay link", "replay links",
       "the replay links: a replay row's stream, its numbers and its badge"}};
  return columns;
}

// Whether migrate added the column (rather than the site).
bool column_is_ours(Store& store, const OurColumn& c) {
  // A column migrate added: its comment says so. Without comments
  // (SQLite) its name is one only engagementd adds, except
  // saved_streams.stream_id, which may be the site's own (its migration
  // shape). includes_simulated has no comment (migration 005 predates
  // them): only engagementd adds a column of that name.
  if (std::string(c.column) == "includes_simulated") return true;
  if (const auto comment = column_comment(store, c.table, c.column)) {
    return comment->find("engagementd") != std::string::npos;
  }
  return !(std::string(c.table) == "saved_streams" &&
           store.saved_streams_layout() == SavedStreamsLayout::migration);
}

void plan_columns(Store& store, bool purge, UninstallPlan& plan) {
  const SqlDialect& s = statements(store);
  for (const OurColumn& c : our_columns()) {
    if (!store.has_column(c.table, c.column)) continue;
    if (!column_is_ours(store, c)) continue;
    const std::string name = std::string(c.table) + "." + c.column;
    const std::string held = rows_text(count_of(store, c.count), c.one, c.many);
    if (!purge) {
      plan.kept.push_back("column " + name + " (" + held + "): " + c.why);
      continue;
    }
    if (std::string(c.column) != "last_seen_at" && count_of(store, c.count) > 0) {
      plan.data.push_back(name + " (" + held + ")");
    }
    plan.steps.push_back({with_names(s[Sql::drop_column], {{"{table}", c.table}, {"{column}", c.column}}),
                          "column " + name + " (" + held + ")"});
  }
}

}  // namespace

UninstallPlan plan_uninstall(Store& store, bool purge) {
  UninstallPlan plan;
  if (store.has_table("live_streams")) {
    plan.live_streams = count_of(store, Sql::count_live_streams);
    if (store.has_column("live_streams", "includes_simulated")) {
      plan.live_simulated = count_of(store, Sql::count_badged_streams);
    }
  }
  plan_triggers(store, plan);
  plan_tables(store, plan);
  plan_trigger_account(store, plan);
  // Indexes before columns: SQLite cannot drop an indexed column.
  plan_indexes(store, purge, plan);
  plan_columns(store, purge, plan);
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
  const SqlDialect& s = statements(store);
  if (!store.has_table("live_streams")) return 0;
  const bool badge = store.has_column("live_streams", "includes_simulated");
  if (only_badged && !badge) return 0;
  const bool heartbeat = store.has_column("stream_viewers", "last_seen_at");
  const bool peak = store.has_table("engagementd_stream_state") &&
                    store.has_column("engagementd_stream_state", "real_peak");
  // Each statement for every live stream, or (only_badged) the badged ones.
  const Sql numbers = heartbeat ? (only_badged ? Sql::show_fresh_real_numbers_badged
                                               : Sql::show_fresh_real_numbers)
                                : (only_badged ? Sql::show_real_numbers_badged
                                               : Sql::show_real_numbers);
  const Sql peak_of = peak ? (only_badged ? Sql::show_real_peak_badged : Sql::show_real_peak)
                           : (only_badged ? Sql::show_viewers_as_peak_badged
                                          : Sql::show_viewers_as_peak);
  long long ttl = std::max<long long>(1, real_viewer_ttl.count() / 1000);
  soci::statement st(session_of(store));
  if (heartbeat) st.exchange(soci::use(ttl));
  st.alloc();
  st.prepare(s[numbers]);
  st.define_and_bind();
  st.execute(true);
  const long long changed = st.get_affected_rows();
  // The real peak the daemon kept (its state row), at least the viewers now.
  session_of(store) << s[peak_of];
  long long unbadged = 0;
  if (badge) {
    soci::statement off(session_of(store));
    off.alloc();
    off.prepare(s[only_badged ? Sql::badge_off_badged : Sql::badge_off]);
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
