// The site as it really is: its production table shapes (saved_streams
// without a stream id, a DECIMAL(3,2) multiplier with its own default and
// comment, its own unique index on stream_key, signed INT display columns),
// and a site whose statements fail for one stream. The same bodies run on
// SQLite and on MariaDB.
#include <catch2/catch.hpp>

#include "store/doctor.hpp"
#include "store/session.hpp"
#include "store/trigger_account.hpp"
#include "store/uninstall.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

std::string column_info(soci::session& sql, const std::string& table, const std::string& column,
                        const std::string& what) {
  std::string out;
  soci::indicator ind = soci::i_ok;
  sql << "SELECT COALESCE(" + what +
             ", '<NULL>') FROM information_schema.columns WHERE table_schema = DATABASE() AND "
             "table_name = :t AND column_name = :c",
      soci::use(table), soci::use(column), soci::into(out, ind);
  return out;
}

// The production replay table (docs/design.md: the dump layout, unlinked): no stream id.
void create_saved_streams_without_id(soci::session& sql) {
  if (is_mysql()) {
    sql << "CREATE TABLE saved_streams (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
           " seller_id INT NOT NULL, stream_title VARCHAR(255) NOT NULL,"
           " stream_description TEXT NULL, video_url VARCHAR(255) NOT NULL,"
           " thumbnail_url VARCHAR(255) NULL, duration INT DEFAULT 0, views INT DEFAULT 0,"
           " likes INT DEFAULT 0, dislikes INT DEFAULT 0,"
           " streamed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
           " created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)";
  } else {
    sql << "CREATE TABLE saved_streams (id INTEGER PRIMARY KEY AUTOINCREMENT,"
           " seller_id INTEGER NOT NULL, stream_title TEXT NOT NULL, stream_description TEXT,"
           " video_url TEXT NOT NULL, thumbnail_url TEXT, duration INTEGER DEFAULT 0,"
           " views INTEGER DEFAULT 0, likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0,"
           " streamed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
           " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)";
  }
}

void save_replay_without_id(soci::session& sql, long long stream) {
  sql << "INSERT INTO saved_streams (seller_id, stream_title, video_url, views, likes, dislikes,"
         " stream_id) VALUES (7, 'Replay', '/v.mp4', 0, 0, 0, " +
             std::to_string(stream) + ")";
}

struct Final {
  long long viewers = 0, likes = 0, dislikes = 0;
};

Final summary(soci::session& sql, long long id) {
  const std::string sid = std::to_string(id);
  return {query_int(sql,
                    "SELECT final_viewer_count FROM engagementd_stream_summary WHERE "
                    "stream_id = " +
                        sid),
          query_int(sql,
                    "SELECT final_like_count FROM engagementd_stream_summary WHERE "
                    "stream_id = " +
                        sid),
          query_int(sql, "SELECT real_dislikes FROM engagementd_stream_summary WHERE stream_id = " +
                             sid)};
}

}  // namespace

