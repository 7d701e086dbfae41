// The streams kept in memory between ticks (tick/stream_cache.hpp): what
// the site and the admin panel change between ticks shows at the next tick,
// the memory always equals the database (checked against a whole read in
// the same snapshot), and it is dropped whenever it may not be sure.
#include <catch2/catch.hpp>

#include <soci/mysql/soci-mysql.h>

#include "store/forwarding_store.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

std::string state_json(soci::session& sql, long long stream) {
  std::string json;
  sql << "SELECT config_json FROM engagementd_stream_state WHERE stream_id = :id",
      soci::use(stream), soci::into(json);
  return json;
}

long long lease_last_tick(soci::session& sql) {
  return query_int(sql, "SELECT last_tick_ms FROM engagementd_leader WHERE shard = 0");
}

// A store whose next commit fails: before reaching the database (nothing
// committed), or after it (committed, but the reply is lost on the way, as
// when the connection drops right after COMMIT).
class FailingCommit : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  enum class Fail { none, before, reply_lost };
  Fail next = Fail::none;

  void commit() override {
    const Fail fail = std::exchange(next, Fail::none);
    if (fail == Fail::before) {
      throw soci::mysql_soci_error("Deadlock found when trying to get lock", 1213);
    }
    db_.commit();
    if (fail == Fail::reply_lost) {
      throw soci::mysql_soci_error("Lost connection to server during query", 2013);
    }
  }
};

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "the streams in memory equal the database through the site's changes: likes, "
                 "sessions, admin settings, new and ended streams, recount") {
  const long long a = add_stream();
  const long long b = add_stream();
  const long long c = add_stream();
  set_config(b, "1, 1, 10, 20, 5, 3, 30, 2.0");
  add_viewer(a, "a1");
  add_viewer(b, "b1");
  add_interaction(a, "like");

  TickEngine engine = make_engine(1);
  engine.cache().verify(true);  // every tick from memory is checked against a whole read
  TickReport r = engine.run(settings());
  CHECK_FALSE(r.from_cache);
  CHECK(engine.cache().valid());
  CHECK(engine.cache().size() == 3);

  const auto tick = [&] {
    const TickReport t = engine.run(settings());
    CHECK(t.from_cache);
    CHECK(t.cache_dropped.empty());
    return t;
  };
  tick();

  // The site's real audience.
  add_interaction(a, "like");
  add_interaction(b, "dislike");
  add_interaction(c, "comment");
  add_interaction(c, "like", true);  // fake: never counted
  add_viewer(c, "c1");
  *site << "UPDATE stream_viewers SET left_at = " + db.now_sql() + " WHERE session_id = 'a1'";
  r = tick();
  CHECK(r.live == 3);
  CHECK(display(a).likes == 2 + state(a).likes);
  CHECK(display(b).dislikes == 1);
  CHECK(display(c).comments == 1);

  // The admin panel's settings: an UPDATE, a row deleted, a row added.
  *site << "UPDATE stream_engagement_config SET max_fake_viewers = 30 WHERE stream_id = " +
               std::to_string(b);
  *site << "DELETE FROM stream_engagement_config WHERE stream_id = " + std::to_string(a);
  tick();
  CHECK(state_json(*site, b).find("30") != std::string::npos);
  // a's row was created again from the global settings.
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_engagement_config WHERE stream_id = " +
                             std::to_string(a)) == 1);

  // A stream ends, a new one goes live, the site writes a display column.
  end_stream(c);
  const long long d = add_stream();
  add_viewer(d, "d1");
  *site << "UPDATE live_streams SET viewer_count = 999 WHERE id = " + std::to_string(b);
  r = tick();
  CHECK(r.live == 3);
  CHECK(r.finalized == 1);
  CHECK(engine.cache().size() == 3);
  CHECK(display(b).viewers == 1 + state(b).viewers);  // the site's 999 is overwritten
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary WHERE stream_id = " +
                             std::to_string(c)) == 1);

  // The ended stream goes live again: read whole, its finalized state revived.
  *site << "UPDATE live_streams SET status = 'live' WHERE id = " + std::to_string(c);
  r = tick();
  CHECK(r.live == 4);
  tick();

  // recount drops the kept counts: the streams are counted again.
  CHECK(store->drop_real_counts(std::nullopt) >= 3);
  tick();
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_real_counts") >= 3);
  tick();
}

