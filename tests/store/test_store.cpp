// Store contract tests: the same bodies run on SQLite and on MariaDB
// (db_tests --backend sqlite3|mysql, registered twice in CTest).
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <thread>

#include "store/shard_hash.hpp"
#include "support/process.hpp"
#include "support/site.hpp"
#include "support/test_db.hpp"
#include "tick/tick.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

TickSettings settings() {
  TickSettings s;
  s.max_catchup = std::chrono::seconds(60);
  return s;
}

struct Row {
  long long viewers, max_viewers, likes, dislikes, comments;
};

Row display(soci::session& sql, long long id) {
  Row r{};
  sql << "SELECT viewer_count, max_viewers, like_count, dislike_count, comment_count FROM "
         "live_streams WHERE id = :id",
      soci::use(id), soci::into(r.viewers), soci::into(r.max_viewers), soci::into(r.likes),
      soci::into(r.dislikes), soci::into(r.comments);
  return r;
}

SimState state(soci::session& sql, long long id) {
  SimState s;
  long long v = 0, j = 0, l = 0, p = 0;
  sql << "SELECT sim_viewers, sim_joins, sim_likes, peak_viewers FROM engagementd_stream_state "
         "WHERE stream_id = :id",
      soci::use(id), soci::into(v), soci::into(j), soci::into(l), soci::into(p);
  s.viewers = v;
  s.joins = j;
  s.likes = l;
  s.peak = p;
  return s;
}

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

TEST_CASE("run refuses an unmigrated database, migrate creates the schema and is idempotent") {
  TestDatabase db;
  auto store = db.open();
  CHECK(store->schema_version() == 0);
  CHECK_THROWS_WITH(store->check_schema(), Catch::Contains("engagementd migrate"));

  const auto applied = store->migrate(quiet_logger());
  CHECK(applied == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(store->schema_version() == Store::latest_schema_version(backend()));
  CHECK_NOTHROW(store->check_schema());
  CHECK(store->migrate(quiet_logger()).empty());

  auto site = db.site();
  for (const char* table :
       {"live_streams", "stream_viewers", "stream_interactions", "stream_engagement_config",
        "global_stream_settings", "saved_streams", "engagementd_stream_state",
        "engagementd_stream_summary", "engagementd_audit"}) {
    CHECK(query_int(*site, std::string("SELECT COUNT(*) FROM ") + table) == 0);
  }
  *site << "INSERT INTO engagementd_schema_version (version, name) VALUES (99, 'future')";
  CHECK_THROWS_WITH(store->check_schema(), Catch::Contains("upgrade engagementd"));
}

TEST_CASE("an INSERT that omits stream_key gets a unique 192-bit key and given keys are kept") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  add_stream(*site);
  add_stream(*site);
  *site << "INSERT INTO live_streams (vendor_id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c')";
  *site << "INSERT INTO live_streams (vendor_id, title, stream_key) VALUES (4, 'd', 'kept-key')";
  *site << "INSERT INTO live_streams (vendor_id, title, stream_key) VALUES (5, 'e', '')";
  CHECK(stream_keys(*site).size() == 7);
  check_keys(*site, {"kept-key"});
  CHECK_THROWS(
      *site
      << "INSERT INTO live_streams (vendor_id, title, stream_key) VALUES (6, 'f', 'kept-key')");
}

TEST_CASE("migrate repairs a live_streams table that has no stream_key column") {
  TestDatabase db;
  auto site = db.site();
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
  auto store = db.migrated();
  *site << "INSERT INTO live_streams (vendor_id, title) VALUES (4, 'new')";
  CHECK(stream_keys(*site).size() == 4);
  check_keys(*site, {});
  const std::string first = stream_keys(*site)[0];
  CHECK_THROWS(*site << "UPDATE live_streams SET stream_key = :k WHERE id = 2", soci::use(first));
}

TEST_CASE("migrate repairs stream_key NOT NULL without a default, keeping good keys",
          "[mysql-only]") {
  // SQLite cannot change a column's constraints in place; this broken state
  // is the production (MariaDB) one.
  TestDatabase db;
  auto site = db.site();
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
  auto store = db.migrated();
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

TEST_CASE(
    "a tick creates missing config rows from the global settings and shows real + simulated") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  set_global(*site, "min_fake_viewers", "4");
  set_global(*site, "max_fake_viewers", "40");
  set_global(*site, "viewer_increase_rate", "6");
  set_global(*site, "like_rate", "0");
  set_global(*site, "sim_watch_minutes", "9");
  set_global(*site, "rtmp_secret", "s3cret");  // not the daemon's business
  const auto globals = store->read_global_settings();
  CHECK(globals.at("sim_watch_minutes") == std::optional<std::string>("9"));
  CHECK(globals.count("rtmp_secret") == 0);
  const long long a = add_stream(*site);
  const long long b = add_stream(*site);
  const long long scheduled = add_stream(*site, "scheduled");
  set_config(*site, b, "1, 1, 10, 10, 5, 3, 3, 2.0");
  for (const char* s : {"s1", "s2", "s3"}) add_viewer(*site, a, s);
  add_viewer(*site, a, "gone", false, true);
  add_viewer(*site, a, "fake1", true);
  add_viewer(*site, a, "fake2", true);
  add_interaction(*site, a, "like");
  add_interaction(*site, a, "like");
  add_interaction(*site, a, "like", true);
  add_interaction(*site, a, "dislike");
  add_interaction(*site, a, "comment");
  add_interaction(*site, a, "comment", true);

  TickEngine engine(*store, quiet_logger(), 1);
  const TickReport r = engine.run(settings());
  CHECK(r.live == 2);
  CHECK(r.configs_created == 1);
  CHECK(r.states_written == 2);
  CHECK(r.displays_written == 2);

  CHECK(
      query_int(*site, "SELECT min_fake_viewers FROM stream_engagement_config WHERE stream_id = " +
                           std::to_string(a)) == 4);
  CHECK(
      query_int(*site, "SELECT max_fake_viewers FROM stream_engagement_config WHERE stream_id = " +
                           std::to_string(a)) == 40);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_engagement_config WHERE stream_id = " +
                             std::to_string(scheduled)) == 0);

  const SimState sa = state(*site, a);
  CHECK(sa.viewers >= 2);
  CHECK(sa.viewers <= 4);
  const Row da = display(*site, a);
  CHECK(da.viewers == 3 + sa.viewers);  // 3 open real sessions; the fake ones never count
  CHECK(da.likes == 2 + sa.likes);
  CHECK(da.dislikes == 1);
  CHECK(da.comments == 1);
  CHECK(da.max_viewers == sa.peak);
  CHECK(sa.peak == da.viewers);

  const SimState sb = state(*site, b);
  CHECK(sb.viewers >= 5);
  CHECK(sb.viewers <= 10);
  CHECK(display(*site, b).viewers == sb.viewers);
  CHECK(display(*site, scheduled).viewers == 0);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state WHERE stream_id = " +
                             std::to_string(scheduled)) == 0);
  // The site's interaction tables stay real-only: nothing was added.
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_viewers") == 6);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_interactions") == 6);
}

