// The reads of what changed: the named streams, the live rows, the fresh
// viewers and the named ended streams, each the same as the whole reads
// say; and on MariaDB the binary protocol's reads (store/mysql_fetch.hpp).
#include <soci/mysql/soci-mysql.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "store/db_errors.hpp"
#include "store/live_rows.hpp"
#include "store/mysql_fetch.hpp"
#include "store/session.hpp"
#include "store/shard_hash.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;

namespace {

const auto kTtl = std::chrono::seconds(60);

// The sweep's read over every stream id, with the cutoff the TTL gives on
// the database clock; the streams in `leave_out` (not live) left out.
std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> fresh_all(
    Store& store, std::chrono::milliseconds ttl, const Shard& shard,
    const std::vector<long long>& leave_out = {}) {
  const std::int64_t cutoff = store.now_ms() / 1000 - ttl.count() / 1000;
  store.configure(shard, ttl);
  auto out = store.fresh_viewers(cutoff, 0, std::numeric_limits<std::int64_t>::max());
  if (out) {
    out->erase(std::remove_if(out->begin(), out->end(),
                              [&](const auto& f) {
                                return std::find(leave_out.begin(), leave_out.end(), f.first) !=
                                       leave_out.end();
                              }),
               out->end());
  }
  return out;
}

// Two reads of a stream agree (NaN settings equal to NaN).
void check_same(const LiveStream& a, const LiveStream& b) {
  INFO("stream " << a.id);
  CHECK(a.id == b.id);
  CHECK(a.shown == b.shown);
  REQUIRE(a.config.has_value() == b.config.has_value());
  if (a.config) {
    for (std::size_t k = 0; k < kConfigKeys.size(); ++k) {
      INFO(kConfigKeys[k]);
      REQUIRE((*a.config)[k].has_value() == (*b.config)[k].has_value());
      if (!(*a.config)[k]) continue;
      const double x = *(*a.config)[k], y = *(*b.config)[k];
      CHECK((x == y || (std::isnan(x) && std::isnan(y))));
    }
  }
  REQUIRE(a.state.has_value() == b.state.has_value());
  if (a.state) {
    CHECK(a.state->sim == b.state->sim);
    CHECK(a.state->first_tick_ms == b.state->first_tick_ms);
    CHECK(a.state->last_tick_ms == b.state->last_tick_ms);
    CHECK(a.state->finalized == b.state->finalized);
    CHECK(a.state->config_json == b.state->config_json);
  }
  CHECK(a.real.viewers == b.real.viewers);
  CHECK(a.real.likes == b.real.likes);
  CHECK(a.real.dislikes == b.real.dislikes);
  CHECK(a.real.comments == b.real.comments);
}

std::vector<long long> ids_of(const std::vector<LiveStream>& streams) {
  std::vector<long long> out;
  for (const LiveStream& s : streams) out.push_back(s.id);
  return out;
}

MYSQL* connection_of(Store& store) {
  return static_cast<soci::mysql_session_backend*>(session_of(store).get_backend())->conn_;
}

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "read_streams reads the named live streams of the shard as read_live_streams "
                 "does, uncounted ones counted") {
  // The settings' column as a site may have it: text, so that a value is not a number.
  if (is_mysql()) {
    *site << "ALTER TABLE stream_engagement_config MODIFY like_rate VARCHAR(20) NOT NULL";
  }
  std::vector<long long> simulated;
  for (int i = 0; i < 6; ++i) {
    const long long id = add_stream();
    simulated.push_back(id);
    for (int v = 0; v < i % 3 + 1; ++v) add_viewer(id, "s" + std::to_string(v));
    add_viewer(id, "fake", true);
    for (int l = 0; l < i; ++l) add_interaction(id, "like");
    add_interaction(id, "comment");
    if (i % 2 == 0) set_config(id, "1, 1, 10, 50, 5, 3, 4, 1.5");
  }
  TickEngine engine = make_engine(1);
  engine.run(settings());
  // New since the tick: no state, no kept counts; one without any settings,
  // one whose setting is not a number; then one ended and one archived.
  const long long bare = add_stream();
  add_viewer(bare, "b1");
  add_interaction(bare, "dislike");
  const long long odd = add_stream();
  set_config(odd, "1, 1, 10, 50, 5, 3, 'lots', 2");
  add_interaction(odd, "like");
  const long long ended = add_stream();
  end_stream(ended);
  const long long archived = add_stream("archived");
  reopen();

  std::vector<std::int64_t> asked = {odd, archived, simulated[3], 999999, bare, ended};
  for (long long id : simulated) asked.push_back(id);
  asked.push_back(simulated[0]);  // twice
  // The caller folds the triggers' deltas first, as read_live_streams does.
  store->configure(Shard{}, kTtl);
  store->fold_real_deltas();
  const std::vector<LiveStream> named = store->read_streams(asked);
  // The counts rows of the uncounted streams were made by read_streams.
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_real_counts WHERE stream_id IN (" +
                             std::to_string(bare) + ", " + std::to_string(odd) + ")") == 2);
  const std::vector<LiveStream> whole = store->read_live_streams(kTtl);
  std::vector<long long> expected = simulated;
  expected.push_back(bare);
  expected.push_back(odd);
  CHECK(ids_of(whole) == expected);
  REQUIRE(ids_of(named) == expected);
  for (std::size_t i = 0; i < named.size(); ++i) check_same(named[i], whole[i]);

  const LiveStream& b = named[named.size() - 2];
  CHECK_FALSE(b.config.has_value());
  CHECK_FALSE(b.state.has_value());
  CHECK(b.real.viewers == 1);
  CHECK(b.real.dislikes == 1);
  const LiveStream& o = named.back();
  REQUIRE(o.config.has_value());
  CHECK(std::isnan(*(*o.config)[6]));  // like_rate: 'lots'
  CHECK(*(*o.config)[7] == 2.0);
  CHECK(o.real.likes == 1);
  CHECK(named[0].state.has_value());
  CHECK(named[0].config.has_value());
  CHECK(named[1].real.viewers == 2);
  CHECK(named[5].real.likes == 5);

  // Another shard's streams are left out; no ids, no streams.
  const Shard half{1, 2};
  std::vector<long long> in_half;
  for (long long id : expected) {
    if (shard_of(id, 2) == 1) in_half.push_back(id);
  }
  store->configure(half, kTtl);
  const std::vector<LiveStream> part = store->read_streams(asked);
  CHECK(ids_of(part) == in_half);
  CHECK(ids_of(store->read_live_streams(kTtl, half)) == in_half);
  store->configure(Shard{}, kTtl);
  CHECK(store->read_streams({}).empty());
}

