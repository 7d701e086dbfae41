#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "service/config.hpp"

using namespace engagementd;

namespace {

const char* kGood = R"(database:
  backend: mysql
  host: 127.0.0.1
  port: 3306
  name: shop
  user: engagementd
  password_file: /etc/engagementd/db-password
tick:
  interval: 5s
  max_catchup: 60s
simulation:
  enabled: true
  real_viewer_ttl: 60s
  seed: 42
log:
  level: info
)";

// The single problem reported for text, which must fail.
std::string problem(const std::string& text) {
  try {
    parse_config(text, "test.yaml");
  } catch (const ConfigError& e) {
    REQUIRE(e.problems().size() == 1);
    return e.problems()[0];
  }
  FAIL("expected a config error");
  return {};
}

}  // namespace

TEST_CASE("the documented example config is valid") {
  const Config c = parse_config(kGood, "test.yaml");
  CHECK(c.database.backend == Backend::mysql);
  CHECK(c.database.name == "shop");
  CHECK(c.database.port == 3306);
  CHECK(c.tick_interval == std::chrono::seconds(5));
  CHECK(c.max_catchup == std::chrono::seconds(60));
  CHECK(c.real_viewer_ttl == std::chrono::seconds(60));
  CHECK(c.seed == std::uint64_t{42});
  CHECK(c.log_level == LogLevel::info);
  CHECK(c.watch_time == std::chrono::minutes(6));  // not in the file: the default
}

TEST_CASE("simulation.watch_time is a duration of 30s..10h") {
  const std::string base = "database:\n  backend: sqlite3\n  path: /x.db\nsimulation:\n";
  CHECK(parse_config(base + "  watch_time: 90s\n", "test.yaml").watch_time ==
        std::chrono::seconds(90));
  CHECK_THAT(problem(base + "  watch_time: 10s\n"),
             Catch::StartsWith("test.yaml:5:15: simulation.watch_time: '10s' is outside 30s..10h"));
  CHECK_THAT(problem(base + "  watch_time: 6\n"), Catch::Contains("needs a unit"));
}

TEST_CASE("the shipped etc/engagementd.yaml is valid") {
  const std::string path = std::string(ENGAGEMENTD_SOURCE_DIR) + "/etc/engagementd.yaml";
  const Config c = load_config(path);
  CHECK(c.database.backend == Backend::mysql);
  CHECK(c.tick_interval == std::chrono::seconds(5));
}

TEST_CASE("config errors name file:line:col and the key") {
  CHECK(problem("database:\n  backend: sqlite3\n  path: /x.db\ntick:\n  interval: 5 seconds\n") ==
        "test.yaml:5:13: tick.interval: duration '5 seconds' has unknown unit ' seconds' (use ms, "
        "s, m or h)");
  CHECK(problem("database:\n  backend: oracle\n  name: x\n") ==
        "test.yaml:2:12: database.backend: 'oracle' is not mysql or sqlite3");
  CHECK(problem("database:\n  backend: mysql\n  name: x\n  port: 70000\n") ==
        "test.yaml:4:9: database.port: '70000' is not a whole number in 1..65535");
  CHECK(problem("database:\n  backend: sqlite3\n  path: /x.db\nlog:\n  level: loud\n") ==
        "test.yaml:5:10: log.level: 'loud' is not one of debug, info, notice, warning, error");
}

TEST_CASE("unknown keys are errors, not ignored") {
  const std::string p =
      problem("database:\n  backend: sqlite3\n  path: /x.db\ntick:\n  intervall: 5s\n");
  CHECK_THAT(p, Catch::StartsWith("test.yaml:5:3: tick.intervall: unknown key"));
  CHECK_THAT(p, Catch::Contains("interval"));
  CHECK_THAT(
      problem("database:\n  backend: sqlite3\n  path: /x.db\nsimulaton:\n  enabled: false\n"),
      Catch::StartsWith("test.yaml:4:1: simulaton: unknown key"));
}

