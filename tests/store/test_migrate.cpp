// migrate on SQLite and MariaDB: the schema created and checked, the site's
// broken stream_key repaired, the account's privileges checked first.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <memory>
#include <regex>
#include <set>

#include "store/cluster.hpp"
#include "store/doctor.hpp"
#include "store/session.hpp"
#include "support/process.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

std::vector<std::string> stream_keys(soci::session& sql) {
  std::vector<std::string> keys;
  std::string k;
  soci::indicator ind = soci::i_ok;
  soci::statement st =
      (sql.prepare << "SELECT stream_key FROM live_streams ORDER BY id", soci::into(k, ind));
  st.execute();
  while (st.fetch()) keys.push_back(ind == soci::i_null ? std::string("<NULL>") : k);
  return keys;
}

// Every key non-empty, unique, and the generated ones 48 hex digits (192 bits).
void check_keys(soci::session& sql, const std::set<std::string>& kept) {
  const auto keys = stream_keys(sql);
  const std::set<std::string> unique(keys.begin(), keys.end());
  CHECK(unique.size() == keys.size());
  const std::regex generated("[0-9a-f]{48}");
  for (const auto& k : keys) {
    INFO("key " << k);
    CHECK((kept.count(k) == 1 || std::regex_match(k, generated)));
  }
}

}  // namespace

TEST_CASE_METHOD(
    DatabaseFixture,
    "run refuses an unmigrated database, migrate creates the schema and is idempotent") {
  store = db.open();
  CHECK(store->schema_version() == 0);
  CHECK_THROWS_WITH(store->check_schema(), Catch::Contains("engagementd migrate"));

  const auto applied = store->migrate(quiet_logger());
  CHECK(applied == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK(store->schema_version() == Store::latest_schema_version(backend()));
  CHECK_NOTHROW(store->check_schema());
  CHECK(store->migrate(quiet_logger()).empty());

  for (const char* table :
       {"live_streams", "stream_viewers", "stream_interactions", "stream_engagement_config",
        "global_stream_settings", "saved_streams", "engagementd_stream_state",
        "engagementd_stream_summary", "engagementd_audit"}) {
    CHECK(query_int(*site, std::string("SELECT COUNT(*) FROM ") + table) == 0);
  }
  *site << "INSERT INTO engagementd_schema_version (version, name) VALUES (99, 'future')";
  CHECK_THROWS_WITH(store->check_schema(), Catch::Contains("upgrade engagementd"));
}

TEST_CASE_METHOD(
    SiteFixture,
    "an INSERT that omits stream_key gets a unique 192-bit key and given keys are kept") {
  add_stream();
  add_stream();
  *site << "INSERT INTO live_streams (vendor_id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c')";
  *site << "INSERT INTO live_streams (vendor_id, title, stream_key) VALUES (4, 'd', 'kept-key')";
  *site << "INSERT INTO live_streams (vendor_id, title, stream_key) VALUES (5, 'e', '')";
  CHECK(stream_keys(*site).size() == 7);
  check_keys(*site, {"kept-key"});
  CHECK_THROWS(
      *site
      << "INSERT INTO live_streams (vendor_id, title, stream_key) VALUES (6, 'f', 'kept-key')");
}

TEST_CASE_METHOD(DatabaseFixture,
                 "migrate repairs a live_streams table that has no stream_key column") {
  const std::string id = is_mysql() ? "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY"
                                    : "id INTEGER PRIMARY KEY AUTOINCREMENT";
  *site << "CREATE TABLE live_streams (" + id +
               ", vendor_id BIGINT NOT NULL, title VARCHAR(255) NOT NULL DEFAULT '',"
               " status VARCHAR(16) NOT NULL DEFAULT 'scheduled',"
               " viewer_count INT NOT NULL DEFAULT 0, max_viewers INT NOT NULL DEFAULT 0,"
               " like_count INT NOT NULL DEFAULT 0, dislike_count INT NOT NULL DEFAULT 0,"
               " comment_count INT NOT NULL DEFAULT 0, started_at DATETIME NULL,"
               " ended_at DATETIME NULL)";
  *site << "INSERT INTO live_streams (vendor_id, title) VALUES (1, 'old 1'), (2, 'old 2'), (3, "
           "'old 3')";
  migrate();
  *site << "INSERT INTO live_streams (vendor_id, title) VALUES (4, 'new')";
  CHECK(stream_keys(*site).size() == 4);
  check_keys(*site, {});
  const std::string first = stream_keys(*site)[0];
  CHECK_THROWS(*site << "UPDATE live_streams SET stream_key = :k WHERE id = 2", soci::use(first));
}

TEST_CASE_METHOD(DatabaseFixture,
                 "migrate repairs stream_key NOT NULL without a default, keeping good keys",
                 "[mysql-only]") {
  // SQLite cannot change a column's constraints in place; this broken state
  // is the production (MariaDB) one.
  *site << "CREATE TABLE live_streams (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
           " vendor_id BIGINT NOT NULL, stream_key VARCHAR(128) NOT NULL,"
           " title VARCHAR(255) NOT NULL DEFAULT '', status ENUM('scheduled','live','ended',"
           "'archived','cancelled') NOT NULL DEFAULT 'scheduled',"
           " viewer_count INT UNSIGNED NOT NULL DEFAULT 0, max_viewers INT UNSIGNED NOT NULL "
           "DEFAULT 0,"
           " like_count INT UNSIGNED NOT NULL DEFAULT 0, dislike_count INT UNSIGNED NOT NULL "
           "DEFAULT 0,"
           " comment_count INT UNSIGNED NOT NULL DEFAULT 0, started_at DATETIME NULL,"
           " ended_at DATETIME NULL, updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
           " ON UPDATE CURRENT_TIMESTAMP)";
  *site << "CREATE TABLE stream_engagement_config (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT"
           " PRIMARY KEY, stream_id BIGINT UNSIGNED NOT NULL UNIQUE, fake_viewers_enabled TINYINT"
           " NOT NULL DEFAULT 1, fake_likes_enabled TINYINT NOT NULL DEFAULT 1, min_fake_viewers"
           " INT NOT NULL DEFAULT 15, max_fake_viewers INT NOT NULL DEFAULT 100,"
           " viewer_increase_rate INT NOT NULL DEFAULT 5, viewer_decrease_rate INT NOT NULL"
           " DEFAULT 3, like_rate INT NOT NULL DEFAULT 3, engagement_multiplier DECIMAL(3,2)"
           " NOT NULL DEFAULT 2.00)";
  // The site's bug, as seen before the fix.
  CHECK_THROWS_WITH(*site << "INSERT INTO live_streams (vendor_id, title) VALUES (1, 'x')",
                    Catch::Contains("stream_key"));
  CHECK_THROWS(*site << "INSERT INTO stream_engagement_config (stream_id, engagement_multiplier)"
                        " VALUES (1, 10.0)");
  *site << "INSERT INTO live_streams (vendor_id, stream_key) VALUES (1, 'good-1'), (2, ''),"
           " (3, 'dup'), (4, 'dup'), (5, '')";
  migrate();
  const auto keys = stream_keys(*site);
  REQUIRE(keys.size() == 5);
  CHECK(keys[0] == "good-1");
  CHECK(keys[2] == "dup");
  CHECK(keys[3] != "dup");
  *site << "INSERT INTO live_streams (vendor_id, title) VALUES (6, 'after the fix')";
  check_keys(*site, {"good-1", "dup"});
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema ="
                  " DATABASE() AND table_name = 'live_streams' AND column_name ="
                  " 'stream_key' AND is_nullable = 'NO'") == 1);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema ="
                  " DATABASE() AND table_name = 'live_streams' AND column_name ="
                  " 'stream_key' AND non_unique = 0") >= 1);
  *site
      << "INSERT INTO stream_engagement_config (stream_id, engagement_multiplier) VALUES (1, 10.0)";
  double m = 0;
  *site << "SELECT engagement_multiplier FROM stream_engagement_config WHERE stream_id = 1",
      soci::into(m);
  CHECK(m == 10.0);
}

