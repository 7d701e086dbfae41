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
// and one directive that is a statement of its own (no SQL follows it):
//   -- widen-decimal: table.column P,S   make a DECIMAL column at least
//                                        DECIMAL(P,S), keeping its
//                                        nullability, default and comment
struct MigrationStatement {
  enum class Condition { always, missing_column, table_exists, no_unique_index, widen_decimal };
  std::string sql;  // empty for widen_decimal: the store writes the ALTER
  Condition condition = Condition::always;
  std::string table;
  std::string column;
  int precision = 0;  // widen_decimal
  int scale = 0;
};

struct Migration {
  int version = 0;
  std::string name;
  std::vector<MigrationStatement> statements;
};

std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files);

}  // namespace engagementd