TEST_CASE("an inline password is refused") {
  CHECK_THAT(problem("database:\n  backend: mysql\n  name: x\n  password: hunter2\n"),
             Catch::Contains("password_file") && !Catch::Contains("hunter2"));
}

TEST_CASE("range and consistency checks") {
  CHECK_THAT(problem("database:\n  backend: sqlite3\n  path: /x.db\ntick:\n  interval: 10ms\n"),
             Catch::Contains("tick.interval: '10ms' is outside 100ms..1h"));
  CHECK_THAT(problem("database:\n  backend: sqlite3\n  path: /x.db\ntick:\n  interval: 10s\n  "
                     "max_catchup: 5s\n"),
             Catch::Contains("max_catchup: 5s is shorter than tick.interval 10s"));
  CHECK_THAT(problem("database:\n  backend: sqlite3\n"), Catch::Contains("needs path"));
  CHECK_THAT(problem("database:\n  backend: mysql\n"), Catch::Contains("needs name"));
  CHECK_THAT(
      problem("database:\n  backend: sqlite3\n  path: /x.db\nsimulation:\n  enabled: maybe\n"),
      Catch::Contains("test.yaml:5:12: simulation.enabled: 'maybe' is not true or false"));
  CHECK_THAT(problem("tick:\n  interval: 5s\n"), Catch::Contains("database: missing section"));
}

TEST_CASE("malformed YAML reports where") {
  CHECK_THAT(problem("database:\n  backend: [sqlite3\n"),
             Catch::StartsWith("test.yaml:") && Catch::Contains("YAML syntax"));
  CHECK_THAT(problem(""), Catch::Contains("the file is empty"));
  CHECK_THAT(problem("- a\n- b\n"), Catch::Contains("expected a mapping"));
  CHECK_THAT(problem("database: 3\n"), Catch::Contains("database: expected a mapping"));
}

TEST_CASE("every problem is reported at once") {
  try {
    parse_config("database:\n  backend: nope\n  port: x\ntick:\n  interval: 1y\n", "t.yaml");
    FAIL("expected errors");
  } catch (const ConfigError& e) {
    CHECK(e.problems().size() >= 3);
  }
}

TEST_CASE("a missing file is named") {
  CHECK_THROWS_WITH(load_config("/nonexistent/engagementd.yaml"),
                    Catch::Contains("/nonexistent/engagementd.yaml: cannot open"));
}