TEST_CASE("only rows whose numbers changed are written") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long a = add_stream(*site);
  const long long b = add_stream(*site);
  // Rates so low that a tick of milliseconds moves nothing.
  set_config(*site, a, "1, 1, 5, 50, 0.001, 0.001, 0, 2.0");
  set_config(*site, b, "1, 1, 5, 50, 0.001, 0.001, 0, 2.0");
  TickEngine engine(*store, quiet_logger(), 2);
  engine.run(settings());
  TickReport r = engine.run(settings());
  CHECK(r.live == 2);
  CHECK(r.displays_written == 0);
  CHECK(r.states_written == 0);

  add_interaction(*site, a, "like");
  r = engine.run(settings());
  CHECK(r.displays_written == 1);
  CHECK(r.states_written == 0);
  CHECK(display(*site, a).likes == 1);
}

TEST_CASE("dt comes from the database clock and is capped by max_catchup") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long a = add_stream(*site);
  set_config(*site, a, "1, 1, 1, 1000, 600, 600, 0, 10.0");
  for (int i = 0; i < 50; ++i) add_viewer(*site, a, "s" + std::to_string(i));  // T = 500
  TickEngine engine(*store, quiet_logger(), 3);
  engine.run(settings());
  REQUIRE(state(*site, a).viewers == 1);

  // 30 s ago on the database clock: ~300 joins at 600/minute.
  rewind(*site, 30000);
  TickEngine restarted(*store, quiet_logger(), 4);
  restarted.run(settings());
  const SimState after = state(*site, a);
  CHECK(after.viewers > 220);  // Poisson(300): 220 is more than 4.5 sd below
  CHECK(after.viewers < 380);
  CHECK(display(*site, a).viewers == 50 + after.viewers);

  // An hour's pause counts as max_catchup (10 s, ~100 joins), not as an hour.
  rewind(*site, 3600000);
  TickSettings capped = settings();
  capped.max_catchup = std::chrono::seconds(10);
  TickEngine again(*store, quiet_logger(), 5);
  again.run(capped);
  const long long joined = state(*site, a).viewers - after.viewers;
  CHECK(joined > 50);
  CHECK(joined < 150);
}

TEST_CASE("a stream that leaves live is finalized exactly once, saved_streams included") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long a = add_stream(*site);
  set_config(*site, a, "1, 1, 10, 10, 5, 3, 60, 10.0");
  add_viewer(*site, a, "s1", false, true);
  add_viewer(*site, a, "s1");  // the same session came back: one viewer
  add_viewer(*site, a, "s2");
  add_viewer(*site, a, "old-fake", true);
  for (int i = 0; i < 3; ++i) add_interaction(*site, a, "like");
  add_interaction(*site, a, "like", true);
  add_interaction(*site, a, "comment");
  *site << "INSERT INTO saved_streams (stream_id, title, viewer_count, like_count, duration)"
           " VALUES (" +
               std::to_string(a) + ", 'replay', 0, 0, 0)";

  TickEngine engine(*store, quiet_logger(), 6);
  engine.run(settings());
  // A minute later: simulated likes accumulate (~60 at 60/minute x min(1, 0.1 x 10)).
  rewind(*site, 60000);
  TickEngine later(*store, quiet_logger(), 7);
  later.run(settings());
  const SimState sim = state(*site, a);
  REQUIRE(sim.likes > 0);

  *site << "UPDATE live_streams SET status = 'ended', ended_at = " + db.now_sql() +
               " WHERE id = " + std::to_string(a);
  TickReport r = later.run(settings());
  CHECK(r.finalized == 1);
  CHECK(r.live == 0);

  const Row final_row = display(*site, a);
  CHECK(final_row.viewers == 2 + sim.joins);  // distinct real sessions + simulated joins
  CHECK(final_row.likes == 3 + sim.likes);
  CHECK(final_row.max_viewers == sim.peak);
  CHECK(final_row.comments == 1);
  CHECK(query_int(*site, "SELECT viewer_count FROM saved_streams WHERE stream_id = " +
                             std::to_string(a)) == final_row.viewers);
  CHECK(query_int(*site, "SELECT like_count FROM saved_streams WHERE stream_id = " +
                             std::to_string(a)) == final_row.likes);

  long long real_total = 0, sim_total = 0, real_likes = 0, sim_likes = 0, peak = 0, duration = -1;
  std::string status;
  *site << "SELECT final_status, real_viewers_total, sim_viewers_total, real_likes, sim_likes,"
           " peak_viewers, duration_seconds FROM engagementd_stream_summary WHERE stream_id = :id",
      soci::use(a), soci::into(status), soci::into(real_total), soci::into(sim_total),
      soci::into(real_likes), soci::into(sim_likes), soci::into(peak), soci::into(duration);
  CHECK(status == "ended");
  CHECK(real_total == 2);
  CHECK(sim_total == sim.joins);
  CHECK(real_likes == 3);
  CHECK(sim_likes == sim.likes);
  CHECK(peak == sim.peak);
  CHECK(duration >= 0);

  // Again, and after a restart: nothing more happens.
  CHECK(later.run(settings()).finalized == 0);
  TickEngine restarted(*store, quiet_logger(), 8);
  CHECK(restarted.run(settings()).finalized == 0);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary") == 1);
  const Row again = display(*site, a);
  CHECK(again.viewers == final_row.viewers);
  CHECK(again.likes == final_row.likes);
}

