#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/engagement.hpp"

using namespace engagementd;

TEST_CASE("the built-in defaults are the design's and valid") {
  const EngagementConfig c;
  CHECK(c.min_viewers == 15);
  CHECK(c.max_viewers == 100);
  CHECK(c.increase_rate == 5);
  CHECK(c.decrease_rate == 3);
  CHECK(c.like_rate == 3);
  CHECK(c.multiplier == 2.0);
  CHECK(c.viewers_enabled);
  CHECK(c.likes_enabled);
  CHECK(validate(c).empty());
}

TEST_CASE("validation ranges: min >= 0, max >= min, rates >= 0, multiplier 0.5..10") {
  EngagementConfig c;
  c.max_viewers = 10;
  CHECK(validate(c) == "max_fake_viewers 10 < min_fake_viewers 15");
  c = {};
  c.multiplier = 10.0;
  CHECK(validate(c).empty());
  c.multiplier = 10.01;
  CHECK_THAT(validate(c), Catch::Contains("engagement_multiplier"));
  c.multiplier = 0.49;
  CHECK_THAT(validate(c), Catch::Contains("engagement_multiplier"));
  c = {};
  c.like_rate = -1;
  CHECK_THAT(validate(c), Catch::Contains("like_rate"));
  c = {};
  c.min_viewers = -1;
  CHECK_THAT(validate(c), Catch::Contains("min_fake_viewers"));
}

TEST_CASE("a stored row becomes a config, or names the bad column") {
  RawConfig raw = to_raw(EngagementConfig{});
  std::string error;
  REQUIRE(config_from_raw(raw, error) == EngagementConfig{});

  raw[2] = std::nullopt;
  CHECK_FALSE(config_from_raw(raw, error));
  CHECK(error == "min_fake_viewers is NULL");

  raw = to_raw(EngagementConfig{});
  raw[3] = 2.5;
  CHECK_FALSE(config_from_raw(raw, error));
  CHECK_THAT(error, Catch::StartsWith("max_fake_viewers 2.5"));

  raw = to_raw(EngagementConfig{});
  raw[0] = 7;
  CHECK_FALSE(config_from_raw(raw, error));
  CHECK_THAT(error, Catch::Contains("fake_viewers_enabled 7 is not 0 or 1"));

  raw = to_raw(EngagementConfig{});
  raw[6] = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(config_from_raw(raw, error));
  CHECK(error == "like_rate is not a number");

  raw = to_raw(EngagementConfig{});
  raw[3] = 1e12;
  CHECK_FALSE(config_from_raw(raw, error));
}

TEST_CASE("global settings fill in defaults key by key") {
  std::vector<std::string> problems;
  const GlobalSettings g = resolve_global_settings({{"min_fake_viewers", "4"},
                                                    {"like_rate", "2.5"},
                                                    {"fake_likes_enabled", "0"},
                                                    {"engagement_multiplier", "3"}},
                                                   problems);
  CHECK(problems.empty());
  CHECK(g.defaults.min_viewers == 4);
  CHECK(g.defaults.max_viewers == 100);
  CHECK(g.defaults.like_rate == 2.5);
  CHECK_FALSE(g.defaults.likes_enabled);
  CHECK(g.defaults.multiplier == 3.0);
  CHECK(g.simulation_enabled);
}

TEST_CASE("bad global settings are reported and replaced") {
  std::vector<std::string> problems;
  GlobalSettings g =
      resolve_global_settings({{"min_fake_viewers", "lots"}, {"like_rate", "-3"}}, problems);
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Catch::Contains("min_fake_viewers 'lots' is not a number"));
  CHECK(g.defaults == EngagementConfig{});

  problems.clear();
  g = resolve_global_settings({{"min_fake_viewers", "500"}}, problems);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("inconsistent"));
  CHECK(g.defaults == EngagementConfig{});
}

TEST_CASE("sim_watch_minutes: the global row, else the config file's, else 6 minutes") {
  std::vector<std::string> problems;
  CHECK(resolve_global_settings({}, problems).defaults.watch_minutes == kDefaultWatchMinutes);
  CHECK(resolve_global_settings({}, problems, 4).defaults.watch_minutes == 4);
  CHECK(
      resolve_global_settings({{"sim_watch_minutes", "2.5"}}, problems, 4).defaults.watch_minutes ==
      2.5);
  CHECK(problems.empty());
  // A bad row falls back to the file's value, and says so.
  GlobalSettings g = resolve_global_settings({{"sim_watch_minutes", "0.1"}}, problems, 4);
  CHECK(g.defaults.watch_minutes == 4);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0],
             Catch::Contains("sim_watch_minutes 0.1 is outside 0.5..600; using 4 minutes"));
  problems.clear();
  g = resolve_global_settings({{"sim_watch_minutes", "long"}}, problems);
  CHECK(g.defaults.watch_minutes == kDefaultWatchMinutes);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Catch::Contains("sim_watch_minutes 'long' is not a number"));
  // Inconsistent other settings do not take the watch time with them.
  problems.clear();
  g = resolve_global_settings({{"min_fake_viewers", "500"}, {"sim_watch_minutes", "9"}}, problems);
  CHECK(g.defaults.min_viewers == 15);
  CHECK(g.defaults.watch_minutes == 9);
  // validate() checks it too.
  EngagementConfig c;
  c.watch_minutes = 0;
  CHECK(validate(c) == "sim_watch_minutes 0 is outside 0.5..600");
}

TEST_CASE("the simulation_enabled row is the kill switch, unreadable means off") {
  std::vector<std::string> problems;
  CHECK_FALSE(resolve_global_settings({{"simulation_enabled", "0"}}, problems).simulation_enabled);
  CHECK(resolve_global_settings({{"simulation_enabled", "1"}}, problems).simulation_enabled);
  CHECK(problems.empty());
  CHECK_FALSE(
      resolve_global_settings({{"simulation_enabled", "perhaps"}}, problems).simulation_enabled);
  CHECK(problems.size() == 1);
}