TEST_CASE("the password comes from its file or from systemd credentials") {
  const auto dir = std::filesystem::temp_directory_path() / "engagementd-pw-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "pw") << "s3cret\n";
  DatabaseConfig db;
  db.password_file = (dir / "pw").string();
  CHECK(read_password(db).str() == "s3cret");

  // Under systemd a credential is read only when the config names it.
  std::ofstream(dir / "db-password") << "from-cred";
  setenv("CREDENTIALS_DIRECTORY", dir.c_str(), 1);
  CHECK(read_password(db).str() == "s3cret");
  CHECK(password_source(db) == "password_file " + db.password_file);
  DatabaseConfig no_file;
  CHECK(read_password(no_file).empty());
  CHECK(password_source(no_file) == "no password");
  db.password_credential = "db-password";
  CHECK(read_password(db).str() == "from-cred");
  CHECK(password_source(db) == "the systemd credential db-password");
  no_file.password_credential = "db-password";
  CHECK(read_password(no_file).str() == "from-cred");
  unsetenv("CREDENTIALS_DIRECTORY");
  // Outside systemd the named credential falls back to password_file.
  CHECK(read_password(db).str() == "s3cret");
  CHECK(read_password(no_file).empty());
  db.password_credential.clear();
  CHECK_THROWS_WITH(parse_config("database:\n  backend: mysql\n  name: x\n"
                                 "  password_credential: /etc/x\n",
                                 "t.yaml"),
                    Catch::Contains("t.yaml:4:") && Catch::Contains("not a path"));

  db.password_file = (dir / "missing").string();
  CHECK_THROWS_WITH(read_password(db), Catch::Contains("missing"));
  // The longest password is kept whole (CRLF dropped); a larger file is refused, unread.
  const std::string longest(Secret::kMaxBytes, 'p');
  std::ofstream(dir / "long") << longest << "\r\n";
  db.password_file = (dir / "long").string();
  CHECK(read_password(db).str() == longest);
  std::ofstream(dir / "long") << longest << "pp";
  CHECK_THROWS_WITH(read_password(db),
                    Catch::Contains("more than 1024 bytes") && !Catch::Contains("pppp"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("describe never shows the password") {
  DatabaseConfig db;
  db.name = "shop";
  db.user = "engagementd";
  db.password_file = "/etc/engagementd/db-password";
  CHECK(describe(db) == "mysql engagementd@127.0.0.1:3306/shop");
}

TEST_CASE("metrics: off by default, loopback when on, address and port checked") {
  const Config plain = parse_config(kGood, "test.yaml");
  CHECK_FALSE(plain.metrics.enabled);
  CHECK(plain.metrics.listen == "127.0.0.1");
  CHECK(plain.metrics.port == 9477);

  const Config on = parse_config(std::string(kGood) + "metrics:\n  enabled: true\n", "test.yaml");
  CHECK(on.metrics.enabled);
  CHECK(on.metrics.listen == "127.0.0.1");

  const Config v6 = parse_config(
      std::string(kGood) + "metrics:\n  enabled: true\n  listen: \"::1\"\n  port: 0\n", "t.yaml");
  CHECK(v6.metrics.listen == "::1");
  CHECK(v6.metrics.port == 0);

  CHECK_THAT(
      problem(std::string(kGood) + "metrics:\n  listen: localhost\n"),
      Catch::StartsWith("test.yaml:18:11: metrics.listen: 'localhost' is not an IP address"));
  CHECK_THAT(problem(std::string(kGood) + "metrics:\n  port: 70000\n"),
             Catch::StartsWith("test.yaml:18:9: metrics.port:"));
  CHECK_THAT(problem(std::string(kGood) + "metrics:\n  path: /m\n"),
             Catch::Contains("metrics.path: unknown key"));
}

TEST_CASE("a reload reports the settings that need a restart") {
  const Config a = parse_config(kGood, "test.yaml");
  Config b = a;
  b.tick_interval = std::chrono::seconds(1);
  b.simulation_enabled = false;
  b.log_level = LogLevel::debug;
  b.real_viewer_ttl = std::chrono::seconds(30);
  b.watch_time = std::chrono::minutes(3);
  CHECK(restart_needed(a, b).empty());  // all of these apply at the next tick
  b.database.host = "10.0.0.2";
  b.database.read_timeout = std::chrono::seconds(5);
  b.metrics.port = 9100;
  b.seed = 7;
  CHECK(restart_needed(a, b) == std::vector<std::string>{"database.host", "database.read_timeout",
                                                         "simulation.seed", "metrics.port"});
}

TEST_CASE("a key given twice is an error, not last-one-wins") {
  const std::string p = problem(std::string(kGood) + "  level: debug\n");
  CHECK_THAT(p, Catch::Contains("test.yaml:17:3: log.level: given twice"));
}

TEST_CASE("leadership.lease and database.reconnect_max: defaults and limits") {
  const Config c = parse_config(kGood, "test.yaml");
  CHECK(lease_for(c) == std::chrono::seconds(15));  // max(15 s, 3 x 5 s)
  CHECK(c.database.reconnect_max == std::chrono::seconds(30));
  const Config slow = parse_config(std::string(kGood) + "leadership:\n  lease: 20s\n", "t.yaml");
  CHECK(lease_for(slow) == std::chrono::seconds(20));
  CHECK_THAT(problem(std::string(kGood) + "leadership:\n  lease: 6s\n"),
             Catch::Contains("leadership.lease: 6s is shorter than two ticks"));
  std::string text = kGood;
  text.replace(text.find("tick:\n  interval: 5s"), 20, "tick:\n  interval: 10s");
  CHECK(lease_for(parse_config(text, "t.yaml")) == std::chrono::seconds(30));
}

TEST_CASE("a password file others can read, or a config others can write, is warned about") {
  const auto dir = std::filesystem::temp_directory_path() / "engagementd-perm-test";
  std::filesystem::create_directories(dir);
  const std::string pw = (dir / "db-password").string();
  const std::string yaml = (dir / "engagementd.yaml").string();
  std::ofstream(pw) << "secret\n";
  std::string text = kGood;
  text.replace(text.find("/etc/engagementd/db-password"), 28, pw);
  std::ofstream(yaml) << text;
  ::unsetenv("CREDENTIALS_DIRECTORY");

  using std::filesystem::perms;
  std::filesystem::permissions(pw, perms::owner_read | perms::owner_write);
  std::filesystem::permissions(
      yaml, perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
  CHECK(permission_warnings(load_config(yaml)).empty());  // a readable config is fine

  std::filesystem::permissions(pw, perms::owner_read | perms::owner_write | perms::others_read);
  std::filesystem::permissions(yaml, perms::owner_read | perms::owner_write | perms::others_write);
  const auto warnings = permission_warnings(load_config(yaml));
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Catch::Contains(yaml) && Catch::Contains("writable by every user"));
  CHECK_THAT(warnings[1],
             Catch::Contains(pw) && Catch::Contains("mode 0604") && Catch::Contains("chmod o-r"));
  for (const auto& w : warnings) CHECK_THAT(w, !Catch::Contains("secret\n"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a section with every key commented out is empty, an empty database section is not") {
  const Config c = parse_config(std::string(kGood) + "leadership:\n  # lease: 20s\n", "test.yaml");
  CHECK_FALSE(c.lease.has_value());
  CHECK_THAT(problem("database:\ntick:\n  interval: 5s\n"),
             Catch::Contains("test.yaml:") && Catch::Contains("database: empty"));
}

TEST_CASE("shard: index of count, default 0 of 1, validated, needs a restart to change") {
  const Config c = parse_config(kGood, "test.yaml");
  CHECK(c.shard == Shard{0, 1});
  const Config two =
      parse_config(std::string(kGood) + "shard:\n  index: 1\n  count: 2\n", "t.yaml");
  CHECK(two.shard == Shard{1, 2});
  // Without an index, or with index: auto, the instances share the shards themselves.
  CHECK(parse_config(std::string(kGood) + "shard:\n  count: 3\n", "t.yaml").shard ==
        Shard{0, 3, true});
  CHECK(parse_config(std::string(kGood) + "shard:\n  index: auto\n  count: 4\n", "t.yaml").shard ==
        Shard{0, 4, true});
  CHECK_THAT(problem(std::string(kGood) + "shard:\n  index: 2\n  count: 2\n"),
             Catch::StartsWith("test.yaml:18:10: shard.index: 2 is not below shard.count 2"));
  CHECK_THAT(problem(std::string(kGood) + "shard:\n  index: 1\n"),
             Catch::Contains("shard.index: 1 is not below shard.count 1"));
  CHECK_THAT(
      problem(std::string(kGood) + "shard:\n  count: 0\n"),
      Catch::StartsWith("test.yaml:18:10: shard.count: '0' is not a whole number in 1..1024"));
  CHECK_THAT(problem(std::string(kGood) + "shard:\n  index: -1\n  count: 2\n"),
             Catch::Contains("shard.index: '-1' is not a whole number"));
  CHECK_THAT(problem(std::string(kGood) + "shard:\n  total: 2\n"),
             Catch::Contains("shard.total: unknown key"));
  Config moved = c;
  moved.shard = Shard{1, 2};
  CHECK(restart_needed(c, moved) == std::vector<std::string>{"shard.index", "shard.count"});
}
