#pragma once

// A database's dialect: its statements by name (statements.hpp; the texts
// in sql_mysql.cpp, sql_sqlite.cpp and sql_common.cpp, every statement
// written out in full, so that a DBA reads exactly what runs on their
// database), and, where the two databases need a different course of action
// (not only another text), a named property that says why.
//
// Internal to lib/store/.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/database.hpp"
#include "core/shard.hpp"
#include "store/migrations.hpp"
#include "store/statements.hpp"
#include "store/tick_store.hpp"

namespace soci {
class session;
}  // namespace soci

namespace engagementd {

struct InfileSource;

// The schema version bookkeeping table.
inline constexpr const char* kVersionTable = "engagementd_schema_version";

// A {rows} statement cut where its rows go: head, the rows, tail.
struct RowsStatement {
  std::string head;
  RowsForm form = RowsForm::none;
  // The rows' columns (a derived table names them in its first row).
  std::vector<std::string> names;
  std::string tail;
};

// A range of staged stream ids, both ends included.
struct StagedRange {
  long long lo = 0;
  long long hi = 0;
};

struct SqlDialect {
  // --- What this database is like, where the course differs ---
  // DDL in a transaction (SQLite): a migration is applied whole or not at
  // all. Otherwise (MariaDB commits each DDL statement) the server is
  // checked before anything changes and migrators take a named lock.
  bool transactional_ddl = false;
  // Columns hold only their declared type's range (MariaDB): display
  // numbers are clamped to it, and DECIMAL columns are widened.
  bool typed_columns = false;
  // Row locks: the lease row is locked with FOR UPDATE NOWAIT and stamped.
  // Without (SQLite) the transaction's write lock serializes instances.
  bool row_locks = false;
  // A server with sessions: connection ids, KILL, a server's identity.
  bool server_sessions = false;
  // MariaDB/MySQL's bulk writer (bulk_writer.cpp): the tick's rows sent by
  // LOAD DATA LOCAL INFILE into temporary tables, then applied to the real
  // tables by one statement each.
  bool bulk_writer = false;

  // Connects (and checks the connection is as configured).
  std::unique_ptr<soci::session> (*connect)(const DatabaseConfig& db, const std::string& password,
                                            InfileSource* infile) = nullptr;
  // Run on every new connection, in order.
  std::vector<Sql> session_setup;
  const std::vector<Migration>& (*migrations)() = nullptr;

  // The statement's whole text in this dialect; a logic error for one the
  // database has no use for (kNoStatement).
  const char* operator[](Sql s) const;
  bool has(Sql s) const { return texts_[static_cast<std::size_t>(s)] != kNoStatement; }
  // A {rows} statement, cut where its rows go.
  const RowsStatement& rows(Sql s) const;
  // The form of a statement's rows (RowsForm::none: not a {rows} statement).
  RowsForm form(Sql s) const { return rows_[static_cast<std::size_t>(s)].form; }

  // Fills the statements from the dialect's own table and the common one
  // (a name in neither, or in both, is a logic error).
  void fill(const std::vector<SqlText>& own, const std::vector<SqlText>& common);

 private:
  std::array<const char*, kSqlCount> texts_{};
  std::array<RowsStatement, kSqlCount> rows_{};
};

// The statements both dialects run with the same text (sql_common.cpp).
const std::vector<SqlText>& common_statements();

// A statement with an {ids} list, written for n stream ids (:i0, :i1, ...).
std::string with_ids(const char* text, std::size_t n);

const SqlDialect& mysql_dialect();
const SqlDialect& sqlite_dialect();
// The one place a backend picks its dialect.
const SqlDialect& dialect_for(Backend backend);
// The dialect of an open connection (by its SOCI backend's name).
const SqlDialect& dialect_of(soci::session& sql);

}  // namespace engagementd
