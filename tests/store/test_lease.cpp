// The leadership lease: one holder ticks, standbys write nothing and take
// over when it ends; stalled or foreign lock holders; two shards.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <thread>

#include "store/session.hpp"
#include "store/shard_hash.hpp"
#include "support/process.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

TEST_CASE_METHOD(
    SiteFixture,
    "one lease holder ticks, a standby writes nothing and takes over when the lease ends") {
  auto store_b = another_store();
  const long long a = add_stream();
  set_config(a, "1, 1, 10, 10, 600, 3, 600, 10.0");

  TickEngine first = make_engine(1, "host-a:1:aa");
  TickEngine second = make_engine(*store_b, 2, "host-b:2:bb");
  TickReport r = first.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(first.leader());
  const long long token = query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0");
  CHECK(token == 1);

  // The standby reads and writes nothing while the lease runs.
  const long long likes_before = state(a).likes;
  rewind(5000);  // time for many likes, if anyone ticked
  r = second.run(settings());
  CHECK(r.standby);
  CHECK_FALSE(second.leader());
  CHECK(state(a).likes == likes_before);

  // The lease runs out (its holder stopped renewing): the standby takes over
  // with a new token and the old holder, back again, only stands by.
  *site << "UPDATE engagementd_leader SET expires_ms = expires_ms - 3600000";
  r = second.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(second.leader());
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == token + 1);
  CHECK(state(a).likes > likes_before);
  const long long likes_b = state(a).likes;
  r = first.run(settings());
  CHECK(r.standby);
  CHECK_FALSE(first.leader());
  CHECK(state(a).likes == likes_b);

  // A clean stop releases the lease: the other takes over at once.
  second.release();
  r = first.run(settings());
  CHECK_FALSE(r.standby);
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == token + 2);
}

TEST_CASE_METHOD(SiteFixture,
                 "time spent in a tick that wrote nothing still counts: the lease row records it") {
  const long long a = add_stream();
  // Viewers only, at the plateau floor; likes off: nothing changes per tick.
  set_config(a, "1, 0, 0, 0, 0, 0, 0, 1.0");
  TickEngine engine = make_engine(3);
  engine.run(settings());
  const long long state_tick =
      query_int(*site, "SELECT last_tick_ms FROM engagementd_stream_state");
  engine.run(settings());
  // The stream was not written (no change), yet the lease row moved on.
  CHECK(query_int(*site, "SELECT last_tick_ms FROM engagementd_stream_state") == state_tick);
  CHECK(query_int(*site, "SELECT last_tick_ms FROM engagementd_leader WHERE shard = 0") >=
        state_tick);
}

TEST_CASE_METHOD(SiteFixture,
                 "a session that locked the expired lease row is let be for a lease (it is taking "
                 "over), then cut off as stalled",
                 "[mysql-only]") {
  // The holder's lease (500 ms, as its last commit recorded) ran out a
  // second ago. Another session locks the row (and stamps it, as every tick
  // does): at first that is an instance taking the lease over, in the
  // middle of its tick; still holding it a lease later, it has stalled.
  *site << "UPDATE engagementd_leader SET holder = 'host-x:9:gone', token = 7,"
           " expires_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 1000,"
           " last_tick_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 1500 WHERE shard = 0";
  auto locker = db.open();
  locker->begin();
  REQUIRE(locker->lock_lease(0));
  const auto locked = std::chrono::steady_clock::now();
  session_of(*locker) << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms + 1"
                       " WHERE shard = 0";

  const std::string log_path = db.dir() + "/standby.log";
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  Logger log(LogLevel::debug, fd);
  TickEngine engine = make_engine(log, 4, "host-y:1:fresh");
  // Within the lease from its lock: the row is locked, nothing is ended.
  CHECK(engine.run(settings()).standby);
  CHECK(engine.run(settings()).standby);
  REQUIRE(std::chrono::steady_clock::now() - locked < std::chrono::milliseconds(400));
  CHECK(query_int(session_of(*locker), "SELECT token FROM engagementd_leader WHERE shard = 0") == 7);
  CHECK(count_of(read_file(log_path), "ending its connection") == 0);
  CHECK(count_of(read_file(log_path), "within a lease; waiting") >= 1);

  // Past it: its connection is ended, it can never commit that tick.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(engine.run(settings()).standby);
  CHECK_THROWS(locker->commit());
  // The server ends the session and releases its locks asynchronously: the
  // next tick, or one soon after, takes the lease.
  CHECK(eventually([&] { return !engine.run(settings()).standby; }, std::chrono::seconds(10)));
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == 8);
  ::close(fd);
  const std::string text = read_file(log_path);
  INFO(text);
  CHECK(count_of(text, "ending its connection") == 1);
  CHECK(count_of(text, "(lease 500 ms)") == 1);
}

