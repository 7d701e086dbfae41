// Near its target the simulated audience must be a natural one, an M/M/inf
// queue around T (each viewer watches an exponential time of mean W,
// newcomers arrive at T/W a minute): V ~ Poisson(T), lag-tau
// autocorrelation exp(-tau/W), T/W joins and leaves a minute, whatever the
// tick. Seeded, no database; the tolerances are explained in
// plateau_check.cpp. The approach from afar: test_rates.cpp.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/presets.hpp"
#include "core/simulation.hpp"
#include "support/plateau_check.hpp"

using namespace engagementd;
using namespace engagementd::test;

namespace {

constexpr double kTicks[] = {1, 5, 10, 60};

// The run is long enough for 2 % of T to be 4 sd of the measured mean.
constexpr double kMeanSigmas = 4;

struct Case {
  const char* name;
  EngagementConfig config;
  std::int64_t real;
};

const Case kCases[] = {
    {"conservative, R = 10 (T = 15)", find_preset("conservative")->config, 10},
    {"moderate, R = 10 (T = 20)", find_preset("moderate")->config, 10},
    {"aggressive, R = 40 (T = 120)", find_preset("aggressive")->config, 40},
    {"min 0, max 1000, x5, R = 100 (T = 500)", EngagementConfig{true, true, 0, 1000, 10, 5, 6, 5.0},
     100},
};

SimState right_step(const EngagementConfig& c, const SimState& s, const RealCounts& r, double dt,
                    Rng& rng) {
  return step(c, s, r, dt, rng);
}

// The plateau this product had before: V = T goes to T + 1 at half the
// increase rate and to T - 1 at half the decrease rate, one viewer at a
// time, and each step away from T is taken back at the full rate. Exact in
// continuous time, like step(), so the series differs only by its dynamics.
SimState pinned_step(const EngagementConfig& c, const SimState& s, const RealCounts& real,
                     double dt, Rng& rng) {
  SimState n = s;
  const std::int64_t target = target_viewers(c, real.viewers);
  double left = dt / 60;
  while (true) {
    double up = 0, down = 0;
    if (n.viewers < target) {
      up = c.increase_rate;
    } else if (n.viewers > target) {
      down = c.decrease_rate;
    } else {
      up = c.increase_rate / 2;
      down = c.decrease_rate / 2;
    }
    const double wait = std::exponential_distribution<double>(up + down)(rng);
    if (wait >= left) break;
    left -= wait;
    if (std::uniform_real_distribution<double>(0, up + down)(rng) < up) {
      ++n.viewers;
      ++n.joins;
    } else {
      --n.viewers;
    }
  }
  return n;
}

}  // namespace

TEST_CASE("at a plateau the simulated audience is a natural one, at every tick", "[natural]") {
  for (const Case& k : kCases) {
    const std::int64_t target = target_viewers(k.config, k.real);
    const double w = k.config.watch_minutes;
    const double hours = plateau_hours(static_cast<double>(target), w, kMeanSigmas);
    for (double tick : kTicks) {
      const PlateauSeries series =
          sample_plateau(k.config, k.real, tick, hours, 100 + static_cast<int>(tick), right_step);
      const PlateauReport r = check_plateau(series, static_cast<double>(target), w);
      INFO(k.name << ", " << tick << " s ticks, " << hours << " h:\n" << r.describe());
      CHECK(r.ok());
    }
  }
}

TEST_CASE("the plateau checker rejects a count pinned at T +- 1", "[natural]") {
  const EngagementConfig c = find_preset("moderate")->config;
  for (double tick : {1.0, 60.0}) {
    const PlateauSeries series = sample_plateau(c, 10, tick, 400, 7, pinned_step);
    const PlateauReport r = check_plateau(series, 20, c.watch_minutes);
    INFO(tick << " s ticks:\n" << r.describe());
    CHECK(r.passed("mean"));            // it does sit at T
    CHECK_FALSE(r.passed("variance"));  // but with a variance below 1, not T = 20
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("the plateau checker rejects white noise of the right mean and variance", "[natural]") {
  // Every minute a fresh Poisson(T) count, joins at T/W a minute: mean,
  // variance, joins and leaves are right, only the memory of a real
  // audience (viewers still there a minute later) is missing.
  const double target = 20, w = kDefaultWatchMinutes;
  Rng rng(8);
  PlateauSeries series;
  for (int m = 0; m <= 400 * 60; ++m) {
    series.viewers.push_back(static_cast<double>(poisson(target, rng)));
  }
  series.joins =
      static_cast<double>(poisson(target / w * static_cast<double>(series.minutes()), rng));
  series.leaves = series.joins - (series.viewers.back() - series.viewers.front());
  const PlateauReport r = check_plateau(series, target, w);
  INFO(r.describe());
  CHECK(r.passed("mean"));
  CHECK(r.passed("variance"));
  CHECK(r.passed("joins"));
  CHECK(r.passed("leaves"));
  CHECK_FALSE(r.passed("lag-1"));
  CHECK_FALSE(r.ok());
}

TEST_CASE("the plateau checker tells watch times apart", "[natural]") {
  // An audience that watches twice as long has the right mean and variance
  // but moves half as fast: exp(-1/12) = 0.92 against exp(-1/6) = 0.85.
  EngagementConfig c = find_preset("moderate")->config;
  c.watch_minutes = 2 * kDefaultWatchMinutes;
  const PlateauSeries series = sample_plateau(c, 10, 10, 400, 9, right_step);
  const PlateauReport r = check_plateau(series, 20, kDefaultWatchMinutes);
  INFO(r.describe());
  CHECK(r.passed("mean"));
  CHECK(r.passed("variance"));
  CHECK_FALSE(r.passed("lag-1"));
  CHECK_FALSE(r.passed("joins"));
  CHECK(check_plateau(series, 20, c.watch_minutes).ok());
}

TEST_CASE("a fixed seed gives the same plateau", "[natural]") {
  const EngagementConfig c = find_preset("aggressive")->config;
  for (double tick : kTicks) {
    const PlateauSeries a = sample_plateau(c, 40, tick, 5, 11, right_step);
    const PlateauSeries b = sample_plateau(c, 40, tick, 5, 11, right_step);
    const PlateauSeries other = sample_plateau(c, 40, tick, 5, 12, right_step);
    CHECK(a.viewers == b.viewers);
    CHECK(a.joins == b.joins);
    CHECK(a.viewers != other.viewers);
  }
}

// The figures quoted in the README: run with
//   unit_tests "[.report]" -s
TEST_CASE("plateau figures, 1 s and 60 s ticks", "[.report]") {
  const Case cases[] = {kCases[1], kCases[3]};
  for (const Case& k : cases) {
    const std::int64_t target = target_viewers(k.config, k.real);
    const double w = k.config.watch_minutes;
    for (double tick : {1.0, 60.0}) {
      const PlateauSeries series = sample_plateau(k.config, k.real, tick, 2000, 5, right_step);
      const PlateauReport r = check_plateau(series, static_cast<double>(target), w);
      WARN(k.name << ", " << tick << " s ticks, 2000 h: mean " << r.mean << " (T " << target
                  << "), sd " << r.sd << " (sqrt(T) " << natural_sd(target)
                  << "), lag-1-minute autocorrelation " << r.lag1 << " (exp(-1/W) "
                  << std::exp(-1 / w) << "), joins/min " << r.joins_per_minute << ", leaves/min "
                  << r.leaves_per_minute << " (T/W " << static_cast<double>(target) / w << ")\n"
                  << r.describe());
      CHECK(r.ok());
    }
  }
}
