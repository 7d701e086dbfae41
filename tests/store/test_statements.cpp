// Every named statement (lib/store/statements.hpp) of the database under
// test prepared on a migrated database: the server (MariaDB's binary
// protocol) or SQLite parses it and finds its tables and columns, nothing
// is run. The list is the enum itself: a new statement is prepared here
// without a word.
#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <regex>

#include "store/mysql_fetch.hpp"
#include "store/per_dialect.hpp"
#include "store/session.hpp"
#include "store/sql_dialect.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

// A statement's text for preparing: its rows (one row of placeholders),
// its ids (two) and its names (existing objects, or made-up names where
// the statement would create or refuse them) written in.
std::string preparable(const SqlDialect& d, Sql name, const std::string& database) {
  std::string text = d[name];
  if (d.form(name) != RowsForm::none) {
    const RowsStatement& r = d.rows(name);
    std::string row;
    for (std::size_t i = 0; i < r.names.size(); ++i) {
      const std::string p = ":r" + std::to_string(i);
      switch (r.form) {
        case RowsForm::values:
          row += (i == 0 ? "(" : ", ") + p;
          break;
        case RowsForm::derived_table:
          row += (i == 0 ? "SELECT " : ", ") + p + " AS " + r.names[i];
          break;
        case RowsForm::list:
        case RowsForm::none:
          row += (i == 0 ? "" : ", ") + p;
          break;
      }
    }
    if (r.form == RowsForm::values) row += ")";
    return r.head + row + r.tail;
  }
  if (text.find("{ids") != std::string::npos) return with_ids(text.c_str(), 2);
  const bool mysql = d.server_sessions;
  return with_names(text, {{"{table}", "live_streams"},
                           {"{column}", "includes_simulated"},
                           {"{trigger}", "engagementd_audit_no_update"},
                           {"{index}", "idx_live_streams_status"},
                           {"{account}", "'engagementd_none'@'localhost'"},
                           {"{role}", "`engagementd_none`"},
                           {"{privileges}", "SELECT"},
                           {"{database}", mysql ? "`" + database + "`" : database},
                           {"{milliseconds}", "1000"},
                           {"{precision}", "20"},
                           {"{scale}", "0"},
                           {"{unsigned}", ""},
                           {"{null}", " NOT NULL"},
                           {"{default}", ""},
                           {"{comment}", ""}});
}

// Prepares the text in MariaDB's binary protocol: 0, or the server's error
// number (its message in `message`).
unsigned prepare_mysql(MYSQL* conn, const std::string& text, std::string& message) {
  MYSQL_STMT* st = mysql_stmt_init(conn);
  REQUIRE(st != nullptr);
  const std::string sql = MysqlStatement::positional(text);
  unsigned error = 0;
  if (mysql_stmt_prepare(st, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    error = mysql_stmt_errno(st);
    message = mysql_stmt_error(st);
  }
  mysql_stmt_close(st);
  return error;
}

// What the server cannot prepare in the binary protocol
// (ER_UNSUPPORTED_PS); SOCI sends every statement as text anyway.
constexpr unsigned kUnsupportedInBinaryProtocol = 1295;

}  // namespace

TEST_CASE_METHOD(SiteFixture, "every named statement of the dialect prepares on a migrated database") {
  const SqlDialect& d = dialect_for(backend());
  soci::session& sql = session_of(*store);
  // The replay table with both layouts' columns, the heartbeat column, and
  // the tables a tick or migrate creates on its connection first.
  for (const auto& [table, column, type] :
       {std::tuple<const char*, const char*, const char*>{"saved_streams", "viewer_count", "INT"},
        {"saved_streams", "like_count", "INT"},
        {"saved_streams", "views", "INT"},
        {"saved_streams", "likes", "INT"},
        {"saved_streams", "dislikes", "INT"},
        {"saved_streams", "stream_id", "BIGINT"},
        {"stream_viewers", "last_seen_at", "TIMESTAMP NULL"}}) {
    if (store->has_table(table) && !store->has_column(table, column)) {
      *site << std::string("ALTER TABLE ") + table + " ADD COLUMN " + column + " " + type;
    }
  }
  std::string database;
  for (const Sql setup : {Sql::raise_heap_table_size, Sql::create_tick_state,
                          Sql::create_tick_config, Sql::create_tick_display,
                          Sql::create_migration_lock}) {
    if (d.has(setup)) sql << d[setup];
  }
  if (d.has(Sql::current_database)) sql << d[Sql::current_database], soci::into(database);

  std::size_t prepared = 0, text_only = 0;
  for (std::size_t i = 0; i < kSqlCount; ++i) {
    const Sql name = static_cast<Sql>(i);
    if (!d.has(name)) continue;
    const std::string text = preparable(d, name, database);
    INFO(sql_name(name) << ": " << text);
    if (backend() == Backend::mysql) {
      MYSQL* conn = static_cast<soci::mysql_session_backend*>(sql.get_backend())->conn_;
      std::string message;
      const unsigned error = prepare_mysql(conn, text, message);
      if (error == kUnsupportedInBinaryProtocol) {
        ++text_only;
      } else if (error != 0) {
        FAIL(message);
      } else {
        ++prepared;
      }
    } else {
      sqlite_api::sqlite3* db = static_cast<soci::sqlite3_session_backend*>(sql.get_backend())->conn_;
      sqlite_api::sqlite3_stmt* st = nullptr;
      const int rc = sqlite_api::sqlite3_prepare_v2(db, text.c_str(), -1, &st, nullptr);
      sqlite_api::sqlite3_finalize(st);
      if (rc != SQLITE_OK) FAIL(sqlite_api::sqlite3_errmsg(db));
      ++prepared;
    }
  }
  // Nearly all of them in the binary protocol (LOAD DATA, LOCK TABLES and
  // the like are not).
  CHECK(prepared > 100);
  CHECK(text_only < 12);
}

