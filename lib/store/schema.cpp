// The schema: what the database has, its version, migrations, and the
// facts about the site's tables the tick's statements depend on.

#include <soci/soci.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>

#include "store/cluster.hpp"
#include "store/db_errors.hpp"
#include "store/sql_dialect.hpp"
#include "store/store.hpp"
#include "store/trigger_account.hpp"

namespace engagementd {
namespace {

long long count(soci::session& sql, const std::string& query, const std::string& a,
                const std::string& b) {
  long long n = 0;
  sql << query, soci::use(a), soci::use(b), soci::into(n);
  return n;
}

}  // namespace

int Store::latest_schema_version(Backend backend) {
  return static_cast<int>(dialect_for(backend).migrations().size());
}

bool Store::has_column(const std::string& table, const std::string& column) {
  return count(*sql_, dialect_.count_columns, table, column) > 0;
}

bool Store::has_table(const std::string& table) {
  long long n = 0;
  *sql_ << dialect_.count_tables, soci::use(table), soci::into(n);
  return n > 0;
}

bool Store::has_unique_index_on(const std::string& table, const std::string& column) {
  return count(*sql_, dialect_.count_unique_single_column_indexes, table, column) > 0;
}

bool Store::has_index(const std::string& table, const std::string& index) {
  return count(*sql_, dialect_.count_indexes, table, index) > 0;
}

bool Store::guard_holds(const MigrationStatement::Guard& g) {
  using Condition = MigrationStatement::Condition;
  switch (g.condition) {
    case Condition::missing_column:
      return has_table(g.table) && !has_column(g.table, g.name);
    case Condition::table_exists:
      return has_table(g.table);
    case Condition::no_unique_index:
      return !has_unique_index_on(g.table, g.name);
    case Condition::missing_index:
      return has_table(g.table) && !has_index(g.table, g.name);
  }
  return false;
}

std::string Store::statement_to_apply(const MigrationStatement& s) {
  if (s.widen_decimal) return widen_decimal(s.table, s.column, s.precision, s.scale);
  for (const MigrationStatement::Guard& g : s.guards) {
    if (!guard_holds(g)) return {};
  }
  return s.sql;
}

std::string Store::widen_decimal(const std::string& table, const std::string& column, int precision,
                                 int scale) {
  // A database that keeps any value as it is (SQLite): nothing to widen.
  if (!dialect_.typed_columns) return {};
  std::string data_type, default_value;
  SqlDialect::DecimalColumn c{table, column, {}, {}, std::nullopt, {}};
  soci::indicator default_ind = soci::i_ok;
  long long have_precision = 0, have_scale = 0;
  *sql_ << dialect_.decimal_column, soci::use(table), soci::use(column), soci::into(data_type),
      soci::into(c.column_type), soci::into(c.nullable), soci::into(default_value, default_ind),
      soci::into(have_precision), soci::into(have_scale), soci::into(c.comment_literal);
  if (!sql_->got_data()) return {};  // no such column: nothing of ours to widen
  if (data_type != "decimal") {
    throw SchemaError(table + "." + column + " is " + c.column_type +
                      ", not a DECIMAL; left as it is (engagementd reads any number)");
  }
  // Wide enough already: as many places before and after the point.
  if (have_precision - have_scale >= precision - scale && have_scale >= scale) return {};
  const long long want_scale = std::max<long long>(scale, have_scale);
  const long long want_precision =
      std::max<long long>(precision - scale, have_precision - have_scale) + want_scale;
  if (default_ind != soci::i_null) {
    // MariaDB shows a missing default of a NULL column as the text NULL.
    if (default_value == "NULL" ||
        (!default_value.empty() &&
         default_value.find_first_not_of("0123456789.-") == std::string::npos)) {
      c.default_value = default_value;
    } else {
      throw SchemaError(table + "." + column + " has the default '" + default_value +
                        "', which engagementd cannot restate; widen it to DECIMAL(" +
                        std::to_string(precision) + "," + std::to_string(scale) +
                        ") by hand, keeping the default");
    }
  }
  return dialect_.alter_decimal(c, want_precision, want_scale);
}

int Store::schema_version() {
  if (!has_table(kVersionTable)) return 0;
  long long version = 0;
  soci::indicator ind = soci::i_ok;
  *sql_ << dialect_.max_schema_version, soci::into(version, ind);
  return ind == soci::i_null ? 0 : static_cast<int>(version);
}

int Store::tick_schema_version() {
  long long version = 0;
  soci::indicator ind = soci::i_ok;
  try {
    *sql_ << dialect_.max_schema_version, soci::into(version, ind);
  } catch (const soci::soci_error& e) {
    // Only a missing table is a version (none); any other error is the tick's.
    if (!is_statement_error(e) || has_table(kVersionTable)) throw;
    return 0;
  }
  return ind == soci::i_null ? 0 : static_cast<int>(version);
}

void Store::schema_changed() {
  detect_columns();
  drop_prepared_ = true;
}

void Store::check_schema() {
  const int have = schema_version();
  const int want = latest_schema_version(backend_);
  if (have < want) {
    throw SchemaError("the database schema is at version " + std::to_string(have) +
                      ", this engagementd needs version " + std::to_string(want) +
                      ": run 'engagementd migrate -c <config>' first");
  }
  if (have > want) {
    throw SchemaError("the database schema is at version " + std::to_string(have) +
                      ", newer than this engagementd knows (" + std::to_string(want) +
                      "): upgrade engagementd");
  }
  detect_columns();
}

void Store::detect_columns() {
  heartbeat_column_ = has_column("stream_viewers", "last_seen_at");
  updated_at_column_ = has_column("live_streams", "updated_at");
  const auto has = [&](std::initializer_list<const char*> columns) {
    for (const char* c : columns) {
      if (!has_column("saved_streams", c)) return false;
    }
    return true;
  };
  if (!has_table("saved_streams")) {
    saved_layout_ = SavedStreamsLayout::absent;
  } else if (has({"stream_id", "viewer_count", "like_count"})) {
    saved_layout_ = SavedStreamsLayout::migration;
  } else if (has({"views", "likes", "dislikes"})) {
    saved_layout_ =
        has({"stream_id"}) ? SavedStreamsLayout::dump_linked : SavedStreamsLayout::dump_unlinked;
  } else {
    saved_layout_ = SavedStreamsLayout::unknown;
  }
  std::vector<std::pair<const char*, const char*>> columns = {{"live_streams", "viewer_count"},
                                                              {"live_streams", "max_viewers"},
                                                              {"live_streams", "like_count"},
                                                              {"live_streams", "dislike_count"},
                                                              {"live_streams", "comment_count"}};
  if (saved_layout_ == SavedStreamsLayout::migration) {
    columns.insert(columns.end(),
                   {{"saved_streams", "viewer_count"}, {"saved_streams", "like_count"}});
  } else if (saved_layout_ == SavedStreamsLayout::dump_linked) {
    columns.insert(
        columns.end(),
        {{"saved_streams", "views"}, {"saved_streams", "likes"}, {"saved_streams", "dislikes"}});
  }
  display_limit_ = std::numeric_limits<std::int64_t>::max();
  for (const auto& [table, column] : columns) {
    display_limit_ = std::min<std::int64_t>(display_limit_, column_limit(table, column));
  }
  columns_detected_ = true;
}

long long Store::column_limit(const std::string& table, const std::string& column) {
  if (!dialect_.typed_columns) return std::numeric_limits<long long>::max();
  std::string type;
  *sql_ << dialect_.column_type, soci::use(table), soci::use(column), soci::into(type);
  if (!sql_->got_data()) return std::numeric_limits<long long>::max();
  const bool is_unsigned = type.find("unsigned") != std::string::npos;
  const auto starts = [&](const char* prefix) { return type.rfind(prefix, 0) == 0; };
  if (starts("tinyint")) return is_unsigned ? 255 : 127;
  if (starts("smallint")) return is_unsigned ? 65535 : 32767;
  if (starts("mediumint")) return is_unsigned ? 16777215 : 8388607;
  if (starts("int")) return is_unsigned ? 4294967295LL : 2147483647LL;
  return std::numeric_limits<long long>::max();  // bigint, decimal, text: far enough
}

SavedStreamsLayout Store::saved_streams_layout() {
  if (!columns_detected_) detect_columns();
  return saved_layout_;
}

std::int64_t Store::display_limit() {
  if (!columns_detected_) detect_columns();
  return display_limit_;
}

const char* describe(SavedStreamsLayout layout) {
  switch (layout) {
    case SavedStreamsLayout::absent:
      return "absent (no replay list; nothing to write there)";
    case SavedStreamsLayout::migration:
      return "the migration layout: stream_id, viewer_count, like_count (final numbers written "
             "there)";
    case SavedStreamsLayout::dump_linked:
      return "the dump layout: views, likes, dislikes, linked by stream_id (final numbers written "
             "there)";
    case SavedStreamsLayout::dump_unlinked:
      return "the dump layout: views, likes, dislikes without stream_id: run 'engagementd "
             "migrate' to add the link, until then final numbers are not written there";
    case SavedStreamsLayout::unknown:
      return "unknown (neither viewer_count/like_count nor views/likes/dislikes): final numbers "
             "are not written there";
  }
  return "unknown";
}

ServerFacts Store::server_facts() {
  ServerFacts f;
  long long log_bin = 0, trust = 0;
  std::string format;
  soci::indicator format_ind = soci::i_ok;
  *sql_ << dialect_.server_settings, soci::into(f.version), soci::into(f.version_comment),
      soci::into(log_bin), soci::into(format, format_ind), soci::into(trust);
  f.log_bin = log_bin != 0;
  f.binlog_format = format_ind == soci::i_null ? std::string() : format;
  f.trust_function_creators = trust != 0;
  f.wsrep = read_cluster_facts(*sql_).wsrep;  // Galera: as if log_bin were on
  std::string db;
  *sql_ << dialect_.current_database, soci::into(db);
  // The account's own grants, then those of its enabled roles (and of the
  // roles granted to them): MariaDB and MySQL list a granted role as a
  // line of its own, its privileges only under its own name.
  std::vector<std::string> roles;
  const auto read = [&](const std::string& query) {
    soci::rowset<std::string> lines = sql_->prepare << query;
    for (const std::string& line : lines) read_grant_line(line, db, f.privileges, roles);
  };
  read(dialect_.own_grants);
  std::string current;
  soci::indicator current_ind = soci::i_ok;
  *sql_ << dialect_.current_roles, soci::into(current, current_ind);
  std::vector<std::string> enabled;
  if (current_ind != soci::i_null && current != "NONE") {
    std::size_t start = 0;
    while (start <= current.size()) {
      const auto comma = current.find(',', start);
      std::string r = current.substr(start, comma == std::string::npos ? comma : comma - start);
      const auto at = r.find('@');
      if (at != std::string::npos) r = r.substr(0, at);
      if (r.size() >= 2 && r.front() == '`') r = r.substr(1, r.size() - 2);
      if (!r.empty()) enabled.push_back(r);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  std::set<std::string> seen;
  while (!enabled.empty()) {
    const std::string r = enabled.back();
    enabled.pop_back();
    if (!seen.insert(r).second || r.find('`') != std::string::npos) continue;
    roles.clear();
    read(dialect_.role_grants(r));
    enabled.insert(enabled.end(), roles.begin(), roles.end());
  }
  return f;
}

std::vector<int> Store::migrate(const Logger& log) {
  std::vector<int> applied;
  const bool transactional = dialect_.transactional_ddl;
  const std::vector<Migration>& all = dialect_.migrations();
  if (!transactional) {
    // Everything a pending migration needs of the server is checked before
    // anything changes: MariaDB commits each DDL statement, so a refusal
    // half-way would leave the migration half-applied.
    const int at = schema_version();
    MigrateNeeds needs;
    bool pending = false;
    for (const Migration& m : all) {
      if (m.version <= at) continue;
      pending = true;
      for (const MigrationStatement& s : m.statements) {
        if (s.sql.find("RANDOM_BYTES") != std::string::npos) needs.random_bytes = true;
        if (s.sql.find("CREATE TRIGGER") != std::string::npos) needs.triggers = true;
      }
    }
    if (pending) {
      const std::string refusal = migrate_refusal(server_facts(), needs);
      if (!refusal.empty()) throw SchemaError(refusal);
    }
  }
  *sql_ << dialect_.create_version_table;
  // Two migrators at once would interleave DDL: serialize them, across
  // every node of a cluster (store/cluster.hpp; GET_LOCK is the node's own).
  // SQLite's migration is one transaction, serialized by the file's lock.
  std::unique_ptr<MigrationLock> lock;  // released when migrate returns
  if (!transactional) lock = std::make_unique<MigrationLock>(*sql_, log);

  const int current = schema_version();
  if (current > static_cast<int>(all.size())) {
    throw SchemaError("the database schema is at version " + std::to_string(current) +
                      ", newer than this engagementd knows (" + std::to_string(all.size()) +
                      "): upgrade engagementd");
  }
  for (const Migration& m : all) {
    if (m.version <= current) continue;
    log.notice("applying schema migration " + m.name);
    // MariaDB commits DDL implicitly, so there every statement is written to
    // be safe to repeat; SQLite runs the whole migration as one transaction.
    if (transactional) sql_->begin();
    try {
      for (const MigrationStatement& s : m.statements) {
        if (lock) lock->renew();
        std::string text;
        try {
          text = statement_to_apply(s);
          if (text.empty()) continue;
          *sql_ << text;
        } catch (const soci::soci_error& e) {
          throw std::runtime_error(
              m.name + ": " + e.get_error_message() + "\n  in: " +
              (text.empty() ? (s.widen_decimal ? s.table + "." + s.column : s.sql) : text));
        } catch (const SchemaError& e) {
          throw SchemaError(m.name + ": " + e.what());
        }
      }
      *sql_ << dialect_.insert_schema_version, soci::use(m.version), soci::use(m.name);
      if (transactional) sql_->commit();
    } catch (...) {
      if (transactional) sql_->rollback();
      throw;
    }
    applied.push_back(m.version);
  }
  // The triggers (new ones, and those of an earlier version) run as their
  // own locked account, not as the one migrating.
  move_triggers_to_own_account(*this, log);
  detect_columns();
  return applied;
}

}  // namespace engagementd