TEST_CASE("a deleted stream is summarized once as deleted") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long a = add_stream(*site);
  TickEngine engine(*store, quiet_logger(), 9);
  engine.run(settings());
  *site << "DELETE FROM live_streams WHERE id = " + std::to_string(a);
  CHECK(engine.run(settings()).finalized == 1);
  CHECK(engine.run(settings()).finalized == 0);
  std::string status;
  *site << "SELECT final_status FROM engagementd_stream_summary WHERE stream_id = :id",
      soci::use(a), soci::into(status);
  CHECK(status == "deleted");
}

TEST_CASE("an invalid config row falls back to the global defaults and other streams tick on") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long bad = add_stream(*site);
  const long long good = add_stream(*site);
  set_config(*site, bad, "1, 1, 50, 10, 5, 3, 3, 2.0");  // max < min
  set_config(*site, good, "1, 1, 30, 30, 5, 3, 3, 2.0");
  TickEngine engine(*store, quiet_logger(), 10);
  const TickReport r = engine.run(settings());
  CHECK(r.live == 2);
  const SimState b = state(*site, bad);
  CHECK(b.viewers >= 8);  // global default min 15: [8, 15]
  CHECK(b.viewers <= 15);
  CHECK(state(*site, good).viewers >= 15);
  CHECK(display(*site, good).viewers == state(*site, good).viewers);
}

TEST_CASE("the kill switch (global row or YAML) shows real numbers only, within one tick") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long a = add_stream(*site);
  add_viewer(*site, a, "s1");
  add_interaction(*site, a, "like");
  TickEngine engine(*store, quiet_logger(), 11);
  engine.run(settings());
  REQUIRE(display(*site, a).viewers > 1);

  set_global(*site, "simulation_enabled", "0");
  CHECK_FALSE(engine.run(settings()).simulation_enabled);
  CHECK(display(*site, a).viewers == 1);
  CHECK(display(*site, a).likes == 1);

  set_global(*site, "simulation_enabled", "1");
  engine.run(settings());
  CHECK(display(*site, a).viewers == 1 + state(*site, a).viewers);

  TickSettings off = settings();
  off.simulation_enabled = false;
  engine.run(off);
  CHECK(display(*site, a).viewers == 1);
}

TEST_CASE("many streams are written in batches, every row right, on each write path") {
  // MariaDB: by LOAD DATA LOCAL INFILE into temporary tables (the default),
  // and as multi-row statements (database.local_infile: false, or refused).
  const bool local_infile = is_mysql() ? GENERATE(true, false) : false;
  INFO("local_infile " << local_infile);
  TestDatabase db;
  db.migrated();
  auto store = db.open(local_infile);
  store->check_schema();
  auto site = db.site();
  const int n = 1234;  // three batches
  std::string streams = "INSERT INTO live_streams (vendor_id, title, status) VALUES ";
  for (int i = 0; i < n; ++i) streams += std::string(i ? "," : "") + "(1, 's', 'live')";
  *site << streams;
  *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake) SELECT id, 'real', 0 FROM "
           "live_streams";
  *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) SELECT id, "
           "'like', 0 FROM live_streams";
  // Chunks of 100 streams, and one chunk of all.
  TickSettings chunked = settings();
  chunked.chunk_rows = GENERATE(100, 5000);
  INFO("chunk_rows " << chunked.chunk_rows);
  TickEngine engine(*store, quiet_logger(), 12);
  const TickReport r = engine.run(chunked);
  CHECK(r.live == static_cast<std::size_t>(n));
  CHECK(r.configs_created == static_cast<std::size_t>(n));
  CHECK(r.states_written == static_cast<std::size_t>(n));
  CHECK(r.displays_written == static_cast<std::size_t>(n));
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM live_streams ls JOIN engagementd_stream_state st"
                  " ON st.stream_id = ls.id WHERE ls.viewer_count = 1 + st.sim_viewers"
                  " AND ls.like_count = 1 + st.sim_likes AND ls.max_viewers = st.peak_viewers") ==
        n);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_engagement_config") == n);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM engagementd_stream_state WHERE config_json LIKE "
                  "'{%}'") == n);
  CHECK(store->bulk_upload() == local_infile);
  CHECK(store->take_notice().empty());
  WARN("first tick of " << n << " streams on " << (is_mysql() ? "MariaDB" : "SQLite") << ": "
                        << r.total_ms << " ms (read " << r.read_ms << ", write " << r.write_ms
                        << ")");

  // The next tick: existing rows updated, new settings for some streams
  // recorded with their state, a new stream inserted beside them.
  *site << "UPDATE stream_engagement_config SET like_rate = 7 WHERE stream_id % 3 = 0";
  *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) SELECT id, "
           "'comment', 0 FROM live_streams WHERE id % 2 = 0";
  const long long added = add_stream(*site);
  *site << "UPDATE engagementd_stream_state SET last_tick_ms = last_tick_ms - 30000";
  *site << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms - 30000";
  const TickReport next = engine.run(chunked);
  CHECK(next.live == static_cast<std::size_t>(n) + 1);
  CHECK(next.states_written >= static_cast<std::size_t>(n) / 3);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM live_streams ls JOIN engagementd_stream_state st"
                  " ON st.stream_id = ls.id WHERE ls.viewer_count = 1 + st.sim_viewers"
                  " AND ls.like_count = 1 + st.sim_likes AND ls.max_viewers = st.peak_viewers"
                  " AND ls.comment_count = CASE WHEN ls.id % 2 = 0 THEN 1 ELSE 0 END"
                  " AND st.finalized_ms IS NULL") == n);
  const long long seven = query_int(*site,
                                    "SELECT COUNT(*) FROM engagementd_stream_state WHERE "
                                    "config_json LIKE '%\"like_rate\":7%'");
  CHECK(seven == query_int(*site,
                           "SELECT COUNT(*) FROM stream_engagement_config WHERE "
                           "like_rate = 7"));
  CHECK(seven > 0);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state WHERE stream_id = " +
                             std::to_string(added) + " AND config_json IS NOT NULL") == 1);
  CHECK(store->bulk_upload() == local_infile);
}

