#pragma once
// The Catch2 fixtures of the database tests (TEST_CASE_METHOD): a fresh
// database of the backend under test (--backend), the PHP site's session on
// it, engagementd's store, tick engines on it with the usual settings, and the
// site's rows written and the tick's results read back.
//
//   TEST_CASE_METHOD(SiteFixture, "…") {
//     const long long id = add_stream();
//     add_viewer(id, "s1");
//     TickEngine engine = make_engine(1);
//     engine.run(settings());
//     CHECK(display(id).viewers == 1 + state(id).viewers);
//   }
//
// The row helpers write through `site` with the SQL of support/site.hpp; for
// another session (a second site connection, an open transaction) call
// site::add_interaction(*other, …) and the like directly.

#include <soci/soci.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "core/simulation.hpp"
#include "support/site.hpp"
#include "support/test_db.hpp"
#include "tick/tick.hpp"

namespace engagementd::test {

// What the site shows for one stream (live_streams' display columns).
struct DisplayRow {
  long long viewers = 0, max_viewers = 0, likes = 0, dislikes = 0, comments = 0;
};

// A fresh, empty database and the site's session on it; nothing migrated:
// for the tests that shape the site's tables first, then call migrate().
struct DatabaseFixture {
  DatabaseFixture();
  DatabaseFixture(const DatabaseFixture&) = delete;
  DatabaseFixture& operator=(const DatabaseFixture&) = delete;

  // Migrates and checks the schema, as `engagementd migrate` then `run`:
  // `store` is that store, opened as configured or with database.local_infile
  // as given (MariaDB: the tick's rows by LOAD DATA, or multi-row statements).
  void migrate();
  void migrate(bool local_infile);
  // `store` opened anew on the migrated database, as a restarted daemon
  // opens it, its schema checked.
  void reopen();
  void reopen(bool local_infile);
  // A second daemon's store on this database, its schema checked.
  std::unique_ptr<Store> another_store() const;

  // The tick settings of these tests: at most a minute of catch-up per tick.
  TickSettings settings(bool simulation_enabled = true) const;

  // A tick engine on `store` (or on another store of this database), quiet
  // unless a logger is given; the rest are TickEngine's own (holder, shard).
  // The one place the tests turn a store into a tick engine.
  template <typename... HolderAndShard>
  TickEngine make_engine(std::uint64_t seed, HolderAndShard&&... rest) {
    return make_engine(*store, quiet_logger(), seed, std::forward<HolderAndShard>(rest)...);
  }
  template <typename... HolderAndShard>
  TickEngine make_engine(const Logger& log, std::uint64_t seed, HolderAndShard&&... rest) {
    return make_engine(*store, log, seed, std::forward<HolderAndShard>(rest)...);
  }
  template <typename... HolderAndShard>
  TickEngine make_engine(Store& on, std::uint64_t seed, HolderAndShard&&... rest) {
    return make_engine(on, quiet_logger(), seed, std::forward<HolderAndShard>(rest)...);
  }
  template <typename... HolderAndShard>
  static TickEngine make_engine(Store& on, const Logger& log, std::uint64_t seed,
                                HolderAndShard&&... rest) {
    return TickEngine(on, log, seed, std::forward<HolderAndShard>(rest)...);
  }

  // The site's rows, written as the PHP site writes them.
  long long add_stream(const std::string& status = "live");
  void add_viewer(long long stream, const std::string& session, bool fake = false,
                  bool left = false);
  void add_interaction(long long stream, const std::string& type, bool fake = false);
  // values: "viewers_on, likes_on, min, max, increase, decrease, like_rate, multiplier"
  void set_config(long long stream, const std::string& values);
  void set_global(const std::string& key, const std::string& value);
  // status 'ended' and ended_at now, as the site ends a stream.
  void end_stream(long long stream);
  // As if the last tick had run `ms` earlier on the database clock.
  void rewind(long long ms);

  // What the tick wrote: the display, and the simulated state.
  DisplayRow display(long long stream);
  SimState state(long long stream);

  TestDatabase db;
  std::unique_ptr<Store> store;  // null until migrate() (SiteFixture: migrated)
  std::unique_ptr<soci::session> site;

 protected:
  struct Migrated {};
  explicit DatabaseFixture(Migrated);
};

// A migrated database: engagementd's tables and the site's, `store` open on
// it, and the site's session.
struct SiteFixture : DatabaseFixture {
  SiteFixture() : DatabaseFixture(Migrated{}) {}
};

}  // namespace engagementd::test