TEST_CASE_METHOD(
    DatabaseFixture,
    "final numbers go into a saved_streams of either layout, also into a row written later") {
  const bool production = GENERATE(false, true);
  INFO((production ? "views, likes, dislikes (no stream id)"
                   : "stream_id, viewer_count, like_count"));
  if (production) create_saved_streams_without_id(*site);
  migrate();
  CHECK(store->saved_streams_layout() ==
        (production ? SavedStreamsLayout::dump_linked : SavedStreamsLayout::migration));

  const long long early = add_stream();  // its replay row is there at finalization
  const long long late = add_stream();   // its replay row comes after
  for (long long id : {early, late}) {
    set_config(id, "1, 1, 10, 20, 100, 100, 60, 2.0");
    add_viewer(id, "buyer-" + std::to_string(id));
    add_interaction(id, "like");
    add_interaction(id, "dislike");
  }
  TickEngine engine = make_engine(42);
  engine.run(settings());
  rewind(30'000);
  engine.run(settings());

  end_stream(early);
  end_stream(late);
  if (production) {
    save_replay_without_id(*site, early);
  } else {
    *site << "INSERT INTO saved_streams (stream_id, title) VALUES (" + std::to_string(early) +
                 ", 'Replay')";
  }
  CHECK(engine.run(settings()).finalized == 2);
  if (production) {
    save_replay_without_id(*site, late);
  } else {
    *site << "INSERT INTO saved_streams (stream_id, title) VALUES (" + std::to_string(late) +
                 ", 'Replay')";
  }
  engine.run(settings());

  for (long long id : {early, late}) {
    INFO("stream " << id);
    const Final f = summary(*site, id);
    CHECK(f.viewers >= 6);  // the real viewer and at least min/2 simulated at first sight
    CHECK(f.likes >= 1);
    CHECK(f.dislikes == 1);
    const std::string where = " FROM saved_streams WHERE stream_id = " + std::to_string(id);
    if (production) {
      CHECK(query_int(*site, "SELECT views" + where) == f.viewers);
      CHECK(query_int(*site, "SELECT likes" + where) == f.likes);
      CHECK(query_int(*site, "SELECT dislikes" + where) == f.dislikes);
    } else {
      CHECK(query_int(*site, "SELECT viewer_count" + where) == f.viewers);
      CHECK(query_int(*site, "SELECT like_count" + where) == f.likes);
    }
    // The live_streams row agrees.
    CHECK(query_int(*site, "SELECT viewer_count FROM live_streams WHERE id = " +
                               std::to_string(id)) == f.viewers);
    CHECK(query_int(*site, "SELECT like_count FROM live_streams WHERE id = " +
                               std::to_string(id)) == f.likes);
  }
}

TEST_CASE_METHOD(
    DatabaseFixture,
    "a saved_streams of a layout engagementd does not know is left alone, ticks go on") {
  *site << (is_mysql() ? "CREATE TABLE saved_streams (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                         " seller_id INT NOT NULL, title VARCHAR(255) NOT NULL)"
                       : "CREATE TABLE saved_streams (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                         " seller_id INTEGER NOT NULL, title TEXT NOT NULL)");
  {
    // Before migrate, doctor names what stops engagementd.
    auto fresh = db.open();
    bool behind = false;
    for (const Finding& f : inspect_site(*fresh, std::chrono::seconds(60))) {
      behind = behind || (f.level == Finding::Level::problem &&
                          f.text.find("run 'engagementd migrate'") != std::string::npos);
    }
    CHECK(behind);
  }
  migrate();
  CHECK(store->saved_streams_layout() == SavedStreamsLayout::unknown);
  std::size_t problems = 0, unknown_named = 0;
  for (const Finding& f : inspect_site(*store, std::chrono::seconds(60))) {
    INFO(f.text);
    problems += f.level == Finding::Level::problem;
    unknown_named += f.level == Finding::Level::warning &&
                     f.text.find("saved_streams: unknown") != std::string::npos;
  }
  CHECK(problems == 0);
  CHECK(unknown_named == 1);
  const long long ending = add_stream();
  const long long going_on = add_stream();
  TickEngine engine = make_engine(42);
  engine.run(settings());
  end_stream(ending);
  *site << "INSERT INTO saved_streams (seller_id, title) VALUES (7, 'Replay')";
  rewind(30'000);
  const TickReport r = engine.run(settings());
  CHECK(r.finalized == 1);
  CHECK(r.live == 1);
  CHECK(r.set_aside == 0);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary WHERE stream_id = " +
                             std::to_string(ending)) == 1);
  CHECK(query_int(*site, "SELECT viewer_count FROM live_streams WHERE id = " +
                             std::to_string(going_on)) > 0);
}