TEST_CASE("LOAD DATA LOCAL INFILE serves only the tick's own rows, never a local file",
          "[mysql-only]") {
  TestDatabase db;
  auto store = db.migrated();
  REQUIRE(store->bulk_upload());
  store->session() << "CREATE TEMPORARY TABLE probe (line TEXT)";
  CHECK_THROWS_WITH(store->session() << "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE probe",
                    Catch::Contains("did not offer"));
  // The connection is still usable, and a tick still uploads its rows.
  CHECK(query_int(store->session(), "SELECT COUNT(*) FROM probe") == 0);
  auto site = db.site();
  add_stream(*site);
  TickEngine engine(*store, quiet_logger(), 3);
  CHECK(engine.run(settings()).states_written == 1);
  CHECK(store->bulk_upload());
}

TEST_CASE("one lease holder ticks, a standby writes nothing and takes over when the lease ends") {
  TestDatabase db;
  auto store_a = db.migrated();
  auto store_b = db.open();
  store_b->check_schema();
  auto site = db.site();
  const long long a = add_stream(*site);
  set_config(*site, a, "1, 1, 10, 10, 600, 3, 600, 10.0");

  TickEngine first(*store_a, quiet_logger(), 1, "host-a:1:aa");
  TickEngine second(*store_b, quiet_logger(), 2, "host-b:2:bb");
  TickReport r = first.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(first.leader());
  const long long token = query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0");
  CHECK(token == 1);

  // The standby reads and writes nothing while the lease runs.
  const long long likes_before = state(*site, a).likes;
  rewind(*site, 5000);  // time for many likes, if anyone ticked
  r = second.run(settings());
  CHECK(r.standby);
  CHECK_FALSE(second.leader());
  CHECK(state(*site, a).likes == likes_before);

  // The lease runs out (its holder stopped renewing): the standby takes over
  // with a new token and the old holder, back again, only stands by.
  *site << "UPDATE engagementd_leader SET expires_ms = expires_ms - 3600000";
  r = second.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(second.leader());
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == token + 1);
  CHECK(state(*site, a).likes > likes_before);
  const long long likes_b = state(*site, a).likes;
  r = first.run(settings());
  CHECK(r.standby);
  CHECK_FALSE(first.leader());
  CHECK(state(*site, a).likes == likes_b);

  // A clean stop releases the lease: the other takes over at once.
  second.release();
  r = first.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == token + 2);
}

TEST_CASE("time spent in a tick that wrote nothing still counts: the lease row records it") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long a = add_stream(*site);
  // Viewers only, at the plateau floor; likes off: nothing changes per tick.
  set_config(*site, a, "1, 0, 0, 0, 0, 0, 0, 1.0");
  TickEngine engine(*store, quiet_logger(), 3);
  engine.run(settings());
  const long long state_tick =
      query_int(*site, "SELECT last_tick_ms FROM engagementd_stream_state");
  engine.run(settings());
  // The stream was not written (no change), yet the lease row moved on.
  CHECK(query_int(*site, "SELECT last_tick_ms FROM engagementd_stream_state") == state_tick);
  CHECK(query_int(*site, "SELECT last_tick_ms FROM engagementd_leader WHERE shard = 0") >=
        state_tick);
}

TEST_CASE("a stalled holder that keeps the lease row locked past its lease is cut off",
          "[mysql-only]") {
  TestDatabase db;
  auto store = db.migrated();
  // A holder whose lease ran out, stuck in the middle of its tick with the
  // row locked (and stamped, as every holder's tick does).
  auto stalled = db.open();
  {
    auto site = db.site();
    *site << "UPDATE engagementd_leader SET holder = 'host-x:9:stalled', token = 7,"
             " expires_ms = 0 WHERE shard = 0";
  }
  stalled->session().begin();
  REQUIRE(stalled->lock_lease(0));
  stalled->session() << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms + 1"
                        " WHERE shard = 0";

  TickEngine engine(*store, quiet_logger(), 4, "host-y:1:fresh");
  TickReport r = engine.run(settings());
  CHECK(r.standby);  // the row was locked: no waiting, no writing
  // Its connection was ended: it can never commit that tick.
  CHECK_THROWS(stalled->session().commit());
  // The server ends the session and releases its locks asynchronously: the
  // next tick, or one soon after, takes the lease.
  CHECK(eventually([&] { return !engine.run(settings()).standby; }, std::chrono::seconds(10)));
  auto site = db.site();
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == 8);
}