TEST_CASE_METHOD(
    DatabaseFixture,
    "migrate checks the account's privileges first: refuses naming every missing one and "
    "changes nothing, and counts an enabled role's",
    "[mysql-only]") {
  const std::string name = db.config().name;
  const std::string user = "mig_" + name;
  const std::string account = "'" + user + "'@'127.0.0.1'";
  const std::string role = "migrator_" + name;
  *site << "DROP USER IF EXISTS " + account;
  *site << "DROP ROLE IF EXISTS " + role;
  *site << "CREATE USER " + account + " IDENTIFIED BY 'mig'";
  *site << "GRANT SELECT, INSERT, CREATE ON `" + name + "`.* TO " + account;
  DatabaseConfig cfg = db.config();
  cfg.user = user;
  {
    auto limited = Store::open(cfg, "mig");
    CHECK_THROWS_WITH(limited->migrate(quiet_logger()),
                      Catch::Contains("nothing was changed") &&
                          Catch::Contains("lacks UPDATE, ALTER, INDEX, TRIGGER on the database"));
    CHECK(query_int(*site,
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                    "DATABASE()") == 0);
  }
  *site << "CREATE ROLE " + role;
  *site << "GRANT UPDATE, ALTER, INDEX, TRIGGER ON `" + name + "`.* TO " + role;
  *site << "GRANT " + role + " TO " + account;
  {
    auto limited = Store::open(cfg, "mig");
    // Granted but not enabled: still refused.
    CHECK_THROWS_WITH(limited->migrate(quiet_logger()), Catch::Contains("lacks UPDATE"));
    session_of(*limited) << "SET ROLE " + role;
    CHECK(limited->migrate(quiet_logger()).size() ==
          static_cast<std::size_t>(Store::latest_schema_version(backend())));
  }
  *site << "DROP USER " + account;
  *site << "DROP ROLE " + role;
}