TEST_CASE_METHOD(
    DatabaseFixture,
    "a statement that fails for one stream sets that stream aside, the others tick on") {
  const bool local_infile = is_mysql() ? GENERATE(true, false) : false;
  INFO("LOAD DATA LOCAL INFILE: " << local_infile);
  migrate(local_infile);
  std::vector<long long> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(add_stream());
    set_config(ids.back(), "1, 1, 10, 20, 100, 100, 60, 2.0");
  }
  const std::string bad = std::to_string(ids[2]);
  // The site's own trigger refuses any new viewer count for one stream.
  if (is_mysql()) {
    *site << "CREATE TRIGGER site_refuses BEFORE UPDATE ON live_streams FOR EACH ROW BEGIN IF"
             " NEW.id = " +
                 bad +
                 " AND NEW.viewer_count <> OLD.viewer_count THEN SIGNAL SQLSTATE '45000' SET"
                 " MESSAGE_TEXT = 'refused by the site'; END IF; END";
  } else {
    *site << "CREATE TRIGGER site_refuses BEFORE UPDATE OF viewer_count ON live_streams FOR EACH"
             " ROW WHEN NEW.id = " +
                 bad +
                 " AND NEW.viewer_count <> OLD.viewer_count BEGIN SELECT RAISE(ABORT, 'refused by"
                 " the site'); END";
  }
  TickEngine engine = make_engine(42);
  TickReport r;
  REQUIRE_NOTHROW(r = engine.run(settings()));
  CHECK(r.live == 5);
  for (long long id : ids) {
    INFO("stream " << id);
    const long long shown =
        query_int(*site, "SELECT viewer_count FROM live_streams WHERE id = " + std::to_string(id));
    if (id == ids[2]) {
      CHECK(shown == 0);
    } else {
      CHECK(shown >= 5);  // first sight: between min/2 and min simulated viewers
    }
  }
  // Set aside from then on: not stepped, not written, not failing the tick.
  rewind(30'000);
  REQUIRE_NOTHROW(r = engine.run(settings()));
  CHECK(r.set_aside == 1);
  CHECK(r.live == 5);  // read, but not stepped
  CHECK(query_int(*site, "SELECT viewer_count FROM live_streams WHERE id = " + bad) == 0);
  // Its end is not finalized while it is set aside; the others' are.
  end_stream(ids[2]);
  end_stream(ids[3]);
  REQUIRE_NOTHROW(r = engine.run(settings()));
  CHECK(r.finalized == 1);
}

