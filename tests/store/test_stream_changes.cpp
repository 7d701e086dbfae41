// The streams whose settings changed: appended by the triggers on the site's
// stream_engagement_config (and by recount), taken once by the tick, per
// shard, in the tick's snapshot.
#include <catch2/catch.hpp>

#include <chrono>

#include "store/shard_hash.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

using Ids = std::vector<std::int64_t>;

// take_stream_changes in a transaction of its own, as a tick takes them.
Ids take(Store& store, const Shard& shard = Shard{}) {
  TickStore::Transaction tx(store);
  store.configure(shard, std::chrono::seconds(60));
  Ids out = store.take_stream_changes();
  tx.commit();
  return out;
}

long long rows_kept(soci::session& sql) {
  return query_int(sql, "SELECT COUNT(*) FROM engagementd_stream_changes");
}

const char* kValues = "1, 1, 10, 50, 5, 3, 2, 1.5";

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "every write of a stream's settings makes take_stream_changes return that stream "
                 "once, and only once") {
  const long long a = add_stream(), b = add_stream(), c = add_stream(), d = add_stream();
  const std::string sa = std::to_string(a), sb = std::to_string(b), sc = std::to_string(c),
                    sd = std::to_string(d);
  REQUIRE(a < b);
  REQUIRE(b < c);
  REQUIRE(take(*store).empty());

  // Each step: the site's statements, then what the tick takes, then
  // nothing more (the rows read were deleted).
  const auto step = [&](const char* what, const std::vector<std::string>& statements,
                        const Ids& expected) {
    INFO(what);
    for (const std::string& s : statements) *site << s;
    CHECK(take(*store) == expected);
    CHECK(rows_kept(*site) == 0);
    CHECK(take(*store).empty());
  };

  set_config(a, kValues);
  CHECK(take(*store) == Ids{a});
  CHECK(take(*store).empty());
  set_config(b, kValues);
  set_config(c, kValues);

  // As the admin panel saves a stream's settings.
  step("update",
       {"UPDATE stream_engagement_config SET fake_viewers_enabled = 0, min_fake_viewers = 20,"
        " max_fake_viewers = 80, like_rate = 4 WHERE stream_id = " +
        sb},
       {b, c});  // the inserts of b and c before, and the update of b: each once
  step("update", {"UPDATE stream_engagement_config SET like_rate = 5 WHERE stream_id = " + sa},
       {a});
  step("several updates, several streams",
       {"UPDATE stream_engagement_config SET like_rate = 6 WHERE stream_id = " + sc,
        "UPDATE stream_engagement_config SET like_rate = 7 WHERE stream_id IN (" + sa + ", " + sc +
            ")",
        "UPDATE stream_engagement_config SET like_rate = 8 WHERE stream_id = " + sa},
       {a, c});
  step("an update that matches no row",
       {"UPDATE stream_engagement_config SET like_rate = 9 WHERE stream_id = " + sd}, {});
  step("a row moved to another stream: both",
       {"UPDATE stream_engagement_config SET stream_id = " + sd + " WHERE stream_id = " + sc},
       {c, d});
  step("delete", {"DELETE FROM stream_engagement_config WHERE stream_id = " + sd}, {d});
  step("insert",
       {"INSERT INTO stream_engagement_config (stream_id, like_rate) VALUES (" + sc + ", 2)"}, {c});
  step("an insert that is ignored (the row is there)",
       {std::string(is_mysql() ? "INSERT IGNORE" : "INSERT OR IGNORE") +
        " INTO stream_engagement_config (stream_id, like_rate) VALUES (" + sc + ", 3)"},
       {});
  step("replace of a row that is there",
       {"REPLACE INTO stream_engagement_config (stream_id, like_rate) VALUES (" + sa + ", 4)"},
       {a});
  step("replace of a new row",
       {"REPLACE INTO stream_engagement_config (stream_id, like_rate) VALUES (" + sd + ", 4)"},
       {d});
  const std::string upsert =
      is_mysql() ? " ON DUPLICATE KEY UPDATE like_rate = VALUES(like_rate)"
                 : " ON CONFLICT(stream_id) DO UPDATE SET like_rate = excluded.like_rate";
  step("upsert of a row that is there",
       {"INSERT INTO stream_engagement_config (stream_id, like_rate) VALUES (" + sb + ", 5)" +
        upsert},
       {b});
  step("upsert of a new row",
       {"DELETE FROM stream_engagement_config WHERE stream_id = " + sd,
        "INSERT INTO stream_engagement_config (stream_id, like_rate) VALUES (" + sd + ", 5)" +
            upsert},
       {d});
  CHECK(query_int(*site,
                  "SELECT like_rate FROM stream_engagement_config WHERE stream_id = " + sb) == 5);

  // A site transaction rolled back appends nothing.
  *site << "BEGIN";
  *site << "UPDATE stream_engagement_config SET like_rate = 6 WHERE stream_id = " + sa;
  *site << "ROLLBACK";
  CHECK(take(*store).empty());

  // A tick rolled back deletes nothing: the next one takes the rows.
  *site << "UPDATE stream_engagement_config SET like_rate = 6 WHERE stream_id = " + sa;
  {
    TickStore::Transaction tx(*store);
    CHECK(store->take_stream_changes() == Ids{a});
    tx.rollback();
  }
  CHECK(take(*store) == Ids{a});
  CHECK(take(*store).empty());
}

