#include <catch2/catch.hpp>

#include "migrations.hpp"
#include "store.hpp"

using namespace engagementd;

TEST_CASE("the embedded migrations parse and are numbered in order for both dialects") {
  for (const auto* files : {&embedded_migrations_mysql(), &embedded_migrations_sqlite()}) {
    const auto ms = parse_migrations(*files);
    REQUIRE(ms.size() >= 3);
    for (std::size_t i = 0; i < ms.size(); ++i) {
      CHECK(ms[i].version == static_cast<int>(i + 1));
      CHECK_FALSE(ms[i].statements.empty());
      for (const auto& s : ms[i].statements) {
        CHECK(s.sql.back() != ';');
        // SOCI reads ':name' as a placeholder; migrations bind nothing.
        CHECK(s.sql.find(':') == std::string::npos);
      }
    }
  }
  CHECK(Store::latest_schema_version(Backend::mysql) ==
        Store::latest_schema_version(Backend::sqlite3));
}

TEST_CASE(
    "statements split at line-final semicolons, the if-missing-column directive applies to the "
    "next one") {
  const std::vector<MigrationFile> files = {
      {"001_x.sql",
       "-- a comment; with a semicolon\nCREATE TABLE a (x INT);\n\n-- if-missing-column: a.y\n"
       "ALTER TABLE a\n  ADD COLUMN y INT;\nCREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET "
       "x = 1; END;\n"}};
  const auto ms = parse_migrations(files);
  REQUIRE(ms.size() == 1);
  REQUIRE(ms[0].statements.size() == 3);
  CHECK(ms[0].statements[0].sql == "CREATE TABLE a (x INT)");
  CHECK(ms[0].statements[0].if_missing_column.empty());
  CHECK(ms[0].statements[1].sql == "ALTER TABLE a\n  ADD COLUMN y INT");
  CHECK(ms[0].statements[1].if_missing_table == "a");
  CHECK(ms[0].statements[1].if_missing_column == "y");
  CHECK(ms[0].statements[2].sql ==
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END");
}

TEST_CASE("a migration without a final semicolon or out of order is refused") {
  CHECK_THROWS_WITH(parse_migrations({{"001_x.sql", "CREATE TABLE a (x INT)\n"}}),
                    Catch::Contains("does not end with ';'"));
  CHECK_THROWS_WITH(parse_migrations({{"002_x.sql", "SELECT 1;\n"}}), Catch::Contains("numbered"));
}
