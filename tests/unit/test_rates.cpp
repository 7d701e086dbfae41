// Statistical tests of the simulation step: for the guide's presets, a
// stream with a wide range, and ticks of 1 to 60 s, the measured per-minute
// rates match the formulas of docs/design.md ("The algorithm"): far from the
// target the configured rates, near it a natural audience's. Seeded, no
// database. The tolerances are explained in rate_check.cpp: 5 standard
// deviations of each count, the Poisson sd sqrt(expected count) where the
// count is Poisson. The plateau's own statistics: test_natural.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/presets.hpp"
#include "core/simulation.hpp"
#include "support/rate_check.hpp"

using namespace engagementd;
using namespace engagementd::test;

namespace {

constexpr double kHours = 240;
constexpr double kTicks[] = {1, 5, 10, 60};

SimState right_step(const EngagementConfig& c, const SimState& s, const RealCounts& r, double dt,
                    Rng& rng) {
  return step(c, s, r, dt, rng);
}

// The old site's bug: every tick (poll) advanced the audience by a minute.
SimState per_tick_step(const EngagementConfig& c, const SimState& s, const RealCounts& r, double,
                       Rng& rng) {
  return step(c, s, r, 60.0, rng);
}

// A wide range (T 50 or 1000) and slow rates: long climbs and falls far
// from the target, where the configured rates must hold exactly.
const EngagementConfig kWide{true, true, 50, 1000, 10, 5, 6, 5.0};

std::uint64_t seed_of(const Preset& p, double tick) {
  return 1000 * static_cast<std::uint64_t>(tick) + p.name.size();
}

}  // namespace

TEST_CASE("measured rates match the formulas for every preset and tick", "[rates]") {
  for (const Preset& p : kPresets) {
    for (double tick : kTicks) {
      const RateReport r = measure_rates(p.config, tick, kHours, seed_of(p, tick), right_step);
      INFO(p.name << " preset, " << tick << " s ticks:\n" << r.describe());
      CHECK(r.ok());
      if (p.name == "moderate" && (tick == 1 || tick == 60)) {
        WARN("moderate preset, " << tick << " s ticks, " << kHours << " h:\n" << r.describe());
      }
    }
  }
}

TEST_CASE("far from the target the configured rates govern the approach, at every tick",
          "[rates]") {
  for (double tick : kTicks) {
    const RateReport r =
        measure_rates(kWide, tick, kHours, 40 + static_cast<int>(tick), right_step);
    INFO(tick << " s ticks:\n" << r.describe());
    CHECK(r.ok());
    // Each region was measured: the checks are not vacuous here.
    for (const RateCheck& check : r.checks) CHECK(check.min_minutes > 0);
    if (tick == 1 || tick == 60)
      WARN("min 50, max 1000, " << tick << " s ticks:\n" << r.describe());
  }
}

TEST_CASE("the rate checker rejects a step whose rates are per tick", "[rates]") {
  const EngagementConfig c = find_preset("moderate")->config;
  for (double tick : {1.0, 5.0, 10.0}) {
    const RateReport wrong = measure_rates(c, tick, kHours, 7, per_tick_step);
    INFO(tick << " s ticks, per-tick rates:\n" << wrong.describe());
    REQUIRE_FALSE(wrong.ok());
    // Every rate is off, not just one.
    for (const RateCheck& check : wrong.checks) {
      if (check.what.rfind("likes", 0) == 0) CHECK_FALSE(check.ok);
    }
  }
  // At 60 s ticks a per-tick rate is the per-minute rate: the same checker passes it.
  CHECK(measure_rates(c, 60, kHours, 7, per_tick_step).ok());
}

