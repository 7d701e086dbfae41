#include <catch2/catch.hpp>

#include <cmath>

#include "simulation.hpp"

using namespace engagementd;

namespace {

EngagementConfig moderate() {
  return EngagementConfig{};
}  // 15/100/5/3/3/2.0

RealCounts real(std::int64_t viewers) {
  return RealCounts{viewers, 0, 0, 0};
}

}  // namespace

TEST_CASE("target = max(min, min(max, floor(R x m))), 0 when viewers are off") {
  EngagementConfig c = moderate();
  CHECK(target_viewers(c, 0) == 15);
  CHECK(target_viewers(c, 10) == 20);
  CHECK(target_viewers(c, 1000) == 100);
  c.multiplier = 1.5;
  CHECK(target_viewers(c, 11) == 16);  // floor(16.5)
  c.viewers_enabled = false;
  CHECK(target_viewers(c, 10) == 0);
}

TEST_CASE("first sight starts V in [ceil(min/2), min] and counts them as joins") {
  Rng rng(1);
  EngagementConfig c = moderate();
  bool saw_low = false, saw_high = false;
  for (int i = 0; i < 2000; ++i) {
    const SimState s = first_sight(c, real(3), rng);
    REQUIRE(s.viewers >= 8);
    REQUIRE(s.viewers <= 15);
    REQUIRE(s.joins == s.viewers);
    REQUIRE(s.peak == s.viewers + 3);
    REQUIRE(s.likes == 0);
    saw_low |= s.viewers == 8;
    saw_high |= s.viewers == 15;
  }
  CHECK(saw_low);
  CHECK(saw_high);
  c.viewers_enabled = false;
  CHECK(first_sight(c, real(3), rng).viewers == 0);
}

TEST_CASE("below target: joins, never past T, above target: leaves, never below T") {
  Rng rng(2);
  EngagementConfig c = moderate();
  c.increase_rate = 1000;
  c.decrease_rate = 1000;
  SimState s{5, 5, 0, 5};
  s = step(c, s, real(10), 60, rng);  // T = 20, far more joins than room
  // T is reached early in the minute; the rest is plateau churn, one viewer
  // at a time, so V ends within 1 of T.
  CHECK(std::abs(s.viewers - 20) <= 1);
  CHECK(s.joins >= 20);
  s = step(c, s, real(0), 0, rng);  // dt = 0: nothing happens
  const SimState same = s;
  CHECK(step(c, same, real(0), 0, rng) == same);

  // Without increase there is no churn in: the fall from 20 stops at T = 15.
  c.increase_rate = 0;
  const std::int64_t joins = s.joins;
  s = step(c, s, real(0), 60, rng);
  CHECK(s.viewers == 14);   // T = 15 reached, then one churn leave, never returned
  CHECK(s.joins == joins);  // leaving is not joining

  // Approach steps that cannot reach T move only towards it.
  c = moderate();
  for (int i = 0; i < 2000; ++i) {
    const SimState low{5, 5, 0, 5};
    const SimState up = step(c, low, real(40), 5, rng);  // T = 80: 5/min cannot get there
    REQUIRE(up.viewers >= 5);
    REQUIRE(up.viewers - 5 == up.joins - 5);
    const SimState high{300, 300, 0, 300};
    const SimState down = step(c, high, real(0), 5, rng);  // T = 15
    REQUIRE(down.viewers <= 300);
    REQUIRE(down.joins == 300);
  }
}

TEST_CASE("the plateau churns within max(1, 5% of T) and is never frozen") {
  Rng rng(3);
  EngagementConfig c = moderate();
  c.increase_rate = 600;
  c.decrease_rate = 600;
  const std::int64_t target = target_viewers(c, 40);  // 80, band 4
  REQUIRE(churn_band(target) == 4);
  SimState s{target, target, 0, target};
  int moved = 0;
  for (int i = 0; i < 500; ++i) {
    const SimState before = s;
    s = step(c, s, real(40), 1, rng);
    REQUIRE(s.viewers >= target - 4);
    REQUIRE(s.viewers <= target + 4);
    REQUIRE(s.joins >= before.joins);
    moved += s.viewers != before.viewers;
  }
  CHECK(moved > 100);
  CHECK(churn_band(10) == 1);
  CHECK(churn_band(0) == 1);
}

