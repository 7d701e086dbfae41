#include "cli/uninstall.hpp"

#include <soci/soci.h>

#include "store/trigger_account.hpp"

namespace engagementd {
namespace {

// The triggers migrate creates, on which table.
const std::vector<std::pair<const char*, const char*>>& our_triggers() {
  static const std::vector<std::pair<const char*, const char*>> triggers = {
      {"engagementd_viewers_insert", "stream_viewers"},
      {"engagementd_viewers_update", "stream_viewers"},
      {"engagementd_viewers_delete", "stream_viewers"},
      {"engagementd_interactions_insert", "stream_interactions"},
      {"engagementd_interactions_update", "stream_interactions"},
      {"engagementd_interactions_delete", "stream_interactions"},
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
      {"engagementd_real_deltas", false},    {"engagementd_real_counts", false},
      {"engagementd_stream_state", false},   {"engagementd_leader", false},
      {"engagementd_stream_summary", true},  {"engagementd_audit", true},
      {"engagementd_schema_version", false}, {"engagementd_migration_lock", false},
      {"engagementd_instances", false},
  };
  return tables;
}

bool has_trigger(Store& store, const std::string& name) {
  long long n = 0;
  if (store.backend() == Backend::mysql) {
    store.session() << "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = "
                       "DATABASE() AND trigger_name = :n",
        soci::use(name), soci::into(n);
  } else {
    store.session() << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = :n",
        soci::use(name), soci::into(n);
  }
  return n > 0;
}

bool has_index(Store& store, const std::string& table, const std::string& name) {
  long long n = 0;
  if (store.backend() == Backend::mysql) {
    store.session() << "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = "
                       "DATABASE() AND table_name = :t AND index_name = :n",
        soci::use(table), soci::use(name), soci::into(n);
  } else {
    store.session() << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                       "AND name = :n",
        soci::use(table), soci::use(name), soci::into(n);
  }
  return n > 0;
}

// A column migrate added: its comment says so (MariaDB), or, on SQLite,
// which keeps no comments, its name is one only engagementd adds.
bool added_by_us(Store& store, const std::string& table, const std::string& column) {
  if (!store.has_column(table, column)) return false;
  if (store.backend() != Backend::mysql) return true;
  std::string comment;
  store.session() << "SELECT column_comment FROM information_schema.columns WHERE table_schema = "
                     "DATABASE() AND table_name = :t AND column_name = :c",
      soci::use(table), soci::use(column), soci::into(comment);
  return comment.find("engagementd") != std::string::npos;
}

}  // namespace

UninstallPlan plan_uninstall(Store& store) {
  UninstallPlan plan;
  for (const auto& [name, table] : our_triggers()) {
    if (!has_trigger(store, name)) continue;
    plan.steps.push_back(
        {std::string("DROP TRIGGER ") + name, std::string("trigger ") + name + " on " + table});
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
      store.session() << std::string("SELECT COUNT(*) FROM ") + table, soci::into(rows);
      if (rows > 0) plan.data.emplace_back(table, rows);
    }
    plan.steps.push_back({std::string("DROP TABLE ") + table, std::string("table ") + table});
  }
  // The triggers' own locked account, once no trigger runs as it.
  if (store.backend() == Backend::mysql) {
    std::string database;
    store.session() << "SELECT DATABASE()", soci::into(database);
    const std::string user = trigger_user(database);
    long long accounts = 1;  // unknown (mysql.user unreadable): DROP USER IF EXISTS says
    try {
      store.session() << "SELECT COUNT(*) FROM mysql.user WHERE CONVERT(user USING utf8mb4) = :u",
          soci::use(user), soci::into(accounts);
    } catch (const soci::soci_error&) {
    }
    if (accounts > 0) {
      plan.steps.push_back({"DROP USER IF EXISTS " + trigger_account(database),
                            "account " + trigger_account(database) + " (the triggers' own)"});
    }
  }
  // Indexes before columns: SQLite cannot drop an indexed column.
  for (const auto& [name, table] : our_indexes()) {
    if (!store.has_table(table) || !has_index(store, table, name)) continue;
    plan.steps.push_back({store.backend() == Backend::mysql
                              ? std::string("DROP INDEX ") + name + " ON " + table
                              : std::string("DROP INDEX ") + name,
                          std::string("index ") + name + " on " + table});
  }
  const std::vector<std::pair<const char*, const char*>> columns = {
      {"live_streams", "includes_simulated"},
      {"stream_viewers", "last_seen_at"},
      {"saved_streams", "stream_id"}};
  for (const auto& [table, column] : columns) {
    // includes_simulated has no comment (migration 005 predates them): only
    // engagementd adds a column of that name.
    const bool ours = std::string(column) == "includes_simulated"
                          ? store.has_column(table, column)
                          : added_by_us(store, table, column);
    // SQLite: saved_streams.stream_id may be the site's own (its migration shape).
    if (!ours || (store.backend() != Backend::mysql && std::string(table) == "saved_streams" &&
                  store.saved_streams_shape() == SavedStreamsShape::with_ids)) {
      continue;
    }
    plan.steps.push_back({std::string("ALTER TABLE ") + table + " DROP COLUMN " + column,
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
