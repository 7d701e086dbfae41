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
// last character is ';'. A "-- if-missing-column: table.column" comment makes
// the next statement run only when that column does not exist yet.
struct MigrationStatement {
  std::string sql;
  std::string if_missing_table;
  std::string if_missing_column;
};

struct Migration {
  int version = 0;
  std::string name;
  std::vector<MigrationStatement> statements;
};

std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files);

}  // namespace engagementd