TEST_CASE_METHOD(SiteFixture,
                 "a settings change made by the admin panel (a row UPDATE) applies at the next "
                 "tick") {
  const long long id = add_stream();
  set_config(id, "1, 1, 10, 20, 5, 3, 30, 2.0");
  TickEngine engine = make_engine(2);
  engine.run(settings());
  CHECK(engine.run(settings()).from_cache);
  CHECK(state_json(*site, id).find("\"fake_likes_enabled\":1") != std::string::npos);

  *site << "UPDATE stream_engagement_config SET fake_likes_enabled = 0, like_rate = 0"
           " WHERE stream_id = " +
               std::to_string(id);
  const TickReport r = engine.run(settings());
  CHECK(r.from_cache);
  CHECK(state_json(*site, id).find("\"fake_likes_enabled\":0") != std::string::npos);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM engagementd_audit WHERE event = 'config_changed'"
                  " AND stream_id = " +
                      std::to_string(id)) >= 1);
}

TEST_CASE_METHOD(SiteFixture, "a real like inserted between ticks shows at the next tick") {
  const long long id = add_stream();
  add_viewer(id, "s1");
  TickEngine engine = make_engine(3);
  engine.run(settings());
  CHECK(engine.run(settings()).from_cache);
  const long long before = display(id).likes - state(id).likes;
  CHECK(before == 0);

  add_interaction(id, "like");
  const TickReport r = engine.run(settings());
  CHECK(r.from_cache);
  CHECK(display(id).likes == 1 + state(id).likes);
  add_interaction(id, "like");
  add_interaction(id, "like");
  CHECK(engine.run(settings()).from_cache);
  CHECK(display(id).likes == 3 + state(id).likes);
}

TEST_CASE_METHOD(SiteFixture, "the cache is dropped and rebuilt after a failed commit") {
  const long long id = add_stream();
  add_viewer(id, "s1");
  FailingCommit failing(*store);
  TickEngine engine(failing, quiet_logger(), 4);
  engine.cache().verify(true);
  engine.run(settings());
  CHECK(engine.run(settings()).from_cache);
  const long long last_tick = lease_last_tick(*site);

  failing.next = FailingCommit::Fail::before;
  CHECK_THROWS(engine.run(settings()));
  CHECK_FALSE(engine.cache().valid());
  CHECK(lease_last_tick(*site) == last_tick);  // nothing of that tick was kept

  add_interaction(id, "like");
  TickReport r = engine.run(settings());
  CHECK_FALSE(r.from_cache);
  CHECK(r.cache_dropped.find("commit") != std::string::npos);
  CHECK(display(id).likes == 1 + state(id).likes);
  r = engine.run(settings());
  CHECK(r.from_cache);
  CHECK(r.cache_dropped.empty());
}

TEST_CASE_METHOD(SiteFixture,
                 "after a lost COMMIT reply the cache is dropped and rebuilt, and the tick "
                 "that did commit is kept once") {
  const long long id = add_stream();
  add_viewer(id, "s1");
  FailingCommit failing(*store);
  TickEngine engine(failing, quiet_logger(), 5);
  engine.cache().verify(true);
  engine.run(settings());
  CHECK(engine.run(settings()).from_cache);
  const long long before = lease_last_tick(*site);
  add_interaction(id, "like");

  failing.next = FailingCommit::Fail::reply_lost;
  CHECK_THROWS(engine.run(settings()));
  CHECK_FALSE(engine.cache().valid());
  // It did commit (a lost reply, 2013 after COMMIT): the lease moved on and
  // the like was folded into the kept counts, once.
  const long long committed = lease_last_tick(*site);
  CHECK(committed > before);
  CHECK(query_int(*site, "SELECT likes FROM engagementd_real_counts WHERE stream_id = " +
                             std::to_string(id)) == 1);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_real_deltas") == 0);

  // The next tick reads the database whole and goes on from that tick.
  const TickReport r = engine.run(settings());
  CHECK_FALSE(r.from_cache);
  CHECK(r.cache_dropped.find("reply was lost") != std::string::npos);
  CHECK(lease_last_tick(*site) >= committed);
  CHECK(display(id).likes == 1 + state(id).likes);
  CHECK(engine.run(settings()).from_cache);
  CHECK(display(id).likes == 1 + state(id).likes);
}