TEST_CASE(
    "a standby ends no session that is not proven to hold the lease row: an idle session "
    "with the recorded id survives, the refusal is logged once",
    "[mysql-only]") {
  TestDatabase db;
  auto store = db.migrated();
  // An idle session of the same account whose id the lease row names (as
  // after a server restart, when ids start again), while another session,
  // not an engagementd tick (no stamp), holds the row's lock.
  auto idle = db.site();
  const long long idle_id = query_int(*idle, "SELECT CONNECTION_ID()");
  auto locker = db.site();
  *locker << "UPDATE engagementd_leader SET holder = 'host-x:9:old', token = 7, connection_id = " +
                 std::to_string(idle_id) + ", expires_ms = 1 WHERE shard = 0";
  locker->begin();
  query_int(*locker, "SELECT token FROM engagementd_leader WHERE shard = 0 FOR UPDATE");

  const std::string log_path = db.dir() + "/standby.log";
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  {
    Logger log(LogLevel::info, fd);
    TickEngine engine(*store, log, 5, "host-y:1:standby");
    for (int i = 0; i < 5; ++i) CHECK(engine.run(settings()).standby);
    // The idle session and the locker are both alive.
    CHECK(query_int(*idle, "SELECT 1") == 1);
    CHECK(query_int(*locker, "SELECT token FROM engagementd_leader WHERE shard = 0") == 7);
    // The lock goes: the standby takes over without ending anything.
    locker->rollback();
    CHECK_FALSE(engine.run(settings()).standby);
    CHECK(query_int(*idle, "SELECT 1") == 1);
  }
  ::close(fd);
  const std::string text = read_file(log_path);
  INFO(text);
  CHECK(count_of(text, "no session is proven to hold the lock") == 1);
  CHECK(count_of(text, "ending its connection") == 0);
  // Taking the lease is said once, after the tick committed.
  CHECK(count_of(text, "took the leadership lease") == 1);
  auto site = db.site();
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == 8);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM engagementd_leader WHERE shard = 0 AND"
                  " server_started_s > 0 AND server_host <> ''") == 1);
}

TEST_CASE(
    "a lock holder of another account is not ended, and after a clean release the takeover "
    "says so") {
  TestDatabase db;
  auto store = db.migrated();
  auto other = db.open();
  TickEngine first(*other, quiet_logger(), 6, "host-a:1:first");
  REQUIRE_FALSE(first.run(settings()).standby);
  first.release();
  const std::string log_path = db.dir() + "/takeover.log";
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  {
    Logger log(LogLevel::info, fd);
    TickEngine second(*store, log, 7, "host-b:2:second");
    CHECK_FALSE(second.run(settings()).standby);
  }
  ::close(fd);
  const std::string text = read_file(log_path);
  INFO(text);
  CHECK(count_of(text, "after host-a:1:first's clean release") == 1);
  CHECK(count_of(text, "expired") == 0);
  if (!is_mysql()) return;

  // The lock held by a stamped transaction of another account.
  auto site = db.site();
  *site << "CREATE USER IF NOT EXISTS 'engagementd_other'@'127.0.0.1' IDENTIFIED BY 'other'";
  *site << "GRANT ALL PRIVILEGES ON *.* TO 'engagementd_other'@'127.0.0.1'";
  DatabaseConfig cfg = db.config();
  cfg.user = "engagementd_other";
  auto foreign = Store::open(cfg, "other");
  *site << "UPDATE engagementd_leader SET expires_ms = 1 WHERE shard = 0";
  foreign->session().begin();
  REQUIRE(foreign->lock_lease(0));
  const int fd2 = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  {
    Logger log(LogLevel::info, fd2);
    TickEngine third(*store, log, 8, "host-c:3:third");
    for (int i = 0; i < 3; ++i) CHECK(third.run(settings()).standby);
  }
  ::close(fd2);
  CHECK(query_int(foreign->session(), "SELECT 1") == 1);
  foreign->session().rollback();
  foreign.reset();
  *site << "DROP USER 'engagementd_other'@'127.0.0.1'";
  const std::string text2 = read_file(log_path);
  INFO(text2);
  CHECK(count_of(text2, "runs as engagementd_other@127.0.0.1") == 1);
}