TEST_CASE("likes only while someone is watching and likes are enabled") {
  Rng rng(4);
  EngagementConfig c = moderate();
  c.like_rate = 600;
  c.viewers_enabled = false;  // T = 0, V drains
  SimState empty{0, 0, 0, 0};
  CHECK(step(c, empty, real(0), 60, rng).likes == 0);
  CHECK(step(c, empty, real(1), 60, rng).likes > 0);
  c.likes_enabled = false;
  CHECK(step(c, empty, real(5), 60, rng).likes == 0);
}

TEST_CASE("peak follows the display viewers, real included") {
  Rng rng(5);
  EngagementConfig c = moderate();
  SimState s{15, 15, 0, 15};
  s = step(c, s, real(30), 0, rng);
  CHECK(s.peak == 45);
  s = step(c, s, real(0), 0, rng);
  CHECK(s.peak == 45);
}

TEST_CASE("rates are per minute of wall time, whatever the tick") {
  // 10 simulated hours of likes at 1 s and at 60 s ticks: both means match
  // like_rate x min(1, 0.1 m) per minute. Poisson: sd of the 600-minute total
  // is sqrt(600 x 0.6) = 19; 5 sd = 95 on an expected 360. A per-tick rate
  // would give 21,600 at 1 s.
  EngagementConfig c = moderate();  // 3 x 0.2 = 0.6 likes/minute
  for (double tick : {1.0, 60.0}) {
    Rng rng(6);
    SimState s{15, 15, 0, 15};
    const int steps = static_cast<int>(600 * 60 / tick);
    for (int i = 0; i < steps; ++i) s = step(c, s, real(0), tick, rng);
    INFO("tick " << tick << " s: " << s.likes << " likes in 600 minutes");
    CHECK(std::abs(static_cast<double>(s.likes) - 360.0) < 95);
  }
}

TEST_CASE("a fixed seed gives the same run") {
  auto run = [](std::uint64_t seed) {
    Rng rng(seed);
    EngagementConfig c = moderate();
    SimState s = first_sight(c, real(2), rng);
    for (int i = 0; i < 1000; ++i) s = step(c, s, real(i % 40), 5, rng);
    return s;
  };
  CHECK(run(7) == run(7));
  CHECK(run(7) != run(8));
}

TEST_CASE("poisson draws have the asked mean and 0 for no mean") {
  Rng rng(9);
  CHECK(poisson(0, rng) == 0);
  CHECK(poisson(-1, rng) == 0);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) sum += static_cast<double>(poisson(2.5, rng));
  // sd of the mean: sqrt(2.5 / 10000) = 0.016; 5 sd.
  CHECK(std::abs(sum / 10000 - 2.5) < 0.08);
}

TEST_CASE("absurd rates finish a step quickly and still respect the target") {
  Rng rng(10);
  EngagementConfig c = moderate();
  c.increase_rate = 1'000'000;
  c.decrease_rate = 1'000'000;
  c.like_rate = 1'000'000;
  SimState s{15, 15, 0, 15};
  for (int i = 0; i < 20; ++i) {
    s = step(c, s, real(40), 60, rng);  // T = 80
    REQUIRE(std::abs(s.viewers - 80) <= 1);
  }
  // Beyond the event budget the plateau keeps its long-run join rate
  // p (i/2 + d/2), p = 1 / (1 + (i/2)/d + (d/2)/i): with i = d = 1e6,
  // p = 1/2 and 5e5 joins a minute (a Poisson count: sd ~ 3200 in 20 min).
  const double per_minute = static_cast<double>(s.joins - 15) / 20;
  CHECK(per_minute > 0.49e6);
  CHECK(per_minute < 0.51e6);
  CHECK(s.likes > 0);
}
