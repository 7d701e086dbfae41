#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "store/migrations.hpp"
#include "store/server_check.hpp"
#include "store/store.hpp"

using namespace engagementd;

TEST_CASE("the embedded migrations parse and are numbered in order for both dialects") {
  for (const auto* files : {&embedded_migrations_mysql(), &embedded_migrations_sqlite()}) {
    const auto ms = parse_migrations(*files);
    REQUIRE(ms.size() >= 3);
    for (std::size_t i = 0; i < ms.size(); ++i) {
      CHECK(ms[i].version == static_cast<int>(i + 1));
      CHECK_FALSE(ms[i].statements.empty());
      for (const auto& s : ms[i].statements) {
        CHECK(s.sql.empty() == s.widen_decimal);
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
  CHECK(ms[0].statements[0].guards.empty());
  CHECK(ms[0].statements[1].sql == "ALTER TABLE a\n  ADD COLUMN y INT");
  REQUIRE(ms[0].statements[1].guards.size() == 1);
  CHECK(ms[0].statements[1].guards[0].condition == MigrationStatement::Condition::missing_column);
  CHECK(ms[0].statements[1].guards[0].table == "a");
  CHECK(ms[0].statements[1].guards[0].name == "y");
  CHECK(ms[0].statements[2].guards.empty());
  CHECK(ms[0].statements[2].sql ==
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END");
}

TEST_CASE("the if-table, if-no-unique-index and widen-decimal directives") {
  using Condition = MigrationStatement::Condition;
  const auto ms =
      parse_migrations({{"001_x.sql",
                         "-- if-table: saved\nALTER TABLE saved ADD x INT;\n"
                         "-- if-no-unique-index: live.k\nCREATE UNIQUE INDEX u ON live (k);\n"
                         "-- widen-decimal: config.multiplier 4,2\nSELECT 1;\n"}});
  REQUIRE(ms[0].statements.size() == 4);
  REQUIRE(ms[0].statements[0].guards.size() == 1);
  CHECK(ms[0].statements[0].guards[0].condition == Condition::table_exists);
  CHECK(ms[0].statements[0].guards[0].table == "saved");
  REQUIRE(ms[0].statements[1].guards.size() == 1);
  CHECK(ms[0].statements[1].guards[0].condition == Condition::no_unique_index);
  CHECK(ms[0].statements[1].guards[0].table == "live");
  CHECK(ms[0].statements[1].guards[0].name == "k");
  const MigrationStatement& widen = ms[0].statements[2];
  CHECK(widen.widen_decimal);
  CHECK(widen.guards.empty());
  CHECK(widen.sql.empty());
  CHECK(widen.table == "config");
  CHECK(widen.column == "multiplier");
  CHECK(widen.precision == 4);
  CHECK(widen.scale == 2);
  CHECK(ms[0].statements[3].guards.empty());
  CHECK_FALSE(ms[0].statements[3].widen_decimal);
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

TEST_CASE("the if-missing-index directive, and several directives before one statement") {
  using Condition = MigrationStatement::Condition;
  const auto ms = parse_migrations(
      {{"001_x.sql",
        "-- if-missing-index: live.idx_live_status\nCREATE INDEX idx_live_status ON live (s);\n"
        "-- if-no-unique-index: live.k\n-- a comment between directives\n"
        "-- if-missing-index: live.uq_live_k\nCREATE UNIQUE INDEX uq_live_k ON live (k);\n"
        "SELECT 1;\n"}});
  REQUIRE(ms[0].statements.size() == 3);
  REQUIRE(ms[0].statements[0].guards.size() == 1);
  CHECK(ms[0].statements[0].guards[0].condition == Condition::missing_index);
  CHECK(ms[0].statements[0].guards[0].table == "live");
  CHECK(ms[0].statements[0].guards[0].name == "idx_live_status");
  const auto& both = ms[0].statements[1].guards;
  REQUIRE(both.size() == 2);
  CHECK(both[0].condition == Condition::no_unique_index);
  CHECK(both[0].name == "k");
  CHECK(both[1].condition == Condition::missing_index);
  CHECK(both[1].name == "uq_live_k");
  // The guards belong to one statement only.
  CHECK(ms[0].statements[2].guards.empty());
  CHECK_THROWS_WITH(parse_migrations({{"001_x.sql", "-- if-missing-index: idx\nSELECT 1;\n"}}),
                    Catch::Contains("want table.column"));
  CHECK_THROWS_WITH(
      parse_migrations({{"001_x.sql", "-- if-table: t\n-- widen-decimal: t.c 4,2\n"}}),
      Catch::Contains("stands between"));
}

namespace {

// MariaDB-only forms that have a portable one (MySQL 8.0/8.4 lacks them),
// with what to write instead.
struct Form {
  const char* pattern;
  const char* instead;
};

const std::vector<Form>& mariadb_only_forms() {
  static const std::vector<Form> forms = {
      {R"(ADD\s+(COLUMN\s+)?IF\s+NOT\s+EXISTS)", "-- if-missing-column: + ADD COLUMN"},
      {R"(ADD\s+(UNIQUE\s+)?(INDEX|KEY)\s+IF\s+NOT\s+EXISTS)", "-- if-missing-index: + ADD INDEX"},
      {R"(CREATE\s+(UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS)", "-- if-missing-index: + CREATE INDEX"},
      {R"(DROP\s+(COLUMN|INDEX|KEY)\s+IF\s+EXISTS)", "a directive + plain DROP"},
      {R"(CREATE\s+OR\s+REPLACE)", "DROP ... IF EXISTS + CREATE"},
      {R"(CREATE\s+TRIGGER\s+IF\s+NOT\s+EXISTS)", "DROP TRIGGER IF EXISTS + CREATE TRIGGER"},
      {R"(\bRETURNING\b)", "a separate SELECT"},
      {R"(\bSEQUENCE\b|\bNEXTVAL\s*\(|\bLASTVAL\s*\(|NEXT\s+VALUE\s+FOR)", "AUTO_INCREMENT"},
      {R"(WITH\s+SYSTEM\s+VERSIONING|DELETE\s+HISTORY)", "nothing portable: leave it out"},
      {R"(\bINET[46]\b|\bUUID\s+(NOT|NULL|DEFAULT|,|\)))", "VARCHAR/BINARY columns"},
      {R"(\bENGINE\s*=\s*ARIA\b)", "ENGINE=InnoDB"},
  };
  return forms;
}

// The migrations that may call RANDOM_BYTES: Store::migrate checks the
// server's version (MariaDB 10.10+, MySQL 8.0+) before a pending migration
// that calls it.
const std::vector<std::string>& random_bytes_files() {
  static const std::vector<std::string> files = {"002_stream_key_and_multiplier.sql",
                                                 "010_trigger_definer.sql"};
  return files;
}

// Every MariaDB-only form in a migration's statements (comments left out),
// as "file: form (write ... instead)".
std::vector<std::string> scan(const std::string& file, const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line, code;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t");
    if (b != std::string::npos && line.compare(b, 2, "--") == 0) continue;
    code += line + "\n";
  }
  for (const Form& f : mariadb_only_forms()) {
    std::smatch m;
    if (std::regex_search(code, m, std::regex(f.pattern, std::regex::icase))) {
      out.push_back(file + ": '" + m.str() + "' is MariaDB-only (write " + f.instead + ")");
    }
  }
  if (std::regex_search(code, std::regex(R"(\bRANDOM_BYTES\s*\()", std::regex::icase)) &&
      std::find(random_bytes_files().begin(), random_bytes_files().end(), file) ==
          random_bytes_files().end()) {
    out.push_back(file + ": RANDOM_BYTES outside the migrations whose server version is checked");
  }
  return out;
}

}  // namespace

TEST_CASE("schema/mysql holds no MariaDB-only form where a portable one exists") {
  std::size_t files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(ENGAGEMENTD_SOURCE_DIR) + "/schema/mysql")) {
    if (entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (const std::string& problem : scan(entry.path().filename().string(), text.str())) {
      FAIL_CHECK(problem);
    }
    ++files;
  }
  CHECK(files >= 9);
  // The scan finds each form it looks for.
  CHECK(scan("x.sql", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT;").size() == 1);
  CHECK(scan("x.sql", "ALTER TABLE t ADD IF NOT EXISTS c INT;").size() == 1);
  CHECK(scan("x.sql", "CREATE UNIQUE INDEX IF NOT EXISTS u ON t (c);").size() == 1);
  CHECK(scan("x.sql", "ALTER TABLE t DROP COLUMN IF EXISTS c;").size() == 1);
  CHECK(scan("x.sql", "CREATE OR REPLACE TABLE t (c INT);").size() == 1);
  CHECK(scan("x.sql", "INSERT INTO t (c) VALUES (1) RETURNING id;").size() == 1);
  CHECK(scan("x.sql", "CREATE SEQUENCE s;").size() == 1);
  CHECK(scan("x.sql", "UPDATE t SET k = HEX(RANDOM_BYTES(24));").size() == 1);
  CHECK(scan("010_trigger_definer.sql", "UPDATE t SET k = HEX(RANDOM_BYTES(24));").empty());
  CHECK(scan("x.sql", "-- CREATE OR REPLACE in a comment\nCREATE TABLE IF NOT EXISTS t (c INT);")
            .empty());
}

TEST_CASE("migrate's server check: versions, binary log, privileges") {
  ServerFacts f;
  f.version = "10.11.19-MariaDB-0+deb12u1";
  f.version_comment = "Debian 12";
  f.privileges = {"ALL PRIVILEGES"};
  const MigrateNeeds all{true, true};
  CHECK(migrate_refusal(f, all).empty());

  f.version = "10.6.18-MariaDB";
  CHECK_THAT(migrate_refusal(f, all), Catch::Contains("MariaDB 10.10 or later") &&
                                          Catch::Contains("RANDOM_BYTES") &&
                                          Catch::Contains("nothing was changed"));
  CHECK(migrate_refusal(f, MigrateNeeds{false, true}).empty());
  f.version = "10.5.2-MariaDB";
  CHECK_THAT(migrate_refusal(f, MigrateNeeds{false, false}), Catch::Contains("10.6"));

  f.version = "8.0.36";
  f.version_comment = "MySQL Community Server - GPL";
  CHECK_FALSE(is_mariadb(f));
  CHECK(migrate_refusal(f, all).empty());
  f.version = "8.4.2";
  CHECK(migrate_refusal(f, all).empty());
  f.version = "5.7.44";
  CHECK_THAT(migrate_refusal(f, all), Catch::Contains("MySQL 8.0 or later"));

  f.version = "11.4.2-MariaDB";
  f.version_comment = "mariadb.org binary distribution";
  f.log_bin = true;
  f.binlog_format = "STATEMENT";
  CHECK_THAT(migrate_refusal(f, all), Catch::Contains("binlog_format=STATEMENT"));
  f.binlog_format = "MIXED";
  CHECK(migrate_refusal(f, all).empty());  // ALL PRIVILEGES includes SUPER
  f.binlog_format = "ROW";
  f.privileges = {"SELECT", "INSERT", "UPDATE", "CREATE", "ALTER", "INDEX", "TRIGGER"};
  CHECK_THAT(migrate_refusal(f, all), Catch::Contains("log_bin_trust_function_creators=1"));
  f.trust_function_creators = true;
  CHECK(migrate_refusal(f, all).empty());
  f.privileges.erase("TRIGGER");
  f.privileges.erase("INDEX");
  const std::string refusal = migrate_refusal(f, all);
  CHECK_THAT(refusal, Catch::Contains("lacks INDEX, TRIGGER on the database"));
  // One message names every cause.
  f.binlog_format = "STATEMENT";
  CHECK_THAT(migrate_refusal(f, all),
             Catch::Contains("binlog_format") && Catch::Contains("lacks INDEX, TRIGGER"));
}

TEST_CASE("SHOW GRANTS lines: global, database patterns, tables, roles") {
  std::set<std::string> p;
  std::vector<std::string> roles;
  read_grant_line("GRANT USAGE ON *.* TO `shop`@`localhost` IDENTIFIED BY PASSWORD '*94'", "shop",
                  p, roles);
  read_grant_line("GRANT SELECT, INSERT, CREATE TEMPORARY TABLES ON `shop`.* TO `a`@`%`", "shop", p,
                  roles);
  read_grant_line("GRANT ALTER ON `other`.* TO `a`@`%`", "shop", p, roles);
  read_grant_line("GRANT DROP ON `shop`.`live_streams` TO `a`@`%`", "shop", p, roles);
  read_grant_line("GRANT SELECT (id), UPDATE (viewer_count) ON `shop`.`live_streams` TO `a`@`%`",
                  "shop", p, roles);
  read_grant_line("GRANT INDEX ON `sh\\_p`.* TO `a`@`%`", "sh_p", p, roles);
  read_grant_line("GRANT TRIGGER ON `sh\\_p`.* TO `a`@`%`", "shxp", p, roles);
  read_grant_line("GRANT `migrator` TO `a`@`%`", "shop", p, roles);
  read_grant_line("GRANT `r1`@`%`,`r2`@`%` TO `a`@`%`", "shop", p, roles);
  CHECK(p ==
        std::set<std::string>{"USAGE", "SELECT", "INSERT", "CREATE TEMPORARY TABLES", "INDEX"});
  CHECK(roles == std::vector<std::string>{"migrator", "r1", "r2"});
  std::set<std::string> all;
  read_grant_line("GRANT ALL PRIVILEGES ON `shop%`.* TO `root`@`localhost` WITH GRANT OPTION",
                  "shop_1", all, roles);
  ServerFacts f;
  f.privileges = all;
  CHECK(holds(f, "TRIGGER"));
  CHECK(holds(f, "alter"));
}
