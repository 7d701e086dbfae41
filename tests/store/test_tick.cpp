// The tick's rules through the database: config rows created from the
// global settings, dt from the database clock, invalid rows, the kill switch.
#include <catch2/catch.hpp>

#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

TEST_CASE_METHOD(
    SiteFixture,
    "a tick creates missing config rows from the global settings and shows real + simulated") {
  set_global("min_fake_viewers", "4");
  set_global("max_fake_viewers", "40");
  set_global("viewer_increase_rate", "6");
  set_global("like_rate", "0");
  set_global("sim_watch_minutes", "9");
  set_global("rtmp_secret", "s3cret");  // not the daemon's business
  const auto globals = store->read_global_settings();
  CHECK(globals.at("sim_watch_minutes") == std::optional<std::string>("9"));
  CHECK(globals.count("rtmp_secret") == 0);
  const long long a = add_stream();
  const long long b = add_stream();
  const long long scheduled = add_stream("scheduled");
  set_config(b, "1, 1, 10, 10, 5, 3, 3, 2.0");
  for (const char* s : {"s1", "s2", "s3"}) add_viewer(a, s);
  add_viewer(a, "gone", false, true);
  add_viewer(a, "fake1", true);
  add_viewer(a, "fake2", true);
  add_interaction(a, "like");
  add_interaction(a, "like");
  add_interaction(a, "like", true);
  add_interaction(a, "dislike");
  add_interaction(a, "comment");
  add_interaction(a, "comment", true);

  TickEngine engine = make_engine(1);
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

  const SimState sa = state(a);
  CHECK(sa.viewers >= 2);
  CHECK(sa.viewers <= 4);
  const DisplayRow da = display(a);
  CHECK(da.viewers == 3 + sa.viewers);  // 3 open real sessions; the fake ones never count
  CHECK(da.likes == 2 + sa.likes);
  CHECK(da.dislikes == 1);
  CHECK(da.comments == 1);
  CHECK(da.max_viewers == sa.peak);
  CHECK(sa.peak == da.viewers);

  const SimState sb = state(b);
  CHECK(sb.viewers >= 5);
  CHECK(sb.viewers <= 10);
  CHECK(display(b).viewers == sb.viewers);
  CHECK(display(scheduled).viewers == 0);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state WHERE stream_id = " +
                             std::to_string(scheduled)) == 0);
  // The site's interaction tables stay real-only: nothing was added.
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_viewers") == 6);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_interactions") == 6);
}

TEST_CASE_METHOD(SiteFixture, "dt comes from the database clock and is capped by max_catchup") {
  const long long a = add_stream();
  set_config(a, "1, 1, 1, 1000, 600, 600, 0, 10.0");
  for (int i = 0; i < 50; ++i) add_viewer(a, "s" + std::to_string(i));  // T = 500
  TickEngine engine = make_engine(3);
  engine.run(settings());
  REQUIRE(state(a).viewers == 1);

  // 30 s ago on the database clock: ~300 joins at 600/minute.
  rewind(30000);
  TickEngine restarted = make_engine(4);
  restarted.run(settings());
  const SimState after = state(a);
  CHECK(after.viewers > 220);  // Poisson(300): 220 is more than 4.5 sd below
  CHECK(after.viewers < 380);
  CHECK(display(a).viewers == 50 + after.viewers);

  // An hour's pause counts as max_catchup (10 s, ~100 joins), not as an hour.
  rewind(3600000);
  TickSettings capped = settings();
  capped.max_catchup = std::chrono::seconds(10);
  TickEngine again = make_engine(5);
  again.run(capped);
  const long long joined = state(a).viewers - after.viewers;
  CHECK(joined > 50);
  CHECK(joined < 150);
}

TEST_CASE_METHOD(
    SiteFixture,
    "an invalid config row falls back to the global defaults and other streams tick on") {
  const long long bad = add_stream();
  const long long good = add_stream();
  set_config(bad, "1, 1, 50, 10, 5, 3, 3, 2.0");  // max < min
  set_config(good, "1, 1, 30, 30, 5, 3, 3, 2.0");
  TickEngine engine = make_engine(10);
  const TickReport r = engine.run(settings());
  CHECK(r.live == 2);
  const SimState b = state(bad);
  CHECK(b.viewers >= 8);  // global default min 15: [8, 15]
  CHECK(b.viewers <= 15);
  CHECK(state(good).viewers >= 15);
  CHECK(display(good).viewers == state(good).viewers);
}

TEST_CASE_METHOD(SiteFixture,
                 "the kill switch (global row or YAML) shows real numbers only, within one tick") {
  const long long a = add_stream();
  add_viewer(a, "s1");
  add_interaction(a, "like");
  TickEngine engine = make_engine(11);
  engine.run(settings());
  REQUIRE(display(a).viewers > 1);

  set_global("simulation_enabled", "0");
  CHECK_FALSE(engine.run(settings()).simulation_enabled);
  CHECK(display(a).viewers == 1);
  CHECK(display(a).likes == 1);

  set_global("simulation_enabled", "1");
  engine.run(settings());
  CHECK(display(a).viewers == 1 + state(a).viewers);

  TickSettings off = settings();
  off.simulation_enabled = false;
  engine.run(off);
  CHECK(display(a).viewers == 1);
}