TEST_CASE_METHOD(SiteFixture, "read_streams counts fresh sessions as the whole read does") {
  const std::string now = db.now_sql();
  const std::string long_ago =
      is_mysql() ? "NOW() - INTERVAL 2 HOUR" : "datetime('now', '-2 hours')";
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    const long long id = add_stream();
    ids.push_back(id);
    const std::string sid = std::to_string(id);
    *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, joined_at, last_seen_at)"
             " VALUES (" +
                 sid + ", 'fresh', 0, " + now + ", " + now + "), (" + sid + ", 'stale', 0, " +
                 long_ago + ", " + long_ago + "), (" + sid + ", 'fake', 1, " + now + ", " + now +
                 ")";
  }
  reopen();
  store->configure(Shard{}, kTtl);
  store->fold_real_deltas();
  const std::vector<LiveStream> named = store->read_streams(ids);
  REQUIRE(named.size() == 3);
  for (const LiveStream& s : named) CHECK(s.real.viewers == 1);
  const std::vector<LiveStream> whole = store->read_live_streams(kTtl);
  REQUIRE(whole.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) check_same(named[i], whole[i]);
}

TEST_CASE_METHOD(SiteFixture,
                 "read_live_rows gives the ids and display columns of read_live_streams, a "
                 "chunk at a time") {
  std::vector<long long> live;
  for (int i = 0; i < 14; ++i) {
    const long long id = add_stream(i % 5 == 4 ? "archived" : "live");
    if (i % 5 != 4) live.push_back(id);
    *site << "UPDATE live_streams SET viewer_count = " + std::to_string(3 * i + 1) +
                 ", max_viewers = " + std::to_string(4 * i + 2) +
                 ", like_count = " + std::to_string(i * i) +
                 ", dislike_count = " + std::to_string(i % 3) +
                 ", comment_count = " + std::to_string(100 + i) +
                 ", includes_simulated = " + std::to_string(i % 2) +
                 " WHERE id = " + std::to_string(id);
  }
  for (const Shard shard : {Shard{0, 1}, Shard{1, 3}}) {
    INFO("shard " << shard.index << "/" << shard.count);
    std::vector<LiveRow> whole;
    for (const LiveStream& s : store->read_live_streams(kTtl, shard))
      whole.push_back({s.id, s.shown});
    std::size_t expected = 0;
    for (long long id : live) expected += shard_of(id, shard.count) == shard.index ? 1 : 0;
    REQUIRE(whole.size() == expected);
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{100}}) {
      INFO("chunk " << chunk);
      std::vector<LiveRow> rows;
      std::size_t calls = 0;
      store->configure(shard, kTtl);
      store->read_live_rows(chunk, [&](const std::vector<LiveRow>& part) {
        CHECK(!part.empty());
        CHECK(part.size() <= chunk);
        ++calls;
        rows.insert(rows.end(), part.begin(), part.end());
      });
      CHECK(calls == (whole.size() + chunk - 1) / chunk);
      REQUIRE(rows.size() == whole.size());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[i].id == whole[i].id);
        CHECK(rows[i].shown == whole[i].shown);
      }
    }
  }
  // The values themselves, not only agreement.
  std::vector<LiveRow> rows;
  store->configure(Shard{}, kTtl);
  store->read_live_rows(4, [&](const std::vector<LiveRow>& part) {
    rows.insert(rows.end(), part.begin(), part.end());
  });
  REQUIRE(rows.size() == live.size());
  CHECK(rows[1].id == live[1]);
  CHECK(rows[1].shown == Display{4, 6, 1, 1, 101, true});
  CHECK(rows[2].shown == Display{7, 10, 4, 2, 102, false});
}