TEST_CASE_METHOD(
    DatabaseFixture,
    "migrate keeps the site's multiplier default and comment, reuses its stream_key index, and "
    "display numbers are clamped to the site's signed columns",
    "[mysql-only]") {
  // The production shapes (database/schema.sql of the site), the columns
  // engagementd touches.
  *site << "CREATE TABLE stream_engagement_config (id INT UNSIGNED NOT NULL AUTO_INCREMENT"
           " PRIMARY KEY, stream_id BIGINT UNSIGNED NOT NULL, fake_viewers_enabled TINYINT(1)"
           " DEFAULT 1, fake_likes_enabled TINYINT(1) DEFAULT 1, min_fake_viewers INT UNSIGNED"
           " NOT NULL DEFAULT 10, max_fake_viewers INT UNSIGNED NOT NULL DEFAULT 50,"
           " viewer_increase_rate INT UNSIGNED NOT NULL DEFAULT 5 COMMENT 'Viewers per minute',"
           " viewer_decrease_rate INT UNSIGNED NOT NULL DEFAULT 3 COMMENT 'Viewers per minute',"
           " like_rate INT UNSIGNED NOT NULL DEFAULT 2 COMMENT 'Likes per minute',"
           " engagement_multiplier DECIMAL(3,2) NOT NULL DEFAULT 1.00 COMMENT 'Multiplier for"
           " engagement', created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP, updated_at"
           " TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,"
           " UNIQUE KEY unique_stream_config (stream_id))";
  *site << "CREATE TABLE live_streams (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
           " vendor_id INT NOT NULL, stream_key VARCHAR(128) NOT NULL, title VARCHAR(255) NOT"
           " NULL, status ENUM('scheduled','live','ended','archived','cancelled') NOT NULL"
           " DEFAULT 'scheduled', viewer_count INT NOT NULL DEFAULT 0, max_viewers INT NOT NULL"
           " DEFAULT 0, like_count INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'Total likes for the"
           " stream', dislike_count INT UNSIGNED NOT NULL DEFAULT 0, comment_count INT UNSIGNED"
           " NOT NULL DEFAULT 0, started_at TIMESTAMP NULL DEFAULT NULL, ended_at TIMESTAMP NULL"
           " DEFAULT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at"
           " TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,"
           " UNIQUE KEY stream_key (stream_key), KEY idx_status (status))";
  migrate();
  const std::string m = "engagement_multiplier";
  CHECK(column_info(*site, "stream_engagement_config", m, "column_default") == "1.00");
  CHECK(column_info(*site, "stream_engagement_config", m, "column_comment") ==
        "Multiplier for engagement");
  CHECK(column_info(*site, "stream_engagement_config", m, "is_nullable") == "NO");
  CHECK(column_info(*site, "stream_engagement_config", m, "column_type") == "decimal(4,2)");
  CHECK(column_info(*site, "live_streams", "like_count", "column_comment") ==
        "Total likes for the stream");
  CHECK(query_int(*site,
                  "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics"
                  " WHERE table_schema = DATABASE() AND table_name = 'live_streams'"
                  " AND column_name = 'stream_key' AND non_unique = 0") == 1);
  // migrate again: nothing changes.
  CHECK(store->migrate(quiet_logger()).empty());
  CHECK(column_info(*site, "stream_engagement_config", m, "column_type") == "decimal(4,2)");

  // The site's INSERT without a key works; a config row it writes without a
  // multiplier gets the site's default; 10.0 fits.
  const long long big = add_stream();
  const long long other = add_stream();
  *site << "INSERT INTO stream_engagement_config (stream_id) VALUES (" + std::to_string(big) + ")";
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_engagement_config WHERE stream_id = " +
                             std::to_string(big) + " AND engagement_multiplier = 1.00") == 1);
  *site << "UPDATE stream_engagement_config SET engagement_multiplier = 10.0";
  CHECK(store->display_limit() == 2147483647LL);

  TickEngine engine = make_engine(42);
  engine.run(settings());
  // A kept like count past the signed INT of viewer_count's kind: shown
  // clamped, the stream and the others tick on.
  *site << "UPDATE engagementd_real_counts SET likes = 3000000000 WHERE stream_id = " +
               std::to_string(big);
  rewind(30'000);
  TickReport r;
  REQUIRE_NOTHROW(r = engine.run(settings()));
  CHECK(r.set_aside == 0);
  CHECK(query_int(*site, "SELECT like_count FROM live_streams WHERE id = " + std::to_string(big)) ==
        2147483647LL);
  CHECK(query_int(*site,
                  "SELECT viewer_count FROM live_streams WHERE id = " + std::to_string(other)) > 0);
  // A negative kept count (rows changed without the triggers) is counted again.
  *site << "UPDATE engagementd_real_counts SET likes = -5 WHERE stream_id = " +
               std::to_string(other);
  // A hand edit is not among the changes the streams in memory follow (the
  // triggers' and recount's): a whole read, as after a restart, sees it.
  engine.drop_cache("the kept counts were edited by hand");
  REQUIRE_NOTHROW(engine.run(settings()));
  CHECK(query_int(*site, "SELECT likes FROM engagementd_real_counts WHERE stream_id = " +
                             std::to_string(other)) == 0);
}

