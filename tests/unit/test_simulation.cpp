#include <catch2/catch.hpp>

#include <cmath>

#include "core/simulation.hpp"

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

TEST_CASE("the natural band is T -+ (4 sqrt(T) + 2 + (T/W) / rate)") {
  EngagementConfig c = moderate();  // increase 5, decrease 3, W 6
  NaturalBand band = natural_band(c, 100);
  CHECK(band.low == Approx(100 - (40 + 2 + 100.0 / 6 / 5)));
  CHECK(band.high == Approx(100 + (40 + 2 + 100.0 / 6 / 3)));
  CHECK(band.contains(100));
  CHECK(band.contains(55));
  CHECK_FALSE(band.contains(54));
  // T = 0 (viewers off): nobody is a natural audience; the rest leave.
  band = natural_band(c, 0);
  CHECK(band.low == 0);
  CHECK(band.high == 0);
  // A rate of 0 leaves that side to the natural dynamics alone.
  c.increase_rate = 0;
  CHECK(natural_band(c, 100).low < -1e300);
  c.decrease_rate = 0;
  CHECK(natural_band(c, 0).high > 1e300);
  CHECK(natural_sd(100) == 10);
  CHECK(expected_spread(100) == 20);
}

TEST_CASE("joins and leaves a minute: a natural audience near T, the configured rates far off") {
  const EngagementConfig c = moderate();  // W = 6
  AudienceRates r = audience_rates(c, 60, 60);
  CHECK(r.joins == Approx(10));   // T/W
  CHECK(r.leaves == Approx(10));  // V/W
  r = audience_rates(c, 60, 45);
  CHECK(r.joins == Approx(10));
  CHECK(r.leaves == Approx(7.5));
  r = audience_rates(c, 100, 12);  // far below: V/W leave, as many and 5 more join
  CHECK(r.joins == Approx(5 + 2));
  CHECK(r.leaves == Approx(2));
  r = audience_rates(c, 15, 300);  // far above: T/W join, 3 more leave
  CHECK(r.joins == Approx(2.5));
  CHECK(r.leaves == Approx(5.5));
  r = audience_rates(c, 0, 10);  // viewers off: they leave at the decrease rate
  CHECK(r.joins == 0);
  CHECK(r.leaves == Approx(3));
  r = audience_rates(c, 0, 0);
  CHECK(r.joins == 0);
  CHECK(r.leaves == 0);
}

TEST_CASE("far from the target V moves towards it at the configured rate, then settles") {
  Rng rng(2);
  EngagementConfig c = moderate();
  c.increase_rate = 1000;
  c.decrease_rate = 1000;
  SimState s{5, 5, 0, 5};
  s = step(c, s, real(50), 60, rng);  // T = 100: the band (58..) is reached within a second
  const NaturalBand band = natural_band(c, 100);
  CHECK(band.contains(s.viewers));
  CHECK(s.joins >= s.viewers);
  s = step(c, s, real(0), 0, rng);  // dt = 0: nothing happens
  const SimState same = s;
  CHECK(step(c, same, real(0), 0, rng) == same);

  // Steps too short to reach the band: on average V moves by the rate x dt,
  // whatever the churn around it. 2000 steps of 5 s; the sd of one step's
  // change is sqrt((rate + 2V/W) x 5/60), the tolerance 5 sd of the mean.
  c = moderate();
  double up = 0, down = 0;
  for (int i = 0; i < 2000; ++i) {
    const SimState low{5, 5, 0, 5};
    const SimState climbed = step(c, low, real(50), 5, rng);  // T = 100, band from 55
    REQUIRE(climbed.joins - low.joins >= climbed.viewers - low.viewers);
    up += static_cast<double>(climbed.viewers - low.viewers);
    const SimState high{300, 300, 0, 300};
    const SimState fell = step(c, high, real(0), 5, rng);  // T = 15, band up to 33
    REQUIRE(fell.joins >= high.joins);
    down += static_cast<double>(high.viewers - fell.viewers);
  }
  CHECK(std::abs(up / 2000 - 5 * 5.0 / 60) < 5 * std::sqrt((5 + 2 * 5 / 6.0) * 5 / 60 / 2000));
  CHECK(std::abs(down / 2000 - 3 * 5.0 / 60) < 5 * std::sqrt((3 + 2 * 15 / 6.0) * 5 / 60 / 2000));
}

TEST_CASE("the plateau wanders like a real audience and is never frozen") {
  Rng rng(3);
  EngagementConfig c = moderate();
  const std::int64_t target = target_viewers(c, 40);  // 80: 13.3 joins and leaves a minute
  SimState s{target, target, 0, target};
  int moved = 0;
  std::int64_t lo = target, hi = target;
  for (int i = 0; i < 600; ++i) {  // 10 minutes of 1 s ticks
    const SimState before = s;
    s = step(c, s, real(40), 1, rng);
    REQUIRE(s.joins >= before.joins);
    moved += s.viewers != before.viewers;
    lo = std::min(lo, s.viewers);
    hi = std::max(hi, s.viewers);
  }
  // About 27 events a minute, 0.44 a second: V changes at some 35 % of the ticks.
  CHECK(moved > 120);
  // It wanders (sd sqrt(80) = 9), not pinned to T +- 1.
  CHECK(hi - lo >= 8);
  CHECK(s.joins - target > 80);  // 133 expected in 10 minutes
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

TEST_CASE("absurd rates and audiences finish a step quickly, as a natural audience around T") {
  Rng rng(10);
  EngagementConfig c = moderate();
  c.increase_rate = 1'000'000;
  c.decrease_rate = 1'000'000;
  c.like_rate = 1'000'000;
  SimState s{15, 15, 0, 15};
  for (int i = 0; i < 20; ++i) {
    s = step(c, s, real(40), 60, rng);  // T = 80, reached at once
    REQUIRE(std::abs(s.viewers - 80) <= 6 * natural_sd(80));
  }
  // Near T the rates do not matter: T/W = 13.3 joins a minute (Poisson: sd
  // of 20 minutes' count 16), after the 28 of the climb to the band (43).
  const double joins = static_cast<double>(s.joins - 15);
  CHECK(std::abs(joins - 28 - 20 * 80 / 6.0) < 5 * 16 + 5);
  CHECK(s.likes > 0);

  // A million viewers to reach and 30-second watch times: past the event
  // budget the step finishes in leaps, and lands in the natural band.
  c.max_viewers = 1'000'000;
  c.multiplier = 10;
  c.watch_minutes = 0.5;
  s = SimState{15, 15, 0, 15};
  for (int i = 0; i < 3; ++i) s = step(c, s, real(100'000), 60, rng);
  CHECK(natural_band(c, 1'000'000).contains(s.viewers));
  CHECK(std::abs(s.viewers - 1'000'000) <= 6 * natural_sd(1'000'000));
  CHECK(s.joins >= s.viewers);

  // An unvalidated watch time of 0 is taken as the shortest allowed.
  c = moderate();
  c.watch_minutes = 0;
  s = step(c, SimState{15, 15, 0, 15}, real(10), 60, rng);
  CHECK(s.viewers >= 0);
}