TEST_CASE(
    "two shards: each stream is simulated and finalized only by its shard's engine, under "
    "that shard's lease, and a second engine on a shard stands by") {
  TestDatabase db;
  auto store0 = db.migrated();
  auto store1 = db.open();
  store1->check_schema();
  auto store1b = db.open();
  store1b->check_schema();
  auto site = db.site();
  const int n = 20;
  std::vector<long long> ids;
  for (int i = 0; i < n; ++i) {
    const long long id = add_stream(*site);
    ids.push_back(id);
    // 600 likes a minute: a minute more or less of ticking shows.
    set_config(*site, id, "1, 1, 10, 10, 5, 3, 600, 10.0");
    add_viewer(*site, id, "real-" + std::to_string(id));
  }
  const Shard zero{0, 2}, one{1, 2};
  // The streams of each shard (a hash of the id, store/shard_hash.hpp).
  std::vector<long long> of_zero, of_one;
  for (long long id : ids) (shard_of(id, 2) == 0 ? of_zero : of_one).push_back(id);
  REQUIRE(!of_zero.empty());
  REQUIRE(!of_one.empty());
  const auto in_shard = [](int index) {
    return shard_hash_sql("stream_id") + " % 2 = " + std::to_string(index);
  };
  const long long n0 = static_cast<long long>(of_zero.size());
  const long long n1 = static_cast<long long>(of_one.size());
  TickEngine e0(*store0, quiet_logger(), 1, "host-a:1:aa", zero);
  TickEngine e1(*store1, quiet_logger(), 2, "host-b:2:bb", one);
  TickEngine e1b(*store1b, quiet_logger(), 3, "host-c:3:cc", one);
  auto count = [&](const std::string& where) {
    return query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state WHERE " + where);
  };
  auto holder = [&](int shard) {
    std::string h;
    *site << "SELECT holder FROM engagementd_leader WHERE shard = " + std::to_string(shard),
        soci::into(h);
    return h;
  };

  TickReport r = e0.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(r.live == of_zero.size());
  CHECK(r.states_written == of_zero.size());
  CHECK(count(in_shard(0)) == n0);
  CHECK(count(in_shard(1)) == 0);  // not shard 0's

  r = e1.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(r.live == of_one.size());
  CHECK(count("1 = 1") == n);
  // Every live stream shows real + simulated numbers, written by one engine.
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM live_streams ls JOIN engagementd_stream_state st"
                  " ON st.stream_id = ls.id WHERE ls.viewer_count = 1 + st.sim_viewers"
                  " AND ls.includes_simulated = 1") == n);
  CHECK(holder(0) == "host-a:1:aa");
  CHECK(holder(1) == "host-b:2:bb");
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_leader WHERE token = 1") == 2);

  // A second engine on shard 1 stands by; shard 0 is not in its way.
  r = e1b.run(settings());
  CHECK(r.standby);
  CHECK_FALSE(e1b.leader());
  CHECK_FALSE(e0.run(settings()).standby);
  CHECK_FALSE(e1.run(settings()).standby);
  CHECK(holder(1) == "host-b:2:bb");

  // Each lease row's last tick covers its own shard only: with every stream
  // and shard 0's lease a minute back, shard 0's streams catch up a minute
  // (~600 likes each), shard 1's only the moments since its last tick.
  const long long likes_before =
      query_int(*site, "SELECT MIN(sim_likes) FROM engagementd_stream_state");
  *site << "UPDATE engagementd_stream_state SET last_tick_ms = last_tick_ms - 60000";
  *site << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms - 60000 WHERE shard = 0";
  e0.run(settings());
  e1.run(settings());
  CHECK(query_int(*site,
                  "SELECT MIN(sim_likes) FROM engagementd_stream_state"
                  " WHERE " +
                      in_shard(0)) > likes_before + 400);
  CHECK(query_int(*site,
                  "SELECT MAX(sim_likes) FROM engagementd_stream_state"
                  " WHERE " +
                      in_shard(1)) < likes_before + 300);

  // A stream that ends is finalized by its own shard's engine, once.
  const long long odd = of_one.front();  // shard 1's
  const long long even = of_zero.front();
  *site << "UPDATE live_streams SET status = 'ended', ended_at = " + db.now_sql() +
               " WHERE id IN (" + std::to_string(odd) + ", " + std::to_string(even) + ")";
  r = e1.run(settings());
  CHECK(r.finalized == 1);
  CHECK(r.live == static_cast<std::size_t>(n1 - 1));
  CHECK(query_int(*site, "SELECT stream_id FROM engagementd_stream_summary") == odd);
  r = e0.run(settings());
  CHECK(r.finalized == 1);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary") == 2);
  CHECK(e1b.run(settings()).standby);
  CHECK(e0.run(settings()).finalized == 0);
  CHECK(e1.run(settings()).finalized == 0);
}

TEST_CASE(
    "with a last_seen_at heartbeat column only sessions seen within the TTL count, on one "
    "shard and on two") {
  TestDatabase db;
  db.migrated();
  auto site = db.site();
  // migrate adds the heartbeat column.
  REQUIRE(query_int(*site, is_mysql() ? "SELECT COUNT(*) FROM information_schema.columns WHERE "
                                        "table_schema = DATABASE() AND table_name = "
                                        "'stream_viewers' AND column_name = 'last_seen_at'"
                                      : "SELECT COUNT(*) FROM pragma_table_info('stream_viewers') "
                                        "WHERE name = 'last_seen_at'") == 1);
  const std::string now = db.now_sql();
  const std::string long_ago =
      is_mysql() ? "NOW() - INTERVAL 2 HOUR" : "datetime('now', '-2 hours')";
  std::vector<long long> ids;
  for (int i = 0; i < 4; ++i) {
    const long long id = add_stream(*site);
    ids.push_back(id);
    const std::string sid = std::to_string(id);
    // Seen now, seen two hours ago, never seen but joined now: 2 open sessions.
    *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, joined_at, last_seen_at)"
             " VALUES (" +
                 sid + ", 'fresh', 0, " + now + ", " + now + "), (" + sid + ", 'stale', 0, " +
                 long_ago + ", " + long_ago + "), (" + sid + ", 'new', 0, " + now + ", NULL)";
  }
  auto store = db.open();
  store->check_schema();
  auto counted = [](const std::vector<LiveStream>& live) {
    std::vector<long long> out;
    for (const LiveStream& s : live) out.push_back(s.real.viewers);
    return out;
  };
  const auto ttl = std::chrono::seconds(60);
  CHECK(counted(store->read_live_streams(ttl)) == std::vector<long long>{2, 2, 2, 2});
  std::size_t in_one = 0;
  for (long long id : ids) in_one += shard_of(id, 2) == 1 ? 1 : 0;
  const auto one = store->read_live_streams(ttl, Shard{1, 2});
  CHECK(counted(one) == std::vector<long long>(in_one, 2));
  for (const LiveStream& s : one) CHECK(shard_of(s.id, 2) == 1);
  // A TTL of three hours counts the stale session too.
  CHECK(counted(store->read_live_streams(std::chrono::hours(3), Shard{0, 2})) ==
        std::vector<long long>(ids.size() - in_one, 3));
  // A chunk at a time: the derived table counts each chunk's own streams.
  std::vector<LiveStream> parts;
  store->read_live_streams(ttl, Shard{}, 1, [&](const std::vector<LiveStream>& part) {
    CHECK(part.size() == 1);
    parts.insert(parts.end(), part.begin(), part.end());
  });
  CHECK(counted(parts) == std::vector<long long>{2, 2, 2, 2});
}