namespace {

// Every object engagementd may have left: tables, triggers, added columns.
long long engagementd_objects(soci::session& sql) {
  if (is_mysql()) {
    return query_int(sql,
                     "SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                     "DATABASE() AND table_name LIKE 'engagementd%') + (SELECT COUNT(*) FROM "
                     "information_schema.triggers WHERE trigger_schema = DATABASE()) + (SELECT "
                     "COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND "
                     "(column_name IN ('includes_simulated', 'last_seen_at') OR column_comment "
                     "LIKE '%engagementd%'))");
  }
  return query_int(sql,
                   "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'engagementd%' OR "
                   "type = 'trigger') + (SELECT COUNT(*) FROM pragma_table_info('live_streams') "
                   "WHERE name = 'includes_simulated') + (SELECT COUNT(*) FROM "
                   "pragma_table_info('stream_viewers') WHERE name = 'last_seen_at') + (SELECT "
                   "COUNT(*) FROM pragma_table_info('saved_streams') WHERE name = 'stream_id')");
}

}  // namespace

TEST_CASE_METHOD(
    DatabaseFixture,
    "uninstall removes every object engagementd created, the site works, migrate restores") {
  create_saved_streams_without_id(*site);  // so that migrate adds the link column
  migrate();
  const long long id = add_stream();
  add_viewer(id, "buyer");
  add_interaction(id, "like");
  {
    TickEngine engine = make_engine(42);
    engine.run(settings());
    end_stream(id);
    engine.run(settings());
  }
  REQUIRE(engagementd_objects(*site) > 0);
  const UninstallPlan plan = plan_uninstall(*store, /*purge=*/true);
  // The summary and the audit trail hold data: the command asks first.
  CHECK(plan.data.size() == 3);  // with --purge, the badges too
  CHECK(plan.consequences.size() == 1);
  run_uninstall(*store, plan, settings().real_viewer_ttl);
  CHECK(engagementd_objects(*site) == 0);
  CHECK(plan_uninstall(*store, true).steps.empty());

  // The site's own writes work without engagementd.
  const long long next = add_stream();
  add_viewer(next, "after");
  add_interaction(next, "like");
  *site << "UPDATE stream_viewers SET left_at = " + now_sql() +
               " WHERE stream_id = " + std::to_string(next);
  *site << "DELETE FROM stream_interactions WHERE stream_id = " + std::to_string(next);

  // migrate puts everything back, and ticks run.
  migrate();
  CHECK(store->schema_version() == Store::latest_schema_version(backend()));
  CHECK(store->saved_streams_layout() == SavedStreamsLayout::dump_linked);
  TickEngine engine = make_engine(43);
  CHECK(engine.run(settings()).live == 1);
}

TEST_CASE_METHOD(
    SiteFixture,
    "a trigger whose table is gone fails the site's writes (the engine opens it with the "
    "statement): doctor names it, uninstall mends it",
    "[mysql-only]") {
  const long long id = add_stream();
  *site << "RENAME TABLE engagementd_real_deltas TO engagementd_real_deltas_gone";
  // MariaDB opens (prelocks) every table a trigger uses with the site's
  // statement: no handler inside the trigger can catch a missing one.
  CHECK_THROWS_WITH(add_interaction(id, "like"), Catch::Contains("doesn't exist"));
  std::size_t named = 0;
  for (const Finding& f : inspect_site(*store, std::chrono::seconds(60))) {
    named += f.level == Finding::Level::problem &&
             f.text.find("engagementd_real_deltas is missing") != std::string::npos;
  }
  CHECK(named == 1);
  run_uninstall(*store, plan_uninstall(*store, true), settings().real_viewer_ttl);
  REQUIRE_NOTHROW(add_interaction(id, "like"));
  REQUIRE_NOTHROW(add_viewer(id, "buyer"));
  *site << "DROP TABLE engagementd_real_deltas_gone";
  migrate();
  REQUIRE_NOTHROW(add_interaction(id, "dislike"));
  TickEngine engine = make_engine(1);
  engine.run(settings());
  CHECK(query_int(*site,
                  "SELECT dislike_count FROM live_streams WHERE id = " + std::to_string(id)) == 1);
}