TEST_CASE_METHOD(SiteFixture,
                 "fresh_viewers counts the open real sessions seen since the cutoff, as "
                 "read_live_streams does within the TTL") {
  const std::string now = db.now_sql();
  const std::string long_ago =
      is_mysql() ? "NOW() - INTERVAL 2 HOUR" : "datetime('now', '-2 hours')";
  std::vector<long long> ids;
  for (int i = 0; i < 6; ++i) {
    const long long id = add_stream();
    ids.push_back(id);
    const std::string sid = std::to_string(id);
    // i fresh sessions, a stale one, a fake one, one that left, one never seen but new.
    for (int v = 0; v < i; ++v) {
      *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, joined_at, "
               "last_seen_at) VALUES (" +
                   sid + ", 'f" + std::to_string(v) + "', 0, " + now + ", " + now + ")";
    }
    *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, joined_at, left_at,"
             " last_seen_at) VALUES (" +
                 sid + ", 'stale', 0, " + long_ago + ", NULL, " + long_ago + "), (" + sid +
                 ", 'fake', 1, " + now + ", NULL, " + now + "), (" + sid + ", 'left', 0, " + now +
                 ", " + now + ", " + now + ")";
    if (i == 5) {
      *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, joined_at) VALUES (" +
                   sid + ", 'new', 0, " + now + ")";
    }
  }
  const long long ended = add_stream();
  add_viewer(ended, "e1");
  end_stream(ended);
  reopen();
  for (const Shard shard : {Shard{0, 1}, Shard{0, 2}, Shard{1, 2}}) {
    INFO("shard " << shard.index << "/" << shard.count);
    const auto fresh = fresh_all(*store, kTtl, shard, {ended});
    REQUIRE(fresh.has_value());
    std::vector<std::pair<std::int64_t, std::int64_t>> expected;
    for (const LiveStream& s : store->read_live_streams(kTtl, shard)) {
      if (s.real.viewers > 0) expected.emplace_back(s.id, s.real.viewers);
    }
    CHECK(*fresh == expected);
    std::vector<std::pair<std::int64_t, std::int64_t>> by_hand;
    for (std::size_t i = 1; i < ids.size(); ++i) {
      if (shard_of(ids[i], shard.count) == shard.index) {
        by_hand.emplace_back(ids[i], static_cast<std::int64_t>(i) + (i == 5 ? 1 : 0));
      }
    }
    CHECK(*fresh == by_hand);
  }
  // A TTL of three hours counts the stale sessions too.
  const auto longer = fresh_all(*store, std::chrono::hours(3), Shard{}, {ended});
  REQUIRE(longer.has_value());
  REQUIRE(longer->size() == ids.size());
  CHECK(longer->front() == std::pair<std::int64_t, std::int64_t>{ids[0], 1});
}

