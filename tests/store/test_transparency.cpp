// Telling real from simulated, on SQLite and MariaDB: the kill switch, the
// badge flag, disabling viewers or likes per stream, the audit trail.
#include <catch2/catch.hpp>

#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

long long col(soci::session& sql, const std::string& column, long long id,
              const std::string& table = "live_streams", const std::string& key = "id") {
  return query_int(
      sql, "SELECT " + column + " FROM " + table + " WHERE " + key + " = " + std::to_string(id));
}

// Two live streams with real viewers, likes, a dislike, a comment and old
// fake rows that must never count.
std::pair<long long, long long> busy_streams(soci::session& sql) {
  const long long a = add_stream(sql);
  const long long b = add_stream(sql);
  for (const char* s : {"s1", "s2", "s3"}) add_viewer(sql, a, s);
  add_viewer(sql, a, "gone", false, true);
  add_viewer(sql, a, "fake", true);
  add_viewer(sql, b, "t1");
  for (int i = 0; i < 4; ++i) add_interaction(sql, a, "like");
  add_interaction(sql, a, "like", true);
  add_interaction(sql, a, "dislike");
  add_interaction(sql, b, "comment");
  add_interaction(sql, b, "comment", true);
  return {a, b};
}

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "kill switch: within one tick every live stream shows exactly its real rows") {
  const auto [a, b] = busy_streams(*site);
  TickEngine engine = make_engine(1);
  engine.run(settings());
  rewind(30'000);
  engine.run(settings());
  REQUIRE(streams_not_real_only(*site) == 2);  // simulated numbers are shown

  SECTION("by the global setting row") {
    set_global("simulation_enabled", "0");
    CHECK_FALSE(engine.run(settings()).simulation_enabled);
    CHECK(streams_not_real_only(*site) == 0);
    CHECK(col(*site, "viewer_count", a) == 3);
    CHECK(col(*site, "like_count", a) == 4);
    CHECK(col(*site, "comment_count", b) == 1);
    // Real rows keep counting while it is off.
    add_viewer(b, "t2");
    add_interaction(b, "like");
    engine.run(settings());
    CHECK(streams_not_real_only(*site) == 0);
    CHECK(audit_count(*site, "kill_switch", "%\"simulation\":\"off\"%") == 1);
    CHECK(audit_count(*site, "kill_switch", "%off_by_global_setting%") == 1);

    set_global("simulation_enabled", "1");
    engine.run(settings());
    CHECK(streams_not_real_only(*site) == 2);
    CHECK(audit_count(*site, "kill_switch", "%\"simulation\":\"on\"%") == 1);
  }
  SECTION("by simulation.enabled in the YAML file") {
    CHECK_FALSE(engine.run(settings(false)).simulation_enabled);
    CHECK(streams_not_real_only(*site) == 0);
    CHECK(audit_count(*site, "kill_switch", "%off_by_config_file%") == 1);
    // A restart while off records no new flip.
    TickEngine restarted = make_engine(2);
    restarted.run(settings(false));
    CHECK(streams_not_real_only(*site) == 0);
    CHECK(audit_count(*site, "kill_switch") == 1);
  }
  SECTION("a stream that ends while it is off keeps real-only final numbers") {
    set_global("simulation_enabled", "0");
    engine.run(settings());
    *site << "UPDATE live_streams SET status = 'ended' WHERE id = " + std::to_string(a);
    CHECK(engine.run(settings()).finalized == 1);
    CHECK(col(*site, "viewer_count", a) == 4);  // distinct real sessions
    CHECK(col(*site, "like_count", a) == 4);
    CHECK(col(*site, "includes_simulated", a) == 0);
  }
}

TEST_CASE_METHOD(SiteFixture,
                 "the badge flag is on exactly while a simulated number is displayed") {
  const long long sim = add_stream();
  const long long none = add_stream();
  const long long likes_only = add_stream();
  add_viewer(none, "r1");
  add_viewer(likes_only, "r2");
  set_config(none, "0, 0, 0, 0, 5, 3, 3, 2.0");
  set_config(likes_only, "0, 1, 0, 0, 5, 3, 600, 10");
  TickEngine engine = make_engine(3);
  engine.run(settings());
  CHECK(col(*site, "includes_simulated", sim) == 1);
  CHECK(col(*site, "includes_simulated", none) == 0);
  CHECK(col(*site, "viewer_count", none) == 1);
  CHECK(col(*site, "includes_simulated", likes_only) == 0);  // no like simulated yet
  rewind(10'000);
  engine.run(settings());
  REQUIRE(col(*site, "sim_likes", likes_only, "engagementd_stream_state", "stream_id") > 0);
  CHECK(col(*site, "includes_simulated", likes_only) == 1);
  CHECK(col(*site, "includes_simulated", none) == 0);

  // Written only when it changes: the PHP page's own UPDATEs are not fought.
  const TickReport quiet = engine.run(settings());
  CHECK(col(*site, "includes_simulated", none) == 0);
  (void)quiet;

  // A finalized stream keeps the flag when its final numbers include simulated ones.
  *site << "UPDATE live_streams SET status = 'ended' WHERE id IN (" + std::to_string(sim) + ", " +
               std::to_string(none) + ")";
  CHECK(engine.run(settings()).finalized == 2);
  CHECK(col(*site, "includes_simulated", sim) == 1);
  CHECK(col(*site, "includes_simulated", none) == 0);
}

TEST_CASE_METHOD(
    SiteFixture,
    "fake_viewers_enabled = 0 drains at the decrease rate, fake_likes_enabled = 0 stops likes") {
  const long long id = add_stream();
  add_viewer(id, "r1");
  set_config(id, "1, 1, 1000, 2000, 5, 600, 600, 10");
  TickEngine engine = make_engine(4);
  engine.run(settings());
  *site << "UPDATE engagementd_stream_state SET sim_viewers = 1000";
  *site << "UPDATE stream_engagement_config SET fake_viewers_enabled = 0, fake_likes_enabled = 0";
  const long long likes = col(*site, "sim_likes", id, "engagementd_stream_state", "stream_id");
  rewind(30'000);
  engine.run(settings());
  // 30 s at 600 leaves/minute: Poisson(300), sd 17; 5 sd either side.
  const long long left =
      1000 - col(*site, "sim_viewers", id, "engagementd_stream_state", "stream_id");
  CHECK(left > 300 - 87);
  CHECK(left < 300 + 87);
  CHECK(col(*site, "sim_likes", id, "engagementd_stream_state", "stream_id") == likes);
  CHECK(col(*site, "viewer_count", id) == 1 + 1000 - left);
  // Two minutes more (two ticks: max_catchup is a minute) and they are all
  // gone; the display is real again, but the peak still includes simulated
  // viewers, so the badge stays on.
  for (int i = 0; i < 2; ++i) {
    rewind(60'000);
    engine.run(settings());
  }
  CHECK(col(*site, "sim_viewers", id, "engagementd_stream_state", "stream_id") == 0);
  CHECK(col(*site, "viewer_count", id) == 1);
  CHECK(col(*site, "includes_simulated", id) == 1);
}

TEST_CASE_METHOD(
    SiteFixture,
    "the audit trail records first simulation, config changes and finalization, append-only") {
  const long long id = add_stream();
  add_viewer(id, "r1");
  set_config(id, "1, 1, 10, 50, 5, 3, 3, 2.0");
  TickEngine engine = make_engine(5);
  engine.run(settings());
  engine.run(settings());
  CHECK(audit_count(*site, "first_simulated") == 1);
  CHECK(audit_count(*site, "first_simulated",
                    "%\"min_fake_viewers\":10,\"max_fake_viewers\":50%\"real_viewers\":1%") == 1);
  CHECK(query_int(*site,
                  "SELECT stream_id FROM engagementd_audit WHERE event = 'first_simulated'") == id);
  CHECK(audit_count(*site, "config_changed") == 0);

  // The admin panel changes the row: noticed once, with before and after.
  *site << "UPDATE stream_engagement_config SET max_fake_viewers = 80, engagement_multiplier = 3.5";
  engine.run(settings());
  engine.run(settings());
  CHECK(audit_count(*site, "config_changed") == 1);
  CHECK(audit_count(*site, "config_changed",
                    "{\"from\":{%\"max_fake_viewers\":50%},\"to\":{%\"max_fake_viewers\":80%"
                    "\"engagement_multiplier\":3.5}%") == 1);
  // An invalid row falls back to the global defaults: that is a change too.
  *site << "UPDATE stream_engagement_config SET min_fake_viewers = 90";
  engine.run(settings());
  CHECK(audit_count(*site, "config_changed", "%invalid stream_engagement_config%") == 1);

  *site << "UPDATE live_streams SET status = 'ended' WHERE id = " + std::to_string(id);
  engine.run(settings());
  engine.run(settings());
  CHECK(audit_count(*site, "finalized") == 1);
  CHECK(audit_count(*site, "finalized", "%\"real_viewers_total\":1,%") == 1);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_audit") == 4);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_audit WHERE at_ms <= 0") == 0);

  CHECK_THROWS_WITH(*site << "UPDATE engagementd_audit SET detail = '{}'",
                    Catch::Contains("append-only"));
  CHECK_THROWS_WITH(*site << "DELETE FROM engagementd_audit", Catch::Contains("append-only"));
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_audit") == 4);

  // The summary keeps real and simulated apart, peaks included.
  CHECK(col(*site, "real_peak", id, "engagementd_stream_summary", "stream_id") == 1);
  CHECK(col(*site, "sim_peak", id, "engagementd_stream_summary", "stream_id") >= 5);
  CHECK(col(*site, "peak_viewers", id, "engagementd_stream_summary", "stream_id") >=
        col(*site, "sim_peak", id, "engagementd_stream_summary", "stream_id"));
}