TEST_CASE_METHOD(SiteFixture,
                 "engagementd_stream_changes gone fails the site's settings writes: doctor names "
                 "it, uninstall mends it",
                 "[mysql-only]") {
  const long long id = add_stream();
  const std::string values = "1, 1, 10, 50, 5, 3, 2, 1.5";
  *site << "RENAME TABLE engagementd_stream_changes TO engagementd_stream_changes_gone";
  CHECK_THROWS_WITH(set_config(id, values), Catch::Contains("doesn't exist"));
  std::size_t named = 0;
  for (const Finding& f : inspect_site(*store, std::chrono::seconds(60))) {
    named += f.level == Finding::Level::problem &&
             f.text.find("engagementd_stream_changes is missing") != std::string::npos &&
             f.text.find("stream_engagement_config fail") != std::string::npos;
  }
  CHECK(named == 1);
  run_uninstall(*store, plan_uninstall(*store, true), settings().real_viewer_ttl);
  REQUIRE_NOTHROW(set_config(id, values));
  *site << "DROP TABLE engagementd_stream_changes_gone";
  migrate();
  *site << "UPDATE stream_engagement_config SET like_rate = 4 WHERE stream_id = " +
               std::to_string(id);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_changes WHERE stream_id = " +
                             std::to_string(id)) == 1);
}

TEST_CASE_METHOD(
    DatabaseFixture,
    "the triggers run as their own locked account: the account that migrated can go, the site's "
    "writes go on, uninstall removes the account",
    "[mysql-only]") {
  // A temporary administrator runs migrate, and is dropped afterwards.
  const std::string admin =
      "'mig_" + db.config().name.substr(db.config().name.size() - 8) + "'@'127.0.0.1'";
  *site << "CREATE USER " + admin + " IDENTIFIED BY 'mig-pw'";
  *site << "GRANT ALL PRIVILEGES ON *.* TO " + admin + " WITH GRANT OPTION";
  {
    DatabaseConfig c = db.config();
    c.user = admin.substr(1, admin.find('\'', 1) - 1);
    auto migrating = Store::open(c, "mig-pw");
    migrating->migrate(quiet_logger());
  }
  *site << "DROP USER " + admin;
  const std::string own = trigger_user(db.config().name) + "@localhost";
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM information_schema.triggers WHERE "
                  "trigger_schema = DATABASE()") == 12);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM information_schema.triggers WHERE "
                  "trigger_schema = DATABASE() AND definer <> '" +
                      own + "'") == 0);
  std::string create_user;
  *site << "SHOW CREATE USER " + trigger_account(db.config().name), soci::into(create_user);
  CHECK_THAT(create_user, Catch::Contains("ACCOUNT LOCK"));

  // The site's writes work with the migrating account gone, and are counted.
  const long long id = add_stream();
  add_viewer(id, "buyer");
  add_interaction(id, "like");
  *site << "UPDATE stream_interactions SET interaction_type = 'dislike' WHERE stream_id = " +
               std::to_string(id);
  set_config(id, "1, 1, 10, 50, 5, 3, 2, 1.5");
  *site << "UPDATE stream_engagement_config SET like_rate = 4 WHERE stream_id = " +
               std::to_string(id);
  *site << "DELETE FROM stream_engagement_config WHERE stream_id = " + std::to_string(id);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_changes WHERE stream_id = " +
                             std::to_string(id)) == 3);
  CHECK(query_int(*site, "SELECT LENGTH(stream_key) FROM live_streams WHERE id = " +
                             std::to_string(id)) == 48);
  reopen();
  TickEngine engine = make_engine(7);
  engine.run(settings());
  CHECK(query_int(*site,
                  "SELECT dislike_count FROM live_streams WHERE id = " + std::to_string(id)) == 1);
  std::size_t warnings = 0, problems = 0;
  for (const Finding& f : inspect_site(*store, std::chrono::seconds(60))) {
    INFO(f.text);
    warnings += f.level == Finding::Level::warning && f.text.find("runs as") != std::string::npos;
    problems += f.level == Finding::Level::problem;
  }
  CHECK(warnings == 0);
  CHECK(problems == 0);

  run_uninstall(*store, plan_uninstall(*store, true), settings().real_viewer_ttl);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM mysql.user WHERE CONVERT(user USING utf8mb4) = '" +
                             trigger_user(db.config().name) + "'") == 0);
}