TEST_CASE("live streams read a chunk at a time are the same streams with the same counts") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  std::vector<long long> live_ids;
  for (int i = 0; i < 25; ++i) {
    const bool live = i % 4 != 3;
    const long long id = add_stream(*site, live ? "live" : "archived");
    if (live) live_ids.push_back(id);
    const std::string sid = std::to_string(id);
    for (int v = 0; v < i % 5; ++v) {
      *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake) VALUES (" + sid +
                   ", 's" + std::to_string(v) + "', 0)";
    }
    for (int l = 0; l < i % 7; ++l) {
      *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES (" +
                   sid + ", 'like', 0)";
    }
  }
  const auto ttl = std::chrono::seconds(60);
  const auto key = [](const LiveStream& s) {
    return std::vector<long long>{s.id, s.real.viewers, s.real.likes};
  };
  for (const Shard shard : {Shard{0, 1}, Shard{1, 3}}) {
    std::vector<std::vector<long long>> whole;
    for (const LiveStream& s : store->read_live_streams(ttl, shard)) whole.push_back(key(s));
    std::size_t expected = 0;
    for (long long id : live_ids) expected += shard_of(id, shard.count) == shard.index ? 1 : 0;
    CHECK(whole.size() == expected);
    for (const std::size_t chunk :
         {std::size_t{1}, std::size_t{4}, std::size_t{7}, std::size_t{100}}) {
      INFO("shard " << shard.index << "/" << shard.count << ", chunk " << chunk);
      std::vector<std::vector<long long>> parts;
      std::size_t calls = 0;
      store->read_live_streams(ttl, shard, chunk, [&](const std::vector<LiveStream>& part) {
        CHECK(!part.empty());
        CHECK(part.size() <= chunk);
        ++calls;
        for (const LiveStream& s : part) parts.push_back(key(s));
      });
      CHECK(parts == whole);
      CHECK(calls == (whole.size() + chunk - 1) / chunk);
    }
  }
}

namespace {

// The real counts of a stream counted from the site's rows (contract 1), and
// as kept in engagementd_real_counts; -1 in each when it has no row there.
std::vector<long long> counted_real(soci::session& sql, long long id) {
  const std::string sid = std::to_string(id);
  const auto n = [&](const std::string& where) {
    return query_int(sql, "SELECT COUNT(*) FROM " + where + " AND stream_id = " + sid);
  };
  return {n("stream_viewers WHERE is_fake = 0 AND left_at IS NULL"),
          n("stream_interactions WHERE is_fake = 0 AND interaction_type = 'like'"),
          n("stream_interactions WHERE is_fake = 0 AND interaction_type = 'dislike'"),
          n("stream_interactions WHERE is_fake = 0 AND interaction_type = 'comment'")};
}

std::vector<long long> kept_real(soci::session& sql, long long id) {
  const std::string where = " FROM engagementd_real_counts WHERE stream_id = " + std::to_string(id);
  if (query_int(sql, "SELECT COUNT(*)" + where) == 0) return {-1, -1, -1, -1};
  return {query_int(sql, "SELECT viewers" + where), query_int(sql, "SELECT likes" + where),
          query_int(sql, "SELECT dislikes" + where), query_int(sql, "SELECT comments" + where)};
}

}  // namespace