TEST_CASE_METHOD(SiteFixture, "take_stream_changes takes only its shard's streams") {
  // Streams of both shards of two, at least two each.
  Ids ids;
  int in_shard[2] = {0, 0};
  while (in_shard[0] < 2 || in_shard[1] < 2) {
    const long long id = add_stream();
    ids.push_back(id);
    ++in_shard[shard_of(static_cast<std::uint64_t>(id), 2)];
  }
  for (const std::int64_t id : ids) set_config(id, kValues);
  for (const std::int64_t id : ids) {
    *site << "UPDATE stream_engagement_config SET like_rate = 4 WHERE stream_id = " +
                 std::to_string(id);
  }
  Ids expected[2];
  for (const std::int64_t id : ids) {
    expected[shard_of(static_cast<std::uint64_t>(id), 2)].push_back(id);
  }
  CHECK(take(*store, Shard{1, 2}) == expected[1]);
  // The other shard's rows are still there, and taken by its own tick.
  CHECK(rows_kept(*site) == 2 * static_cast<long long>(expected[0].size()));
  CHECK(take(*store, Shard{1, 2}).empty());
  CHECK(take(*store, Shard{0, 2}) == expected[0]);
  CHECK(take(*store).empty());
  CHECK(rows_kept(*site) == 0);
}

TEST_CASE_METHOD(SiteFixture,
                 "a change committed after the tick's snapshot began is left for the next tick, "
                 "and the site's writes do not wait for the tick",
                 "[mysql-only]") {
  const long long a = add_stream(), b = add_stream(), c = add_stream();
  const std::string sb = std::to_string(b), sc = std::to_string(c);
  set_config(a, kValues);
  auto other = db.site();
  site::set_config(*other, c, kValues);  // committed before the tick begins
  REQUIRE(take(*store) == Ids{a, c});

  *site << "UPDATE stream_engagement_config SET like_rate = 4 WHERE stream_id = " +
               std::to_string(a);
  {
    TickStore::Transaction tx(*store);
    store->read_global_settings();  // the tick's first read: its snapshot begins
    // Committed by the site now, after the snapshot began: a row with a
    // higher id than the one the tick sees.
    site::set_config(*other, b, kValues);
    CHECK(store->take_stream_changes() == Ids{a});
    // The tick has deleted its rows and not committed: the site's next
    // settings write does not wait for it.
    *other << "SET SESSION innodb_lock_wait_timeout = 1";
    const auto t0 = std::chrono::steady_clock::now();
    *other << "UPDATE stream_engagement_config SET like_rate = 5 WHERE stream_id = " + sc;
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(900));
    tx.commit();
  }
  CHECK(rows_kept(*site) == 2);
  CHECK(take(*store) == Ids{b, c});
  CHECK(take(*store).empty());
}

TEST_CASE_METHOD(SiteFixture, "recount notes the streams whose kept counts it drops") {
  const long long a = add_stream(), b = add_stream(), c = add_stream("ended");
  add_viewer(a, "buyer-a");
  add_interaction(b, "like");
  TickEngine engine = make_engine(3);
  // Every tick reads whole: this test takes the change rows itself, which
  // the streams kept in memory would otherwise go by.
  TickSettings whole = settings();
  whole.cache = false;
  engine.run(whole);  // counts a and b (and gives them their settings rows)
  take(*store);
  REQUIRE(take(*store).empty());
  REQUIRE(query_int(*site, "SELECT COUNT(*) FROM engagementd_real_counts") == 2);

  const auto recount = [&](std::optional<std::int64_t> stream) {
    TickStore::Transaction tx(*store);
    const long long dropped = store->drop_real_counts(stream);
    tx.commit();
    return dropped;
  };
  CHECK(recount(b) == 1);
  CHECK(take(*store) == Ids{b});
  CHECK(recount(c) == 0);  // no kept counts: nothing to read again
  CHECK(take(*store).empty());

  engine.run(whole);  // b counted again
  REQUIRE(query_int(*site, "SELECT COUNT(*) FROM engagementd_real_counts") == 2);
  CHECK(recount(std::nullopt) == 2);
  CHECK(take(*store) == Ids{a, b});
  CHECK(take(*store).empty());
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_real_counts") == 0);

  // The next tick counts them again from the site's rows.
  engine.run(whole);
  CHECK(query_int(*site, "SELECT viewers FROM engagementd_real_counts WHERE stream_id = " +
                             std::to_string(a)) == 1);
  CHECK(query_int(*site, "SELECT likes FROM engagementd_real_counts WHERE stream_id = " +
                             std::to_string(b)) == 1);
}