namespace {

long long stream_value(soci::session& sql, const std::string& column, long long stream) {
  return query_int(sql,
                   "SELECT " + column + " FROM live_streams WHERE id = " + std::to_string(stream));
}

}  // namespace

TEST_CASE_METHOD(DatabaseFixture,
                 "uninstall gives live streams their real numbers and keeps the columns the "
                 "site's pages rely on, and migrate again keeps every replay link and badge") {
  create_saved_streams_without_id(*site);
  migrate();
  const long long live = add_stream();
  const long long ended = add_stream();
  for (long long id : {live, ended}) {
    // At least 10 simulated viewers from the first tick on.
    set_config(id, "1, 1, 20, 40, 5, 3, 2, 1.5");
    add_viewer(id, "buyer-a" + std::to_string(id));
    add_interaction(id, "like");
  }
  add_viewer(live, "buyer-b");
  add_viewer(live, "gone", false, /*left=*/true);
  add_viewer(live, "fake", /*fake=*/true);
  add_interaction(live, "dislike");
  add_interaction(live, "like", /*fake=*/true);
  {
    TickEngine engine = make_engine(7);
    engine.run(settings());
    end_stream(ended);
    engine.run(settings());
    engine.release();
  }
  *site << "INSERT INTO saved_streams (seller_id, stream_title, video_url, stream_id) VALUES (1, "
           "'replay', '/v.mp4', " +
               std::to_string(ended) + ")";
  REQUIRE(stream_value(*site, "includes_simulated", live) == 1);
  REQUIRE(stream_value(*site, "viewer_count", live) > 10);
  REQUIRE(stream_value(*site, "includes_simulated", ended) == 1);
  CHECK(fresh_leases(*store).empty());  // released

  const UninstallPlan plan = plan_uninstall(*store);
  CHECK(plan.live_streams == 1);
  CHECK(plan.live_simulated == 1);
  // The schema version goes first: a daemon still running stands by.
  REQUIRE(!plan.steps.empty());
  CHECK(plan.steps.front().what.rfind("table engagementd_schema_version (", 0) == 0);
  std::string kept;
  for (const std::string& k : plan.kept) kept += k + "\n";
  CHECK_THAT(kept, Catch::Contains("column saved_streams.stream_id (1 replay link)"));
  CHECK_THAT(kept, Catch::Contains("column live_streams.includes_simulated (2 streams with the "
                                   "badge on)"));
  CHECK_THAT(kept, Catch::Contains("column stream_viewers.last_seen_at"));
  CHECK_THAT(kept, Catch::Contains("index idx_saved_streams_stream_id"));
  for (const auto& s : plan.steps) {
    CHECK(s.what.find("column ") != 0);
    CHECK(s.what.find("idx_saved_streams_stream_id") == std::string::npos);
    if (s.what.rfind("table ", 0) == 0) CHECK_THAT(s.what, Catch::Contains(" row"));
  }
  // The purge plan drops them, and says the links are data lost.
  const UninstallPlan purge = plan_uninstall(*store, true);
  std::string lost;
  for (const std::string& d : purge.data) lost += d + "\n";
  CHECK_THAT(lost, Catch::Contains("saved_streams.stream_id (1 replay link)"));

  const UninstallDone done = run_uninstall(*store, plan, settings().real_viewer_ttl);
  CHECK(done.steps == plan.steps.size());
  CHECK(done.real_numbers == 1);
  // The real numbers only: the two open real sessions, the real like and
  // dislike; the fake rows and the closed session are not counted.
  CHECK(stream_value(*site, "viewer_count", live) == 2);
  CHECK(stream_value(*site, "max_viewers", live) == 2);
  CHECK(stream_value(*site, "like_count", live) == 1);
  CHECK(stream_value(*site, "dislike_count", live) == 1);
  CHECK(stream_value(*site, "comment_count", live) == 0);
  CHECK(stream_value(*site, "includes_simulated", live) == 0);
  // The ended stream keeps its final numbers and its badge, its replay its link.
  CHECK(stream_value(*site, "includes_simulated", ended) == 1);
  const long long final_viewers = stream_value(*site, "viewer_count", ended);
  CHECK(final_viewers > 10);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM saved_streams WHERE stream_id = " +
                             std::to_string(ended)) == 1);
  CHECK(!store->has_table("engagementd_stream_state"));

  migrate();
  CHECK(store->schema_version() == Store::latest_schema_version(backend()));
  CHECK(store->saved_streams_layout() == SavedStreamsLayout::dump_linked);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM saved_streams WHERE stream_id = " +
                             std::to_string(ended)) == 1);
  CHECK(stream_value(*site, "includes_simulated", ended) == 1);
  // The live stream's simulation starts anew from its real numbers (the
  // earlier one went with the daemon's tables); the ended one stays as it is.
  TickEngine engine = make_engine(8);
  CHECK(engine.run(settings()).live == 1);
  CHECK(stream_value(*site, "includes_simulated", live) == 1);
  CHECK(stream_value(*site, "viewer_count", live) == 2 + state(live).viewers);
  CHECK(stream_value(*site, "viewer_count", ended) == final_viewers);
  CHECK(stream_value(*site, "includes_simulated", ended) == 1);
}