TEST_CASE_METHOD(SiteFixture, "without a heartbeat column fresh_viewers says so") {
  // The leave triggers read the column (migration 012): gone first.
  *site << "DROP TRIGGER engagementd_viewers_update";
  *site << "DROP TRIGGER engagementd_viewers_delete";
  *site << "ALTER TABLE stream_viewers DROP COLUMN last_seen_at";
  reopen();
  add_viewer(add_stream(), "s1");
  CHECK_FALSE(fresh_all(*store, kTtl, Shard{}).has_value());
}

TEST_CASE_METHOD(SiteFixture, "read_ended_streams(ids) reads only the named ended streams") {
  std::vector<long long> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(add_stream());
    add_viewer(ids.back(), "s1");
    for (int l = 0; l <= i; ++l) add_interaction(ids.back(), "like");
  }
  TickEngine engine = make_engine(1);
  engine.run(settings());
  end_stream(ids[1]);
  end_stream(ids[3]);
  end_stream(ids[4]);
  const std::vector<EndedStream> all = store->read_ended_streams();
  REQUIRE(all.size() == 3);
  const std::vector<EndedStream> named =
      store->read_ended_streams({ids[4], ids[0], ids[1], 999999});
  REQUIRE(named.size() == 2);
  CHECK(named[0].stream_id == ids[1]);
  CHECK(named[1].stream_id == ids[4]);
  for (const EndedStream& e : named) {
    const EndedStream& w = e.stream_id == ids[1] ? all[0] : all[2];
    CHECK(w.stream_id == e.stream_id);
    CHECK(e.exists);
    CHECK(e.status == w.status);
    CHECK(e.state.sim == w.state.sim);
    CHECK(e.real.likes == w.real.likes);
    CHECK(e.real_viewers_total == w.real_viewers_total);
  }
  CHECK(named[1].real.likes == 5);
  CHECK(store->read_ended_streams({}).empty());
  std::size_t in_half = 0;
  for (long long id : {ids[1], ids[3], ids[4]}) in_half += shard_of(id, 2) == 1 ? 1 : 0;
  store->configure(Shard{1, 2}, kTtl);
  CHECK(store->read_ended_streams({ids[1], ids[3], ids[4]}).size() == in_half);
}

TEST_CASE_METHOD(SiteFixture,
                 "the binary protocol's whole numbers decode as their text does, long texts "
                 "whole",
                 "[mysql-only]") {
  REQUIRE(is_mysql());
  const std::vector<std::string> values = {"42",
                                           "-7",
                                           "1.7",
                                           "-1.7",
                                           "'12abc'",
                                           "'abc'",
                                           "'1e3'",
                                           "1e3",
                                           "2.5e0",
                                           "-2.9e0",
                                           "'  5'",
                                           "''",
                                           "CAST(9223372036854775807 AS SIGNED)",
                                           "CAST(-3.99 AS DECIMAL(10,2))",
                                           "CAST(123456789012.9 AS DECIMAL(20,1))",
                                           "TRUE",
                                           "'0x1A'"};
  std::string select = "SELECT ";
  for (std::size_t i = 0; i < values.size(); ++i) select += (i ? ", " : "") + values[i];
  select += ", NULL, REPEAT('x', 5000), 'short'";
  std::vector<FetchAs> kinds(values.size() + 1, FetchAs::integer);
  kinds.push_back(FetchAs::text);
  kinds.push_back(FetchAs::text);
  MysqlStatement st(connection_of(*store), select, kinds);
  for (int run = 0; run < 2; ++run) {  // prepared once, run twice
    st.execute({});
    REQUIRE(st.fetch());
    for (std::size_t i = 0; i < values.size(); ++i) {
      INFO(values[i]);
      std::string text;
      *site << "SELECT CAST(" + values[i] + " AS CHAR)", soci::into(text);
      CHECK_FALSE(st.null(i));
      CHECK(st.whole(i) == whole_number(text));
    }
    CHECK(st.whole(4) == 12);
    CHECK(st.whole(6) == 1000);
    CHECK(st.null(values.size()));
    CHECK(st.text(values.size() + 1) == std::string(5000, 'x'));
    CHECK(st.text(values.size() + 2) == "short");
    CHECK_FALSE(st.fetch());
  }
  // Placeholders become positional, literals kept.
  CHECK(MysqlStatement::positional(
            "SELECT ':a', :b, `x:y` FROM t WHERE a = :c_1 AND b = 'it''s :d'") ==
        "SELECT ':a', ?, `x:y` FROM t WHERE a = ? AND b = 'it''s :d'");
  MysqlStatement params(connection_of(*store), "SELECT :a + :b, :a * 2",
                        {FetchAs::integer, FetchAs::integer});
  params.execute({40, 2, 5});
  REQUIRE(params.fetch());
  CHECK(params.whole(0) == 42);
  CHECK(params.whole(1) == 10);
  CHECK_FALSE(params.fetch());
  // A result left unread is dropped: the connection runs other statements.
  for (int i = 0; i < 3; ++i) add_stream();
  MysqlStatement many(connection_of(*store), "SELECT id FROM live_streams ORDER BY id",
                      {FetchAs::integer});
  many.execute({});
  REQUIRE(many.fetch());
  many.finish();
  CHECK(store->now_ms() > 0);
  many.execute({});
  int rows = 0;
  while (many.fetch()) ++rows;
  CHECK(rows == 3);
}