TEST_CASE_METHOD(SiteFixture,
                 "a migrate whose session is gone (killed, Ctrl-C) leaves the migration lock to "
                 "the next at once, a live one's or an older engagementd's is waited for",
                 "[mysql-only]") {
  const std::string log_path = db.dir() + "/migrate-lock.log";
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  Logger log(LogLevel::info, fd);
  auto first = db.open();
  const long long first_id = query_int(session_of(*first), "SELECT CONNECTION_ID()");
  auto held = std::make_unique<MigrationLock>(session_of(*first), log);
  const std::string first_holder = [&] {
    std::string h;
    *site << "SELECT holder FROM engagementd_migration_lock WHERE name = 'migrate'", soci::into(h);
    return h;
  }();
  CHECK(first_holder.find(", holding the named lock engagementd_migrate_") != std::string::npos);

  // While its session lives, the next one waits (and gives up here).
  auto second = db.open();
  CHECK_THROWS_WITH(MigrationLock(session_of(*second), log, std::chrono::milliseconds(700)),
                    Catch::Contains("gave up waiting") && Catch::Contains(first_holder));

  // Its session ends without releasing anything, as when the process is
  // killed: the row stays, the named lock goes with the session.
  *site << "KILL CONNECTION " + std::to_string(first_id);
  const auto t0 = std::chrono::steady_clock::now();
  {
    MigrationLock taken(session_of(*second), log, std::chrono::seconds(20));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(query_int(*site,
                    "SELECT COUNT(*) FROM engagementd_migration_lock WHERE holder LIKE '% "
                    "connection " +
                        std::to_string(query_int(session_of(*second), "SELECT CONNECTION_ID()")) +
                        " on %'") == 1);
  }
  held.reset();  // its session is gone: nothing more happens
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_migration_lock") == 0);

  // A row without the mark (an older engagementd, or another node's) that
  // is being renewed is waited for: nothing proves its session is gone.
  *site << "INSERT INTO engagementd_migration_lock (name, holder, claimed_ms, renewed_ms)"
           " VALUES ('migrate', 'old-host:1 connection 99 on elsewhere:3306',"
           " CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED),"
           " CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED))";
  auto third = db.open();
  CHECK_THROWS_WITH(MigrationLock(session_of(*third), log, std::chrono::milliseconds(700)),
                    Catch::Contains("old-host:1 connection 99"));
  ::close(fd);
  const std::string text = read_file(log_path);
  INFO(text);
  CHECK(count_of(text,
                 "took over the migration lock of " + first_holder + ": its session is gone") == 1);
}

TEST_CASE_METHOD(SiteFixture,
                 "doctor names the migration lock's holder: running, gone, or not renewed",
                 "[mysql-only]") {
  const auto said = [&] {
    std::string text;
    for (const Finding& f : inspect_site(*store, std::chrono::seconds(60))) {
      if (f.text.find("migrat") != std::string::npos) text += f.text + "\n";
    }
    return text;
  };
  CHECK(said().find("migration lock") == std::string::npos);  // no row: nothing said
  auto first = db.open();
  const long long first_id = query_int(session_of(*first), "SELECT CONNECTION_ID()");
  auto held = std::make_unique<MigrationLock>(session_of(*first), quiet_logger());
  std::string text = said();
  INFO(text);
  CHECK(text.find("a migrate is running: ") != std::string::npos);
  CHECK(text.find("connection " + std::to_string(first_id)) != std::string::npos);

  *site << "KILL CONNECTION " + std::to_string(first_id);
  CHECK(eventually([&] {
    text = said();
    return text.find("left by a migrate whose session is gone") != std::string::npos;
  }));
  held.reset();

  // Rows without the mark: an older engagementd's, or another node's.
  *site << "UPDATE engagementd_migration_lock SET holder = 'old-host:1 connection 99 on x:3306',"
           " renewed_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 5000";
  text = said();
  CHECK(text.find("the migration lock is held by old-host:1 connection 99 on x:3306, renewed 5 s "
                  "ago: a migrate is running, or stopped less than 10 min ago") !=
        std::string::npos);
  *site << "UPDATE engagementd_migration_lock SET"
           " renewed_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 11 * 60000";
  text = said();
  CHECK(text.find("was last renewed 11 min ago: that migrate stopped") != std::string::npos);
}