TEST_CASE_METHOD(SiteFixture, "uninstall sees the fresh lease of a running instance") {
  add_stream();
  CHECK(fresh_leases(*store).empty());
  TickEngine engine = make_engine(3, std::string("host:1:running"));
  engine.run(settings());
  const std::vector<FreshLease> leases = fresh_leases(*store);
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].holder == "host:1:running");
  CHECK(leases[0].shard == 0);
  CHECK(leases[0].expires_in_ms > 0);
  CHECK(leases[0].expires_in_ms <= settings().lease.count());
  engine.release();
  CHECK(fresh_leases(*store).empty());
}

TEST_CASE_METHOD(SiteFixture,
                 "the real numbers again after a forced uninstall: only the streams a daemon "
                 "badged meanwhile, their peak the viewers now") {
  const long long badged = add_stream();
  const long long plain = add_stream();
  set_config(badged, "1, 1, 20, 40, 5, 3, 2, 1.5");
  set_config(plain, "0, 0, 0, 0, 0, 0, 0, 1");
  add_viewer(badged, "a");
  add_viewer(plain, "b");
  TickEngine engine = make_engine(11);
  engine.run(settings());
  REQUIRE(stream_value(*site, "includes_simulated", badged) == 1);
  REQUIRE(stream_value(*site, "includes_simulated", plain) == 0);
  *site << "UPDATE live_streams SET max_viewers = 50 WHERE id = " + std::to_string(plain);
  {
    TickStore::Transaction tx(*store);
    CHECK(show_real_numbers(*store, settings().real_viewer_ttl, true) == 1);
    tx.commit();
  }
  CHECK(stream_value(*site, "includes_simulated", badged) == 0);
  CHECK(stream_value(*site, "viewer_count", badged) == 1);
  CHECK(stream_value(*site, "max_viewers", badged) >= 1);
  CHECK(stream_value(*site, "max_viewers", plain) == 50);  // not badged: untouched
  TickStore::Transaction tx(*store);
  CHECK(show_real_numbers(*store, settings().real_viewer_ttl, true) == 0);
  tx.commit();
}
