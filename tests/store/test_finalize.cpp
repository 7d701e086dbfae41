// A stream that leaves live, or is deleted, is finalized exactly once.
#include <catch2/catch.hpp>

#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

TEST_CASE_METHOD(SiteFixture,
                 "a stream that leaves live is finalized exactly once, saved_streams included") {
  const long long a = add_stream();
  set_config(a, "1, 1, 10, 10, 5, 3, 60, 10.0");
  add_viewer(a, "s1", false, true);
  add_viewer(a, "s1");  // the same session came back: one viewer
  add_viewer(a, "s2");
  add_viewer(a, "old-fake", true);
  for (int i = 0; i < 3; ++i) add_interaction(a, "like");
  add_interaction(a, "like", true);
  add_interaction(a, "comment");
  *site << "INSERT INTO saved_streams (stream_id, title, viewer_count, like_count, duration)"
           " VALUES (" +
               std::to_string(a) + ", 'replay', 0, 0, 0)";

  TickEngine engine = make_engine(6);
  engine.run(settings());
  // A minute later: simulated likes accumulate (~60 at 60/minute x min(1, 0.1 x 10)).
  rewind(60000);
  TickEngine later = make_engine(7);
  later.run(settings());
  const SimState sim = state(a);
  REQUIRE(sim.likes > 0);

  end_stream(a);
  TickReport r = later.run(settings());
  CHECK(r.finalized == 1);
  CHECK(r.live == 0);

  const DisplayRow final_row = display(a);
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
  TickEngine restarted = make_engine(8);
  CHECK(restarted.run(settings()).finalized == 0);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary") == 1);
  const DisplayRow again = display(a);
  CHECK(again.viewers == final_row.viewers);
  CHECK(again.likes == final_row.likes);
}

TEST_CASE_METHOD(SiteFixture, "a deleted stream is summarized once as deleted") {
  const long long a = add_stream();
  TickEngine engine = make_engine(9);
  engine.run(settings());
  *site << "DELETE FROM live_streams WHERE id = " + std::to_string(a);
  CHECK(engine.run(settings()).finalized == 1);
  CHECK(engine.run(settings()).finalized == 0);
  std::string status;
  *site << "SELECT final_status FROM engagementd_stream_summary WHERE stream_id = :id",
      soci::use(a), soci::into(status);
  CHECK(status == "deleted");
}
