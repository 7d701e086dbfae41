#pragma once

#include <string>
#include <vector>

namespace engagementd {

// One schema/<dialect>/NNN_name.sql file, compiled into the binary.
struct MigrationFile {
  const char* name;
  const char* sql;
};

const std::vector<MigrationFile>& embedded_migrations_mysql();
const std::vector<MigrationFile>& embedded_migrations_sqlite();

// A migration file split into statements. A statement ends at a line whose
// last character is ';'. Directives, comment lines before a statement, make
// it depend on the site's schema as found (the site's tables come in more
// than one shape, and a migration must never change what it does not own):
//   -- if-missing-column: table.column   run only if the table exists and
//                                        lacks the column
//   -- if-table: table                   run only if the table exists
//   -- if-no-unique-index: table.column  run only if no unique index of the
//                                        table is on that column alone
//   -- if-missing-index: table.index     run only if the table exists and
//                                        has no index of that name
// Several of them may stand before one statement: it runs only if every one
// holds. They replace MariaDB's ADD COLUMN IF NOT EXISTS and CREATE INDEX IF
// NOT EXISTS, which MySQL lacks.
// One directive is a statement of its own (no SQL follows it):
//   -- widen-decimal: table.column P,S   make a DECIMAL column at least
//                                        DECIMAL(P,S), keeping its
//                                        nullability, default and comment
struct MigrationStatement {
  enum class Condition { missing_column, table_exists, no_unique_index, missing_index };
  struct Guard {
    Condition condition;
    std::string table;
    std::string name;  // the column or index; empty for table_exists
  };
  std::string sql;            // empty for widen-decimal: the store writes the ALTER
  std::vector<Guard> guards;  // all must hold; none: always runs
  bool widen_decimal = false;
  std::string table;  // widen-decimal
  std::string column;
  int precision = 0;
  int scale = 0;
};

struct Migration {
  int version = 0;
  std::string name;
  std::vector<MigrationStatement> statements;
};

std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files);

}  // namespace engagementd