TEST_CASE_METHOD(SiteFixture,
                 "the cache is dropped when the connection is killed, and a new connection reads "
                 "whole",
                 "[mysql-only]") {
  const long long id = add_stream();
  add_viewer(id, "s1");
  TickEngine engine = make_engine(6);
  engine.run(settings());
  CHECK(engine.run(settings()).from_cache);
  CHECK(engine.cache().valid());

  *site << "KILL " + std::to_string(store->connection_id());
  CHECK_THROWS(engine.run(settings()));
  CHECK_FALSE(engine.cache().valid());
  CHECK(engine.cache().size() == 0);

  // As the daemon does: a new connection and engine.
  reopen();
  add_interaction(id, "like");
  TickEngine again = make_engine(6);
  again.cache().verify(true);
  CHECK_FALSE(again.run(settings()).from_cache);
  CHECK(display(id).likes == 1 + state(id).likes);
  CHECK(again.run(settings()).from_cache);
}

TEST_CASE_METHOD(SiteFixture, "the cache is dropped when the lease is lost and taken again") {
  const long long id = add_stream();
  add_viewer(id, "s1");
  TickEngine first = make_engine(7, "host-a:1:first");
  first.cache().verify(true);
  first.run(settings());
  CHECK(first.run(settings()).from_cache);

  SECTION("another instance ticks in between") {
    *site << "UPDATE engagementd_leader SET expires_ms = 0 WHERE shard = 0";
    TickEngine second = make_engine(8, "host-b:2:second");
    CHECK_FALSE(second.run(settings()).standby);
    add_interaction(id, "like");  // seen by the second instance's tick
    CHECK(second.run(settings()).from_cache);

    // The first is standby while the second holds the lease: nothing kept.
    TickReport r = first.run(settings());
    CHECK(r.standby);
    CHECK_FALSE(first.cache().valid());
    CHECK(r.cache_dropped.find("lease") != std::string::npos);

    *site << "UPDATE engagementd_leader SET expires_ms = 0 WHERE shard = 0";
    r = first.run(settings());
    CHECK_FALSE(r.standby);
    CHECK_FALSE(r.from_cache);
    CHECK(display(id).likes == 1 + state(id).likes);
    CHECK(first.run(settings()).from_cache);
  }
  SECTION("its own lease ran out and it takes it again") {
    *site << "UPDATE engagementd_leader SET expires_ms = 1 WHERE shard = 0";
    const TickReport r = first.run(settings());
    CHECK_FALSE(r.standby);
    CHECK_FALSE(r.from_cache);
    CHECK(r.cache_dropped.find("run out") != std::string::npos);
    CHECK(first.run(settings()).from_cache);
  }
  SECTION("the lease row was changed behind its back") {
    *site << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms - 1000 WHERE shard = 0";
    const TickReport r = first.run(settings());
    CHECK_FALSE(r.from_cache);
    CHECK(r.cache_dropped.find("changed hands") != std::string::npos);
  }
}

TEST_CASE_METHOD(SiteFixture, "with tick.cache off every tick reads whole and nothing is kept") {
  const long long id = add_stream();
  add_viewer(id, "s1");
  TickEngine engine = make_engine(9);
  TickSettings s = settings();
  engine.run(s);
  CHECK(engine.run(s).from_cache);
  s.cache = false;
  TickReport r = engine.run(s);
  CHECK_FALSE(r.from_cache);
  CHECK(r.cache_dropped.find("off") != std::string::npos);
  CHECK(engine.cache().size() == 0);
  CHECK_FALSE(engine.run(s).from_cache);
  s.cache = true;
  CHECK_FALSE(engine.run(s).from_cache);
  CHECK(engine.run(s).from_cache);
}
