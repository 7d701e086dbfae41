// End to end: the real engagementd binary against a real database, driven
// the way the PHP site and an operator drive it.
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

#include "support/process.hpp"
#include "support/test_db.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;

struct Numbers {
  long long viewers = 0, max_viewers = 0, likes = 0, dislikes = 0, comments = 0;
  long long sim_viewers = 0, sim_joins = 0, sim_likes = 0, peak = 0;
  bool has_state = false, finalized = false;
};

// Display and simulated numbers in one statement: the daemon writes both in
// one transaction, so they are consistent with each other.
Numbers read(soci::session& sql, long long id) {
  Numbers n;
  long long has_state = 0, finalized = 0;
  sql << "SELECT ls.viewer_count, ls.max_viewers, ls.like_count, ls.dislike_count,"
         " ls.comment_count, COALESCE(st.sim_viewers, 0), COALESCE(st.sim_joins, 0),"
         " COALESCE(st.sim_likes, 0), COALESCE(st.peak_viewers, 0),"
         " CASE WHEN st.stream_id IS NULL THEN 0 ELSE 1 END,"
         " CASE WHEN st.finalized_ms IS NULL THEN 0 ELSE 1 END"
         " FROM live_streams ls LEFT JOIN engagementd_stream_state st ON st.stream_id = ls.id"
         " WHERE ls.id = :id",
      soci::use(id), soci::into(n.viewers), soci::into(n.max_viewers), soci::into(n.likes),
      soci::into(n.dislikes), soci::into(n.comments), soci::into(n.sim_viewers),
      soci::into(n.sim_joins), soci::into(n.sim_likes), soci::into(n.peak), soci::into(has_state),
      soci::into(finalized);
  n.has_state = has_state != 0;
  n.finalized = finalized != 0;
  return n;
}

}  // namespace

