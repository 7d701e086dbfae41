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
        CHECK(s.sql.empty() == (s.condition == MigrationStatement::Condition::widen_decimal));
        if (!s.sql.empty()) CHECK(s.sql.back() != ';');
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
  CHECK(ms[0].statements[0].condition == MigrationStatement::Condition::always);
  CHECK(ms[0].statements[1].sql == "ALTER TABLE a\n  ADD COLUMN y INT");
  CHECK(ms[0].statements[1].condition == MigrationStatement::Condition::missing_column);
  CHECK(ms[0].statements[1].table == "a");
  CHECK(ms[0].statements[1].column == "y");
  CHECK(ms[0].statements[2].sql ==
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END");
}

TEST_CASE("the if-table, if-no-unique-index and widen-decimal directives") {
  using Condition = MigrationStatement::Condition;
  const auto ms = parse_migrations(
      {{"001_x.sql",
        "-- if-table: saved\nALTER TABLE saved ADD x INT;\n"
        "-- if-no-unique-index: live.k\nCREATE UNIQUE INDEX u ON live (k);\n"
        "-- widen-decimal: config.multiplier 4,2\nSELECT 1;\n"}});
  REQUIRE(ms[0].statements.size() == 4);
  CHECK(ms[0].statements[0].condition == Condition::table_exists);
  CHECK(ms[0].statements[0].table == "saved");
  CHECK(ms[0].statements[1].condition == Condition::no_unique_index);
  CHECK(ms[0].statements[1].table == "live");
  CHECK(ms[0].statements[1].column == "k");
  const MigrationStatement& widen = ms[0].statements[2];
  CHECK(widen.condition == Condition::widen_decimal);
  CHECK(widen.sql.empty());
  CHECK(widen.table == "config");
  CHECK(widen.column == "multiplier");
  CHECK(widen.precision == 4);
  CHECK(widen.scale == 2);
  CHECK(ms[0].statements[3].condition == Condition::always);
  CHECK_THROWS_WITH(parse_migrations({{"001_x.sql", "-- widen-decimal: t.c 4\n"}}),
                    Catch::Contains("bad directive"));
  CHECK_THROWS_WITH(parse_migrations({{"001_x.sql", "-- widen-decimal: t.c 2,4\n"}}),
                    Catch::Contains("out of range"));
  CHECK_THROWS_WITH(parse_migrations({{"001_x.sql", "SELECT 1;\n-- if-table: t\n"}}),
                    Catch::Contains("applies to no statement"));
}

TEST_CASE("a migration without a final semicolon or out of order is refused") {
  CHECK_THROWS_WITH(parse_migrations({{"001_x.sql", "CREATE TABLE a (x INT)\n"}}),
                    Catch::Contains("does not end with ';'"));
  CHECK_THROWS_WITH(parse_migrations({{"002_x.sql", "SELECT 1;\n"}}), Catch::Contains("numbered"));
}
