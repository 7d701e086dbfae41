// Every named statement (lib/store/statements.hpp) of the database under
// test prepared on a migrated database: the server (MariaDB's binary
// protocol) or SQLite parses it and finds its tables and columns, nothing
// is run. The list is the enum itself: a new statement is prepared here
// without a word.
#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <catch2/catch.hpp>

#include "store/mysql_fetch.hpp"
#include "store/per_dialect.hpp"
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
  soci::session& sql = store->session();
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