TEST_CASE("end to end: the PHP site's stream is simulated, finalized once, and stays final") {
  TestDatabase db;
  const std::string yaml = db.write_yaml(
      "tick:\n  interval: 200ms\n  max_catchup: 60s\nsimulation:\n  seed: 4242\nlog:\n  level: "
      "info\n");
  std::string out;
  REQUIRE(run_command({kBinary, "check-config", "-c", yaml}, out) == 0);

  // run refuses an unmigrated database and says what to do.
  REQUIRE(run_command({kBinary, "run", "-c", yaml}, out) == 1);
  CHECK_THAT(out, Catch::Contains("engagementd migrate"));
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  CHECK_THAT(out, Catch::Contains("up to date"));

  auto site = db.site();
  const std::string now = db.now_sql();
  // As the PHP site does it: no stream_key, then viewers and interactions.
  *site << "INSERT INTO live_streams (vendor_id, title, status, started_at) VALUES (3, 'Live "
           "sale', 'live', " +
               now + ")";
  const long long id = query_int(*site, "SELECT MAX(id) FROM live_streams");
  *site << "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, "
           "fake_likes_enabled,"
           " min_fake_viewers, max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, "
           "like_rate,"
           " engagement_multiplier) VALUES (" +
               std::to_string(id) + ", 1, 1, 10, 200, 120, 60, 120, 10.0)";
  const std::string sid = std::to_string(id);
  *site << "INSERT INTO stream_viewers (stream_id, user_id, session_id, is_fake, left_at) VALUES"
           " (" +
               sid + ", 1, 'a', 0, NULL), (" + sid + ", 2, 'b', 0, NULL), (" + sid +
               ", NULL, 'c', 0, NULL),"
               " (" +
               sid + ", NULL, 'd', 0, " + now + "), (" + sid + ", NULL, 'f1', 1, NULL), (" + sid +
               ", NULL, 'f2', 1, NULL)";
  *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES"
           " (" +
               sid + ", 'like', 0), (" + sid + ", 'like', 0), (" + sid + ", 'like', 0), (" + sid +
               ", 'like', 0),"
               " (" +
               sid + ", 'like', 1), (" + sid + ", 'like', 1), (" + sid + ", 'comment', 0), (" +
               sid + ", 'dislike', 1)";
  *site << "INSERT INTO saved_streams (stream_id, title) VALUES (" + sid + ", 'Live sale replay')";

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run1.log");
  REQUIRE(eventually([&] { return read(*site, id).has_state; }));

  // Over several ticks: display = real (3 open, 4 likes, 1 comment, 0 dislikes) + simulated.
  long long last_sim_likes = -1;
  int changes = 0;
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(300ms);
    const Numbers n = read(*site, id);
    INFO("sample " << i << " viewers=" << n.viewers << " sim=" << n.sim_viewers);
    CHECK(n.viewers == 3 + n.sim_viewers);
    CHECK(n.likes == 4 + n.sim_likes);
    CHECK(n.comments == 1);
    CHECK(n.dislikes == 0);
    CHECK(n.max_viewers == n.peak);
    CHECK(n.sim_viewers >= 5);
    CHECK(n.sim_viewers <= 30);  // target = max(10, min(200, 3 x 10)) = 30
    changes += (n.sim_likes != last_sim_likes);
    last_sim_likes = n.sim_likes;
  }
  CHECK(changes > 1);  // 120 likes/minute: the numbers move from tick to tick

  // A real like arrives: it shows at the next tick, on top of the simulated ones.
  *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES (" + sid +
               ", 'like', 0)";
  CHECK(eventually([&] {
    const Numbers n = read(*site, id);
    return n.likes == 5 + n.sim_likes;
  }));

  // The seller ends the stream.
  *site << "UPDATE live_streams SET status = 'archived', ended_at = " + now + " WHERE id = " + sid;
  REQUIRE(eventually([&] { return read(*site, id).finalized; }));
  const Numbers final_numbers = read(*site, id);
  CHECK(final_numbers.viewers == 4 + final_numbers.sim_joins);  // distinct real sessions a, b, c, d
  CHECK(final_numbers.likes == 5 + final_numbers.sim_likes);
  CHECK(final_numbers.max_viewers == final_numbers.peak);
  CHECK(query_int(*site, "SELECT viewer_count FROM saved_streams WHERE stream_id = " + sid) ==
        final_numbers.viewers);
  CHECK(query_int(*site, "SELECT like_count FROM saved_streams WHERE stream_id = " + sid) ==
        final_numbers.likes);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM engagementd_stream_summary WHERE stream_id = " + sid) == 1);
  const long long finalized_ms = query_int(
      *site, "SELECT finalized_ms FROM engagementd_stream_summary WHERE stream_id = " + sid);

  daemon.signal(SIGTERM);
  const auto code = daemon.wait(10s);
  INFO(daemon.log());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK_THAT(daemon.log(),
             Catch::Contains("finalized stream=" + sid) && Catch::Contains("stopping (SIGTERM)"));

  // A restart finalizes nothing twice and changes no final number.
  Child again({kBinary, "run", "-c", yaml, "--duration", "1500ms"}, db.dir() + "/run2.log");
  const auto code2 = again.wait(15s);
  INFO(again.log());
  REQUIRE(code2.has_value());
  CHECK(*code2 == 0);
  CHECK_THAT(again.log(), !Catch::Contains("finalized stream="));
  const Numbers after = read(*site, id);
  CHECK(after.viewers == final_numbers.viewers);
  CHECK(after.likes == final_numbers.likes);
  CHECK(after.max_viewers == final_numbers.max_viewers);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary") == 1);
  CHECK(query_int(*site, "SELECT finalized_ms FROM engagementd_stream_summary WHERE stream_id = " +
                             sid) == finalized_ms);
  // The site's interaction tables hold only what the site wrote.
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_viewers") == 6);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_interactions") == 9);
}

TEST_CASE("end to end: SIGINT stops cleanly, and a bad config file is named with its line") {
  TestDatabase db;
  const std::string yaml = db.write_yaml("tick:\n  interval: 200ms\n");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log");
  REQUIRE(eventually([&] { return daemon.log().find("tick live=") != std::string::npos; }));
  daemon.signal(SIGINT);
  const auto code = daemon.wait(10s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);

  const std::string bad = db.write_yaml("tick:\n  interval: 200ms\n  jitter: 5s\n");
  CHECK(run_command({kBinary, "check-config", "-c", bad}, out) == 1);
  CHECK_THAT(out,
             Catch::Contains("engagementd.yaml:") && Catch::Contains("tick.jitter: unknown key"));
  CHECK(run_command({kBinary, "run", "-c", bad}, out) == 1);
  CHECK_THAT(out, Catch::Contains("tick.jitter: unknown key"));
}