TEST_CASE_METHOD(
    SiteFixture,
    "a standby ends no session that is not proven to hold the lease row: an idle session "
    "with the recorded id survives, the refusal is logged once",
    "[mysql-only]") {
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
    TickEngine engine = make_engine(log, 5, "host-y:1:standby");
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
  CHECK(query_int(*site, "SELECT token FROM engagementd_leader WHERE shard = 0") == 8);
  CHECK(query_int(*site,
                  "SELECT COUNT(*) FROM engagementd_leader WHERE shard = 0 AND"
                  " server_started_s > 0 AND server_host <> ''") == 1);
}

TEST_CASE_METHOD(
    SiteFixture,
    "a lock holder of another account is not ended, and after a clean release the takeover "
    "says so") {
  auto other = db.open();
  TickEngine first = make_engine(*other, 6, "host-a:1:first");
  REQUIRE_FALSE(first.run(settings()).standby);
  first.release();
  const std::string log_path = db.dir() + "/takeover.log";
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  {
    Logger log(LogLevel::info, fd);
    TickEngine second = make_engine(log, 7, "host-b:2:second");
    CHECK_FALSE(second.run(settings()).standby);
  }
  ::close(fd);
  const std::string text = read_file(log_path);
  INFO(text);
  CHECK(count_of(text, "after host-a:1:first's clean release") == 1);
  CHECK(count_of(text, "expired") == 0);
  if (!is_mysql()) return;

  // The lock held by a stamped transaction of another account.
  *site << "CREATE USER IF NOT EXISTS 'engagementd_other'@'127.0.0.1' IDENTIFIED BY 'other'";
  *site << "GRANT ALL PRIVILEGES ON *.* TO 'engagementd_other'@'127.0.0.1'";
  DatabaseConfig cfg = db.config();
  cfg.user = "engagementd_other";
  auto foreign = Store::open(cfg, "other");
  // A lease of 500 ms that ran out a second ago; the lock then held past
  // a lease, as a stalled holder's.
  *site << "UPDATE engagementd_leader SET"
           " expires_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 1000,"
           " last_tick_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 1500 WHERE shard = 0";
  foreign->begin();
  REQUIRE(foreign->lock_lease(0));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const int fd2 = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  {
    Logger log(LogLevel::info, fd2);
    TickEngine third = make_engine(log, 8, "host-c:3:third");
    for (int i = 0; i < 3; ++i) CHECK(third.run(settings()).standby);
  }
  ::close(fd2);
  CHECK(query_int(session_of(*foreign), "SELECT 1") == 1);
  foreign->rollback();
  foreign.reset();
  *site << "DROP USER 'engagementd_other'@'127.0.0.1'";
  const std::string text2 = read_file(log_path);
  INFO(text2);
  CHECK(count_of(text2, "runs as engagementd_other@127.0.0.1") == 1);
}

TEST_CASE_METHOD(
    SiteFixture,
    "two shards: each stream is simulated and finalized only by its shard's engine, under "
    "that shard's lease, and a second engine on a shard stands by") {
  auto store1 = another_store();
  auto store1b = another_store();
  const int n = 20;
  std::vector<long long> ids;
  for (int i = 0; i < n; ++i) {
    const long long id = add_stream();
    ids.push_back(id);
    // 600 likes a minute: a minute more or less of ticking shows.
    set_config(id, "1, 1, 10, 10, 5, 3, 600, 10.0");
    add_viewer(id, "real-" + std::to_string(id));
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
  TickEngine e0 = make_engine(1, "host-a:1:aa", zero);
  TickEngine e1 = make_engine(*store1, 2, "host-b:2:bb", one);
  TickEngine e1b = make_engine(*store1b, 3, "host-c:3:cc", one);
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