TEST_CASE_METHOD(SiteFixture,
                 "the binary protocol's errors classify as SOCI's do: a statement, a lock wait, "
                 "a killed connection",
                 "[mysql-only]") {
  REQUIRE(is_mysql());
  // A statement error: the statement's fault, the connection fine.
  try {
    MysqlStatement bad(connection_of(*store), "SELECT nope FROM nowhere", {FetchAs::integer});
    FAIL("prepared a statement on a missing table");
  } catch (const std::exception& e) {
    CHECK(error_code(e) == mysql_error::kErNoSuchTable);
    CHECK(classify(e) == DbErrorKind::statement);
    CHECK(is_statement_error(e));
    CHECK_FALSE(is_lost_race(e));
  }
  CHECK(store->now_ms() > 0);

  // A lock wait timeout: retryable, a lost race, not the statement's fault.
  const long long id = add_stream();
  *site << "SET SESSION innodb_lock_wait_timeout = 1";
  session_of(*store) << "SET SESSION innodb_lock_wait_timeout = 1";
  *site << "BEGIN";
  *site << "SELECT id FROM live_streams WHERE id = " + std::to_string(id) + " FOR UPDATE";
  store->begin();
  try {
    MysqlStatement lock(connection_of(*store),
                        "SELECT id FROM live_streams WHERE id = :id FOR UPDATE",
                        {FetchAs::integer});
    lock.execute({id});
    while (lock.fetch()) {
    }
    FAIL("read a row another transaction holds");
  } catch (const std::exception& e) {
    CHECK(error_code(e) == mysql_error::kErLockWaitTimeout);
    CHECK(is_lost_race(e));
    CHECK(classify(e) == DbErrorKind::lock_timeout);
    CHECK_FALSE(is_statement_error(e));
  }
  store->rollback();
  *site << "ROLLBACK";

  // A killed connection: a kept prepared read, and one prepared anew.
  add_viewer(id, "s1");
  auto other = another_store();
  REQUIRE(fresh_all(*other, kTtl, Shard{}).has_value());
  store->kill_connection(other->connection_id());
  for (int attempt = 0; attempt < 2; ++attempt) {
    INFO("attempt " << attempt);
    try {
      if (attempt == 0) {
        fresh_all(*other, kTtl, Shard{});
      } else {
        other->read_streams({id});
      }
      FAIL("read on a killed connection");
    } catch (const std::exception& e) {
      INFO(e.what());
      const int n = error_code(e);
      CHECK((n == mysql_error::kCrServerGoneError || n == mysql_error::kCrServerLost ||
             n == mysql_error::kErConnectionKilled ||
             n == mysql_error::kErClientInteractionTimeout));
      CHECK(classify(e) == DbErrorKind::connection);
      CHECK_FALSE(is_statement_error(e));
      CHECK_FALSE(is_lost_race(e));
    }
  }
}
