// The real-viewer sweep (tick/stream_cache.hpp): with a heartbeat column
// and tick.cache on, joins and leaves reach the count every tick through the
// deltas, and a rotating slice of the streams in memory is recounted exactly
// each tick, so that every live stream is recounted within
// simulation.real_viewer_sweep, a closed tab stops counting within TTL +
// sweep + one tick, a session dropped by a recount that leaves afterwards is
// not subtracted twice, and a silent session that polls again counts again.
//
// Time: the tick's clock is the database's plus an offset the test moves a
// second per tick (a store in front of the database's), so that a minute of
// ticks runs in moments. The site's heartbeats are written on that clock
// too; the sessions' joins are real (offset 0).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "store/forwarding_store.hpp"
#include "store/shard_hash.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;

namespace {

// The database's clock moved on by offset_ms; the sweep's reads recorded.
class ClockedStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  struct Read {
    std::int64_t now_ms, after, upto;
  };
  std::int64_t offset_ms = 0;
  std::vector<Read> reads;
  std::vector<std::int64_t> nows;  // every reading of the clock

  std::int64_t now_ms() override {
    now_ = db_.now_ms() + offset_ms;
    nows.push_back(now_);
    return now_;
  }
  std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> fresh_viewers(
      std::int64_t cutoff_s, std::int64_t after, std::int64_t upto) override {
    if (upto > after) reads.push_back({now_, after, upto});
    return db_.fresh_viewers(cutoff_s, after, upto);
  }

 private:
  std::int64_t now_ = 0;
};

// The site's SQL for "now plus s seconds".
std::string now_plus(std::int64_t s) {
  if (is_mysql()) return "NOW() + INTERVAL " + std::to_string(s) + " SECOND";
  return "datetime('now', '+" + std::to_string(s) + " seconds')";
}

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "the real-viewer sweep recounts every live stream within its period, with "
                 "streams starting and ending between ticks and several shards") {
  const std::int64_t period_ms = 5000;
  TickSettings s = settings();
  s.real_viewer_sweep = std::chrono::milliseconds(period_ms);
  std::set<long long> live;
  for (int i = 0; i < 40; ++i) {
    const long long id = add_stream();
    add_viewer(id, "v" + std::to_string(id));
    live.insert(id);
  }
  const int shards = 2;
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<std::unique_ptr<ClockedStore>> clocked;
  std::vector<std::unique_ptr<TickEngine>> engines;
  for (int k = 0; k < shards; ++k) {
    stores.push_back(another_store());
    clocked.push_back(std::make_unique<ClockedStore>(*stores.back()));
    engines.push_back(std::make_unique<TickEngine>(*clocked.back(), quiet_logger(), 1 + k,
                                                   "engagementd", Shard{k, shards}));
  }
  // When each stream was last counted exactly, per the tick's clock: read
  // whole (the first tick, a new stream) or recounted by the sweep.
  std::map<long long, std::int64_t> counted;
  std::vector<std::int64_t> last_now(shards, 0);
  std::int64_t offset = 0;
  for (int tick = 0; tick < 30; ++tick) {
    INFO("tick " << tick);
    // Between ticks: a stream ends, one goes live (from the fourth tick).
    std::set<long long> added;
    if (tick >= 3 && tick % 2 == 1) {
      const long long gone = *std::next(live.begin(), tick % static_cast<int>(live.size()));
      end_stream(gone);
      live.erase(gone);
      counted.erase(gone);
      const long long id = add_stream();
      add_viewer(id, "v" + std::to_string(id));
      live.insert(id);
      added.insert(id);
    }
    for (int k = 0; k < shards; ++k) {
      clocked[k]->offset_ms = offset;
      clocked[k]->reads.clear();
      clocked[k]->nows.clear();
      const TickReport r = engines[k]->run(s);
      REQUIRE_FALSE(r.standby);
      REQUIRE_FALSE(clocked[k]->nows.empty());
      const std::int64_t now = clocked[k]->nows.front();  // the tick's clock
      const std::int64_t elapsed = now - std::exchange(last_now[k], now);
      std::size_t mine = 0;
      for (const long long id : live) {
        if (shard_of(id, shards) != k) continue;
        ++mine;
        if (tick == 0 || added.count(id)) counted[id] = now;  // read whole
        for (const auto& read : clocked[k]->reads) {
          if (read.after < id && id <= read.upto) counted[id] = read.now_ms;
        }
      }
      if (tick == 0) {
        CHECK_FALSE(r.from_cache);
        continue;
      }
      CHECK(r.from_cache);
      // Every live stream of the shard counted within the period (the
      // ticks come a second apart: within one tick of it).
      for (const long long id : live) {
        if (shard_of(id, shards) != k) continue;
        INFO("stream " << id << " of shard " << k);
        REQUIRE(counted.count(id) == 1);
        CHECK(now - counted[id] <= period_ms + 1000);
      }
      // The cost spread evenly: the share of the streams the time since the
      // last tick is of the period (a second of five, and what the
      // database's own clock moved meanwhile), never all at once.
      const auto share = static_cast<std::size_t>(
          (static_cast<std::int64_t>(mine) * elapsed + period_ms - 1) / period_ms);
      CHECK(share < mine / 2);
      CHECK(engines[k]->cache().swept() <= share + 1);
      CHECK(engines[k]->cache().swept() >= share - 1);
    }
    // The database's clock moves too, a little: the offset keeps a second
    // per tick whatever it did.
    offset += 1000;
  }
}