namespace {

// The text with each :name placeholder written as a value (EXPLAIN takes no
// placeholders through SOCI's text protocol): the id range, one shard, a
// minute of TTL.
std::string with_values(std::string text) {
  static const std::regex name(":([a-z_0-9]+)");
  const std::map<std::string, std::string> values = {
      {"after", "0"},       {"upto", "1000000"},   {"after_v", "0"}, {"upto_v", "1000000"},
      {"shard_count", "1"}, {"shard_index", "0"},  {"ttl", "60"},    {"shard_count_v", "1"},
      {"shard_index_v", "0"}, {"skip", "49"}};
  std::string out;
  std::size_t from = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
       it != std::sregex_iterator(); ++it) {
    out += text.substr(from, static_cast<std::size_t>(it->position()) - from);
    const auto v = values.find((*it)[1]);
    out += v == values.end() ? "1" : v->second;
    from = static_cast<std::size_t>(it->position() + it->length());
  }
  return out + text.substr(from);
}

// The text without its shard filters: the statement as it was for one shard
// before the filter was bound (a filter only with several shards).
std::string without_shard_filter(std::string text) {
  static const std::regex filter(
      "( AND)? \\(\\(\\(\\([a-z_.]+ % 2147483647\\) \\* 1103515245 \\+ 12345\\) % 2147483629 \\* "
      "48271 \\+ 11\\) % 2147483587\\) % :shard_count(_v)? = :shard_index(_v)?");
  std::string out = std::regex_replace(text, filter, "");
  // A WHERE left with no condition.
  out = std::regex_replace(out, std::regex(" WHERE (ORDER|GROUP) BY"), " $1 BY");
  out = std::regex_replace(out, std::regex(" WHERE\\)"), ")");
  return out;
}

// Each row of the plan: its table, access type and key.
std::vector<std::string> plan_of(soci::session& sql, const std::string& text) {
  std::vector<std::string> out;
  soci::rowset<soci::row> rows = (sql.prepare << "EXPLAIN " + with_values(text));
  for (const soci::row& r : rows) {
    const auto field = [&](const char* column) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (r.get_properties(i).get_name() != column) continue;
        return r.get_indicator(i) == soci::i_null ? std::string("NULL") : r.get<std::string>(i);
      }
      return std::string("?");
    };
    out.push_back(field("table") + " " + field("type") + " " + field("key"));
  }
  return out;
}

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "the hot reads keep their plans with the shard filter bound for one shard",
                 "[mysql-only]") {
  REQUIRE(is_mysql());
  for (int i = 0; i < 60; ++i) {
    const long long id = add_stream(i % 10 == 0 ? "ended" : "live");
    add_viewer(id, "s" + std::to_string(i));
    add_viewer(id, "t" + std::to_string(i));
  }
  *site << "ANALYZE TABLE live_streams, stream_viewers";
  const SqlDialect& d = mysql_dialect();
  // Not real_delta_runs: it reads every pending delta row of the shard in
  // either form (a table scan with the filter, a scan of the primary key
  // without), and the table holds only the deltas since the last tick.
  for (const Sql name : {Sql::live_streams, Sql::live_streams_heartbeat, Sql::chunk_end,
                         Sql::ended_streams, Sql::live_rows, Sql::fresh_viewers,
                         Sql::real_deltas, Sql::stream_changes}) {
    const std::string text = d[name];
    const std::string before = without_shard_filter(text);
    INFO(sql_name(name) << ": " << before);
    REQUIRE(before != text);
    REQUIRE(before.find(":shard_count") == std::string::npos);
    const std::vector<std::string> plan = plan_of(session_of(*store), text);
    CHECK(plan == plan_of(session_of(*store), before));
    std::string shown;
    for (const std::string& row : plan) shown += "\n  " + row;
    std::printf("%s:%s\n", sql_name(name), shown.c_str());
  }
}
