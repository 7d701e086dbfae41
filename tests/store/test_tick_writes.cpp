// What a tick writes, and how: only changed rows, in batches on each write
// path (LOAD DATA LOCAL INFILE or multi-row statements), nothing else.
#include <catch2/catch.hpp>

#include "store/session.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

TEST_CASE_METHOD(SiteFixture, "only rows whose numbers changed are written") {
  const long long a = add_stream();
  const long long b = add_stream();
  // Rates so low that a tick of milliseconds moves nothing.
  set_config(a, "1, 1, 5, 50, 0.001, 0.001, 0, 2.0");
  set_config(b, "1, 1, 5, 50, 0.001, 0.001, 0, 2.0");
  TickEngine engine = make_engine(2);
  engine.run(settings());
  TickReport r = engine.run(settings());
  CHECK(r.live == 2);
  CHECK(r.displays_written == 0);
  CHECK(r.states_written == 0);

  add_interaction(a, "like");
  r = engine.run(settings());
  CHECK(r.displays_written == 1);
  CHECK(r.states_written == 0);
  CHECK(display(a).likes == 1);
}

TEST_CASE_METHOD(SiteFixture,
                 "many streams are written in batches, every row right, on each write path") {
  // MariaDB: by LOAD DATA LOCAL INFILE into temporary tables (the default),
  // and as multi-row statements (database.local_infile: false, or refused).
  const bool local_infile = is_mysql() ? GENERATE(true, false) : false;
  INFO("local_infile " << local_infile);
  reopen(local_infile);
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
  TickEngine engine = make_engine(12);
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
  const long long added = add_stream();
  rewind(30000);
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

TEST_CASE_METHOD(SiteFixture,
                 "LOAD DATA LOCAL INFILE serves only the tick's own rows, never a local file",
                 "[mysql-only]") {
  REQUIRE(store->bulk_upload());
  session_of(*store) << "CREATE TEMPORARY TABLE probe (line TEXT)";
  CHECK_THROWS_WITH(session_of(*store) << "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE probe",
                    Catch::Contains("did not offer"));
  // The connection is still usable, and a tick still uploads its rows.
  CHECK(query_int(session_of(*store), "SELECT COUNT(*) FROM probe") == 0);
  add_stream();
  TickEngine engine = make_engine(3);
  CHECK(engine.run(settings()).states_written == 1);
  CHECK(store->bulk_upload());
}