namespace {

// Eight streams, each with a session polling on the tick's clock, and on
// the first four of them a second session that falls silent at once.
struct SweepSite {
  SiteFixture& f;
  std::vector<long long> ids;
  std::unique_ptr<ClockedStore> clocked;
  std::unique_ptr<TickEngine> engine;
  TickSettings s;
  std::int64_t offset_s = 0;

  explicit SweepSite(SiteFixture& fixture) : f(fixture) {
    s = f.settings();
    s.real_viewer_ttl = std::chrono::seconds(10);
    s.real_viewer_sweep = std::chrono::seconds(4);
    for (int i = 0; i < 8; ++i) {
      ids.push_back(f.add_stream());
      f.add_viewer(ids.back(), "poll" + std::to_string(i));
    }
    for (int i = 0; i < 4; ++i) f.add_viewer(ids[i], "silent" + std::to_string(i));
    clocked = std::make_unique<ClockedStore>(*f.store);
    engine = std::make_unique<TickEngine>(*clocked, quiet_logger(), 3);
  }
  // The polling sessions' heartbeat at the tick's time, then a tick a
  // second after the last; the real viewers it counted.
  std::int64_t tick() {
    *f.site << "UPDATE stream_viewers SET last_seen_at = " + now_plus(offset_s) +
                   " WHERE session_id LIKE 'poll%'";
    clocked->offset_ms = offset_s * 1000;
    const TickReport r = engine->run(s);
    REQUIRE_FALSE(r.standby);
    // From memory after the first tick: the sweep and the deltas at work,
    // never a whole read.
    CHECK(r.from_cache == (offset_s > 0));
    CHECK(r.cache_dropped.empty());
    ++offset_s;
    return r.real_viewers;
  }
};

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "a tab closed without leaving stops counting within TTL + sweep + one tick, "
                 "and is not subtracted again when it leaves") {
  SweepSite w(*this);
  // TTL 10 s, sweep 4 s, a tick a second: the silent sessions count while
  // seen within the TTL, and stop by 10 + 4 + 1 s.
  std::int64_t before = 12;
  for (int t = 0; t <= 16; ++t) {
    INFO("t = " << t << " s");
    const std::int64_t real = w.tick();
    if (t < 10) CHECK(real == 12);
    CHECK(real <= before);  // once dropped, never back (they stay silent)
    CHECK(real >= 8);
    if (t >= 10 + 4 + 1) CHECK(real == 8);
    before = real;
  }

  // They leave now, one a tick: each -1 carries when its session was last
  // seen, before its stream's last recount minus the TTL: not subtracted
  // again (one leave a tick: a stream recounted in the same tick would hide
  // a second subtraction, and the rotation cannot recount each in its tick).
  for (int i = 0; i < 4; ++i) {
    *site << "UPDATE stream_viewers SET left_at = " + db.now_sql() + " WHERE session_id = 'silent" +
                 std::to_string(i) + "'";
    CHECK(w.tick() == 8);
  }
  for (int t = 0; t < 6; ++t) CHECK(w.tick() == 8);

  // A polling session that leaves is subtracted at the next tick, once.
  *site << "UPDATE stream_viewers SET left_at = " + db.now_sql() + " WHERE session_id = 'poll3'";
  CHECK(w.tick() == 7);
  for (int t = 0; t < 6; ++t) CHECK(w.tick() == 7);
  // A session deleted outright, the same.
  *site << "DELETE FROM stream_viewers WHERE session_id = 'poll4'";
  CHECK(w.tick() == 6);
  for (int t = 0; t < 6; ++t) CHECK(w.tick() == 6);
}

TEST_CASE_METHOD(SiteFixture,
                 "a silent session that polls again counts again by its stream's next recount, "
                 "and a new one counts at once") {
  SweepSite w(*this);
  for (int t = 0; t <= 16; ++t) w.tick();
  REQUIRE(w.tick() == 8);  // the four silent ones dropped
  // One polls again (a tab woken up): counted by the next recount of its
  // stream, within the sweep and a tick; never twice.
  *site << "UPDATE stream_viewers SET last_seen_at = " + now_plus(w.offset_s) +
               " WHERE session_id = 'silent0'";
  *site << "UPDATE stream_viewers SET session_id = 'pollsilent0' WHERE session_id = 'silent0'";
  int back_after = -1;
  for (int t = 0; t <= 8; ++t) {
    const std::int64_t real = w.tick();
    CHECK(real >= 8);
    CHECK(real <= 9);
    if (real == 9 && back_after < 0) back_after = t;
    if (back_after >= 0) CHECK(real == 9);
  }
  CHECK(back_after >= 0);
  CHECK(back_after <= 4 + 1);
  // A new session joins: counted at the next tick (its delta), once.
  add_viewer(w.ids.back(), "pollnew");
  CHECK(w.tick() == 10);
  for (int t = 0; t < 6; ++t) CHECK(w.tick() == 10);
}