TEST_CASE(
    "real counts are kept exact through every insert, update and delete of the site's "
    "rows, and shown") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long a = add_stream(*site);
  const long long b = add_stream(*site);
  for (const long long id : {a, b}) {
    add_viewer(*site, id, "open-" + std::to_string(id));
    add_viewer(*site, id, "left-" + std::to_string(id), false, true);
    add_viewer(*site, id, "fake-" + std::to_string(id), true);
    add_interaction(*site, id, "like");
    add_interaction(*site, id, "like", true);
    add_interaction(*site, id, "comment");
  }
  // Not live yet: no counts row; the first tick that sees them counts them.
  *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES (" +
               std::to_string(a) + ", 'share', 0)";
  TickEngine engine(*store, quiet_logger(), 5);
  engine.run(settings());
  // Kept exact as of each tick: the triggers append the changes, the tick
  // adds them up.
  const auto check = [&](const char* step) {
    INFO(step);
    engine.run(settings());
    for (const long long id : {a, b}) {
      INFO("stream " << id);
      CHECK(kept_real(*site, id) == counted_real(*site, id));
    }
  };
  check("counted at first sight");
  CHECK(counted_real(*site, a) == std::vector<long long>{1, 1, 0, 1});

  const std::string sa = std::to_string(a), sb = std::to_string(b);
  add_viewer(*site, a, "second");
  add_viewer(*site, a, "fake-2", true);
  add_viewer(*site, a, "gone", false, true);
  add_interaction(*site, a, "like");
  add_interaction(*site, a, "dislike");
  add_interaction(*site, a, "like", true);
  add_interaction(*site, a, "share");
  check("inserts");
  *site << "UPDATE stream_viewers SET left_at = " + now_sql() + " WHERE session_id = 'second'";
  *site << "UPDATE stream_viewers SET left_at = NULL WHERE session_id = 'gone'";
  *site << "UPDATE stream_viewers SET is_fake = 0 WHERE session_id = 'fake-2'";
  *site << "UPDATE stream_viewers SET is_fake = 1 WHERE session_id = 'open-" + sb + "'";
  check("sessions left, came back, turned real or fake");
  *site << "UPDATE stream_viewers SET stream_id = " + sb + " WHERE session_id = 'gone'";
  *site << "UPDATE stream_viewers SET watch_duration = 30 WHERE stream_id = " + sa;
  *site << "UPDATE stream_interactions SET interaction_type = 'comment' WHERE stream_id = " + sa +
               " AND interaction_type = 'dislike'";
  *site << "UPDATE stream_interactions SET is_fake = 1 WHERE stream_id = " + sb +
               " AND interaction_type = 'comment'";
  *site << "UPDATE stream_interactions SET is_fake = 0 WHERE stream_id = " + sa +
               " AND interaction_type = 'like' AND is_fake = 1";
  *site << "UPDATE stream_interactions SET stream_id = " + sb + " WHERE stream_id = " + sa +
               " AND interaction_type = 'share'";
  check("rows moved between streams and kinds");
  *site << "DELETE FROM stream_viewers WHERE session_id IN ('open-" + sa + "', 'fake-" + sa + "')";
  *site << "DELETE FROM stream_interactions WHERE stream_id = " + sa +
               " AND interaction_type = 'like'";
  check("deletes");

  // Shown: display = kept real + simulated.
  engine.run(settings());
  for (const long long id : {a, b}) {
    const std::vector<long long> real = counted_real(*site, id);
    const std::string sid = std::to_string(id);
    CHECK(query_int(*site,
                    "SELECT viewer_count - (SELECT sim_viewers FROM "
                    "engagementd_stream_state WHERE stream_id = " +
                        sid + ") FROM live_streams WHERE id = " + sid) == real[0]);
    CHECK(query_int(*site,
                    "SELECT like_count - (SELECT sim_likes FROM "
                    "engagementd_stream_state WHERE stream_id = " +
                        sid + ") FROM live_streams WHERE id = " + sid) == real[1]);
    CHECK(query_int(*site, "SELECT dislike_count FROM live_streams WHERE id = " + sid) == real[2]);
    CHECK(query_int(*site, "SELECT comment_count FROM live_streams WHERE id = " + sid) == real[3]);
  }

  // Finalized: the row goes; live again, the stream is counted anew.
  *site << "UPDATE live_streams SET status = 'ended', ended_at = " + now_sql() +
               " WHERE id = " + sa;
  engine.run(settings());
  CHECK(kept_real(*site, a) == std::vector<long long>{-1, -1, -1, -1});
  add_interaction(*site, a, "like");
  add_viewer(*site, a, "late");
  *site << "UPDATE live_streams SET status = 'live' WHERE id = " + sa;
  engine.run(settings());
  check("live again");
  CHECK(kept_real(*site, a)[1] == 1);
}

TEST_CASE(
    "a like written while a stream is first counted is counted once, and neither waits for the "
    "other",
    "[mysql-only]") {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  const long long id = add_stream(*site);
  add_interaction(*site, id, "like");
  // The site's transaction has written a like and not committed when the
  // tick first counts the stream: the tick does not wait for it (its reads
  // take no locks), and counts it at a later tick, once it is committed.
  auto open_tx = db.site();
  *open_tx << "BEGIN";
  add_interaction(*open_tx, id, "like");
  TickEngine engine(*store, quiet_logger(), 6);
  const auto t0 = std::chrono::steady_clock::now();
  engine.run(settings());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  CHECK(kept_real(*site, id)[1] == 1);
  // The tick holds nothing the site's next write waits for.
  auto other = db.site();
  *other << "SET SESSION innodb_lock_wait_timeout = 1";
  const auto t1 = std::chrono::steady_clock::now();
  add_interaction(*other, id, "like");
  CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::milliseconds(900));
  *open_tx << "COMMIT";
  engine.run(settings());
  CHECK(kept_real(*site, id) == counted_real(*site, id));
  CHECK(kept_real(*site, id)[1] == 3);

  // Now the other way round: the counts row exists, a like in a transaction
  // that commits after the next tick is added by a later tick, once.
  *open_tx << "BEGIN";
  add_interaction(*open_tx, id, "like");
  engine.run(settings());
  *open_tx << "COMMIT";
  CHECK(kept_real(*site, id)[1] == 3);
  engine.run(settings());
  CHECK(kept_real(*site, id)[1] == 4);
  CHECK(query_int(*site,
                  "SELECT like_count - (SELECT sim_likes FROM engagementd_stream_state "
                  "WHERE stream_id = " +
                      std::to_string(id) +
                      ") FROM live_streams WHERE id = " + std::to_string(id)) == 4);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_real_deltas") == 0);
}

TEST_CASE("migrate checks the account's privileges first: refuses naming every missing one and "
          "changes nothing, and counts an enabled role's",
          "[mysql-only]") {
  TestDatabase db;
  const std::string name = db.config().name;
  const std::string user = "mig_" + name;
  const std::string account = "'" + user + "'@'127.0.0.1'";
  const std::string role = "migrator_" + name;
  auto site = db.site();
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
    limited->session() << "SET ROLE " + role;
    CHECK(limited->migrate(quiet_logger()).size() ==
          static_cast<std::size_t>(Store::latest_schema_version(backend())));
  }
  *site << "DROP USER " + account;
  *site << "DROP ROLE " + role;
}
