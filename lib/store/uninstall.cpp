#include "store/uninstall.hpp"

#include <soci/soci.h>

#include "store/per_dialect.hpp"
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
};

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
      {"engagementd_real_deltas", false},    {"engagementd_stream_changes", false},
      {"engagementd_real_counts", false},    {"engagementd_stream_state", false},
      {"engagementd_leader", false},         {"engagementd_stream_summary", true},
      {"engagementd_audit", true},           {"engagementd_schema_version", false},
      {"engagementd_migration_lock", false}, {"engagementd_instances", false},
  };
  return tables;
}

bool has_trigger(Store& store, const std::string& name) {
  long long n = 0;
  store.session() << statements(store).has_trigger, soci::use(name), soci::into(n);
  return n > 0;
}

bool has_index(Store& store, const std::string& table, const std::string& name) {
  long long n = 0;
  store.session() << statements(store).has_index, soci::use(table), soci::use(name), soci::into(n);
  return n > 0;
}

// The column's comment; none where the database keeps no comments.
std::optional<std::string> column_comment(Store& store, const std::string& table,
                                          const std::string& column) {
  const char* query = statements(store).column_comment;
  if (query == nullptr) return std::nullopt;
  std::string comment;
  store.session() << query, soci::use(table), soci::use(column), soci::into(comment);
  return comment;
}

}  // namespace

UninstallPlan plan_uninstall(Store& store) {
  const UninstallStatements& s = statements(store);
  UninstallPlan plan;
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
  for (const auto& [table, keeps_record] : our_tables()) {
    if (!store.has_table(table)) continue;
    if (keeps_record) {
      long long rows = 0;
      store.session() << with_names(s.count_rows, {{"{table}", table}}), soci::into(rows);
      if (rows > 0) plan.data.emplace_back(table, rows);
    }
    plan.steps.push_back(
        {with_names(s.drop_table, {{"{table}", table}}), std::string("table ") + table});
  }
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
    plan.steps.push_back({with_names(s.drop_index, {{"{index}", name}, {"{table}", table}}),
                          std::string("index ") + name + " on " + table});
  }
  const std::vector<std::pair<const char*, const char*>> columns = {
      {"live_streams", "includes_simulated"},
      {"stream_viewers", "last_seen_at"},
      {"saved_streams", "stream_id"}};
  for (const auto& [table, column] : columns) {
    if (!store.has_column(table, column)) continue;
    // A column migrate added: its comment says so. Without comments
    // (SQLite) its name is one only engagementd adds, except
    // saved_streams.stream_id, which may be the site's own (its migration
    // shape). includes_simulated has no comment (migration 005 predates
    // them): only engagementd adds a column of that name.
    bool ours = true;
    if (std::string(column) != "includes_simulated") {
      if (const auto comment = column_comment(store, table, column)) {
        ours = comment->find("engagementd") != std::string::npos;
      } else {
        ours = !(std::string(table) == "saved_streams" &&
                 store.saved_streams_shape() == SavedStreamsShape::with_ids);
      }
    }
    if (!ours) continue;
    plan.steps.push_back({with_names(s.drop_column, {{"{table}", table}, {"{column}", column}}),
                          std::string("column ") + table + "." + column});
  }
  return plan;
}

std::size_t run_uninstall(Store& store, const UninstallPlan& plan) {
  std::size_t done = 0;
  for (const UninstallPlan::Step& s : plan.steps) {
    store.session() << s.sql;
    ++done;
  }
  return done;
}

}  // namespace engagementd
