// What a tick reads: the live streams and their real counts, with the
// heartbeat TTL, per shard, a chunk at a time.
#include <catch2/catch.hpp>

#include "store/shard_hash.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

TEST_CASE_METHOD(
    SiteFixture,
    "with a last_seen_at heartbeat column only sessions seen within the TTL count, on one "
    "shard and on two") {
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
    const long long id = add_stream();
    ids.push_back(id);
    const std::string sid = std::to_string(id);
    // Seen now, seen two hours ago, never seen but joined now: 2 open sessions.
    *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, joined_at, last_seen_at)"
             " VALUES (" +
                 sid + ", 'fresh', 0, " + now + ", " + now + "), (" + sid + ", 'stale', 0, " +
                 long_ago + ", " + long_ago + "), (" + sid + ", 'new', 0, " + now + ", NULL)";
  }
  reopen();
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
  store->configure(Shard{}, ttl);
  store->read_live_streams(1, [&](const std::vector<LiveStream>& part) {
    CHECK(part.size() == 1);
    parts.insert(parts.end(), part.begin(), part.end());
  });
  CHECK(counted(parts) == std::vector<long long>{2, 2, 2, 2});
}

TEST_CASE_METHOD(SiteFixture,
                 "live streams read a chunk at a time are the same streams with the same counts") {
  std::vector<long long> live_ids;
  for (int i = 0; i < 25; ++i) {
    const bool live = i % 4 != 3;
    const long long id = add_stream(live ? "live" : "archived");
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
      store->configure(shard, ttl);
      store->read_live_streams(chunk, [&](const std::vector<LiveStream>& part) {
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