TEST_CASE("the same configuration gives the same minute-by-minute audience at any tick",
          "[rates]") {
  // 400 streams from the same start climb from 8 towards T = 40 and settle.
  // The mean simulated viewers at each minute must agree between 1 s and
  // 60 s ticks within 5 sd of the difference of two means (sd estimated from
  // the streams: sqrt(s1^2/n + s2^2/n)).
  const EngagementConfig c = find_preset("moderate")->config;
  const RealCounts real{20, 0, 0, 0};  // T = 40
  constexpr int kStreams = 400, kMinutes = 45;
  auto trajectories = [&](double tick, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::vector<double>> v(kMinutes, std::vector<double>(kStreams));
    const int per_minute = static_cast<int>(60 / tick);
    for (int i = 0; i < kStreams; ++i) {
      SimState s{8, 8, 0, 8};
      for (int m = 0; m < kMinutes; ++m) {
        for (int k = 0; k < per_minute; ++k) s = step(c, s, real, tick, rng);
        v[m][i] = static_cast<double>(s.viewers);
      }
    }
    return v;
  };
  auto mean_var = [](const std::vector<double>& x) {
    double sum = 0, sq = 0;
    for (double e : x) sum += e;
    const double mean = sum / static_cast<double>(x.size());
    for (double e : x) sq += (e - mean) * (e - mean);
    return std::pair<double, double>{mean, sq / static_cast<double>(x.size() - 1)};
  };
  const auto fine = trajectories(1, 21);
  const auto coarse = trajectories(60, 22);
  for (int m = 0; m < kMinutes; ++m) {
    const auto [mf, vf] = mean_var(fine[m]);
    const auto [mc, vc] = mean_var(coarse[m]);
    const double sd = std::sqrt(vf / kStreams + vc / kStreams);
    INFO("minute " << m + 1 << ": mean V " << mf << " at 1 s, " << mc << " at 60 s, sd " << sd);
    CHECK(std::abs(mf - mc) <= 5 * std::max(sd, 0.05));
  }
  // By minute 45 (7.5 watch times) the streams have forgotten their start
  // (its weight is exp(-7.5) = 0.06 %): across streams V is then a natural
  // audience's Poisson(40), at either tick. Tolerances, 5 sd: of the mean,
  // sqrt(40 / 400) = 0.32; of the variance, sqrt((2 x 40^2 + 40) / 400) = 2.9
  // (a Poisson variable's fourth central moment is 3T^2 + T).
  for (const auto* streams : {&fine, &coarse}) {
    const auto [final_mean, final_var] = mean_var((*streams)[kMinutes - 1]);
    INFO("minute 45: mean " << final_mean << ", variance " << final_var);
    CHECK(std::abs(final_mean - 40) < 5 * 0.32);
    CHECK(std::abs(final_var - 40) < 5 * 2.9);
  }
}

TEST_CASE("the simulated audience follows R x m as real viewers change, at every tick", "[rates]") {
  const EngagementConfig c = find_preset("moderate")->config;  // m = 2, T in [15, 100]
  for (double tick : kTicks) {
    Rng rng(31);
    SimState s = first_sight(c, RealCounts{}, rng);
    // Each real audience is held for 40 minutes: long enough to climb or
    // fall all the way (85 viewers at 5 or 3 per minute, then a few watch
    // times of natural approach).
    for (std::int64_t real : {0, 10, 30, 47, 3, 60, 0}) {
      const RealCounts r{real, 0, 0, 0};
      const std::int64_t target = std::max<std::int64_t>(15, std::min<std::int64_t>(100, 2 * real));
      REQUIRE(target_viewers(c, real) == target);
      const NaturalBand band = natural_band(c, target);
      const std::int64_t before = s.viewers;
      for (int k = 0; k < static_cast<int>(40 * 60 / tick); ++k) {
        s = step(c, s, r, tick, rng);
        // Coming from one side, it never gets past the natural band on the other.
        if (before < target) REQUIRE(static_cast<double>(s.viewers) <= band.high);
        if (before > target) REQUIRE(static_cast<double>(s.viewers) >= band.low);
      }
      INFO("tick " << tick << " s, R = " << real << ": V " << before << " -> " << s.viewers);
      // Settled: within 5 sd of a natural audience around T (a Poisson
      // variable's sd, sqrt(T), plus 2 for small counts' skew).
      CHECK(std::abs(s.viewers - target) <= 5 * natural_sd(target) + 2);
    }
  }
}

TEST_CASE("a fixed seed repeats a run exactly, at every tick", "[rates]") {
  const EngagementConfig c = find_preset("aggressive")->config;
  for (double tick : kTicks) {
    auto run = [&](std::uint64_t seed) {
      Rng rng(seed);
      SimState s = first_sight(c, RealCounts{4, 0, 0, 0}, rng);
      std::vector<SimState> path;
      for (int i = 0; i < 3000; ++i) {
        s = step(c, s, RealCounts{(i / 300) * 17 % 200, 0, 0, 0}, tick, rng);
        path.push_back(s);
      }
      return path;
    };
    CHECK(run(99) == run(99));
    CHECK(run(99) != run(100));
  }
}

// The figures quoted in the README: run with
//   unit_tests "[.report]" -s
TEST_CASE("rate figures, 1 s and 60 s ticks", "[.report]") {
  for (const EngagementConfig& c : {find_preset("moderate")->config, kWide}) {
    for (double tick : {1.0, 60.0}) {
      const RateReport r = measure_rates(c, tick, 2000, 77, right_step);
      std::string sds;
      for (const RateCheck& check : r.checks) {
        sds += check.what + ": sd of the measured rate " +
               std::to_string(check.tolerance / 5 / std::max(check.minutes, 1.0)) + "/min\n";
      }
      WARN("min " << c.min_viewers << ", max " << c.max_viewers << ", " << tick
                  << " s ticks, 2000 h:\n"
                  << r.describe() << sds);
      CHECK(r.ok());
    }
  }
}
