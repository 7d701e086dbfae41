// The real counts kept by the triggers and added up by the tick: exact
// through every change of the site's rows, and never waiting on the site.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

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

TEST_CASE_METHOD(SiteFixture,
                 "real counts are kept exact through every insert, update and delete of the site's "
                 "rows, and shown") {
  const long long a = add_stream();
  const long long b = add_stream();
  for (const long long id : {a, b}) {
    add_viewer(id, "open-" + std::to_string(id));
    add_viewer(id, "left-" + std::to_string(id), false, true);
    add_viewer(id, "fake-" + std::to_string(id), true);
    add_interaction(id, "like");
    add_interaction(id, "like", true);
    add_interaction(id, "comment");
  }
  // Not live yet: no counts row; the first tick that sees them counts them.
  *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES (" +
               std::to_string(a) + ", 'share', 0)";
  TickEngine engine = make_engine(5);
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
  add_viewer(a, "second");
  add_viewer(a, "fake-2", true);
  add_viewer(a, "gone", false, true);
  add_interaction(a, "like");
  add_interaction(a, "dislike");
  add_interaction(a, "like", true);
  add_interaction(a, "share");
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
  end_stream(a);
  engine.run(settings());
  CHECK(kept_real(*site, a) == std::vector<long long>{-1, -1, -1, -1});
  add_interaction(a, "like");
  add_viewer(a, "late");
  *site << "UPDATE live_streams SET status = 'live' WHERE id = " + sa;
  engine.run(settings());
  check("live again");
  CHECK(kept_real(*site, a)[1] == 1);
}

TEST_CASE_METHOD(
    SiteFixture,
    "a like written while a stream is first counted is counted once, and neither waits for the "
    "other",
    "[mysql-only]") {
  const long long id = add_stream();
  add_interaction(id, "like");
  // The site's transaction has written a like and not committed when the
  // tick first counts the stream: the tick does not wait for it (its reads
  // take no locks), and counts it at a later tick, once it is committed.
  auto open_tx = db.site();
  *open_tx << "BEGIN";
  site::add_interaction(*open_tx, id, "like");
  TickEngine engine = make_engine(6);
  const auto t0 = std::chrono::steady_clock::now();
  engine.run(settings());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  CHECK(kept_real(*site, id)[1] == 1);
  // The tick holds nothing the site's next write waits for.
  auto other = db.site();
  *other << "SET SESSION innodb_lock_wait_timeout = 1";
  const auto t1 = std::chrono::steady_clock::now();
  site::add_interaction(*other, id, "like");
  CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::milliseconds(900));
  *open_tx << "COMMIT";
  engine.run(settings());
  CHECK(kept_real(*site, id) == counted_real(*site, id));
  CHECK(kept_real(*site, id)[1] == 3);

  // Now the other way round: the counts row exists, a like in a transaction
  // that commits after the next tick is added by a later tick, once.
  *open_tx << "BEGIN";
  site::add_interaction(*open_tx, id, "like");
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

TEST_CASE_METHOD(SiteFixture,
                 "the deltas are summed on the server and deleted as runs of the ids the "
                 "snapshot showed: one committed after the snapshot with a lower id stays") {
  const long long a = add_stream();
  const long long b = add_stream();
  TickEngine engine = make_engine(1);
  engine.run(settings());  // both streams counted: their kept rows exist
  const auto deltas = [&] {
    return query_int(*site, "SELECT COUNT(*) FROM engagementd_real_deltas");
  };
  // A backlog: long runs (deleted by range), a short one.
  for (int i = 0; i < 20; ++i) add_interaction(i % 3 == 0 ? b : a, i % 5 == 0 ? "comment" : "like");
  add_viewer(a, "a1");
  add_viewer(b, "b1");
  REQUIRE(deltas() == 22);
  store->begin();
  const std::vector<RealDelta> folded = store->fold_real_deltas();
  store->commit();
  CHECK(deltas() == 0);
  long long likes = 0, comments = 0, viewers = 0;
  for (const RealDelta& d : folded) {
    likes += d.sum.likes;
    comments += d.sum.comments;
    viewers += d.sum.viewers;
    CHECK_FALSE(d.seen_s.has_value());
  }
  CHECK(likes == 16);
  CHECK(comments == 4);
  CHECK(viewers == 2);
  CHECK(folded.size() == 2);  // one sum per stream
  for (const long long id : {a, b}) CHECK(kept_real(*site, id) == counted_real(*site, id));

  // A leave's -1 carries when its session was last seen, summed apart.
  *site << "UPDATE stream_viewers SET left_at = " + db.now_sql() + " WHERE session_id = 'a1'";
  store->begin();
  const std::vector<RealDelta> leave = store->fold_real_deltas();
  store->commit();
  REQUIRE(leave.size() == 1);
  CHECK(leave[0].stream_id == a);
  CHECK(leave[0].sum.viewers == -1);
  REQUIRE(leave[0].seen_s.has_value());
  CHECK(std::abs(*leave[0].seen_s - store->now_ms() / 1000) <= 5);
  if (!is_mysql()) return;

  // A like whose transaction took its id first but commits after the
  // tick's snapshot began: the ids after it (visible) are deleted, it
  // stays for the next tick, counted once.
  for (int i = 0; i < 3; ++i) add_interaction(a, "like");
  auto other = db.site();
  *other << "BEGIN";
  site::add_interaction(*other, a, "like");  // the lower id, not committed yet
  for (int i = 0; i < 5; ++i) add_interaction(b, "like");
  store->begin();
  store->read_global_settings();  // the snapshot begins here
  *other << "COMMIT";
  const std::vector<RealDelta> part = store->fold_real_deltas();
  store->commit();
  long long seen = 0;
  for (const RealDelta& d : part) seen += d.sum.likes;
  CHECK(seen == 8);
  CHECK(deltas() == 1);  // the late one, not deleted unseen
  store->begin();
  const std::vector<RealDelta> late = store->fold_real_deltas();
  store->commit();
  REQUIRE(late.size() == 1);
  CHECK(late[0].stream_id == a);
  CHECK(late[0].sum.likes == 1);
  CHECK(deltas() == 0);
  for (const long long id : {a, b}) CHECK(kept_real(*site, id) == counted_real(*site, id));
}
