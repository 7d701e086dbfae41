#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/rate_check.hpp"

namespace engagementd::test {

// A simulated audience at its target, sampled at every minute boundary.
struct PlateauSeries {
  std::vector<double> viewers;  // V at minutes 0..n
  double joins = 0;             // between the first and the last sample
  double leaves = 0;
  std::size_t minutes() const { return viewers.empty() ? 0 : viewers.size() - 1; }
};

// One statistic of a series against a natural audience's (an M/M/inf queue
// around T with mean watch time W: V ~ Poisson(T), autocorrelation
// exp(-tau/W), T/W joins and as many leaves a minute).
struct StatCheck {
  std::string what;
  double expected = 0;
  double measured = 0;
  double tolerance = 0;  // allowed |measured - expected|
  bool ok = false;
  std::string describe() const;
};

struct PlateauReport {
  std::vector<StatCheck> checks;
  double mean = 0, sd = 0, lag1 = 0, joins_per_minute = 0, leaves_per_minute = 0;
  bool ok() const;
  // The checks whose names start with `what`, all passed.
  bool passed(const std::string& what) const;
  std::string describe() const;
};

// Checks a series against a natural audience around `target` with watch
// time `watch_minutes`: mean (within 2 % of T, and within 5 sd), variance,
// lag-1-minute autocorrelation, joins and leaves per minute. Tolerances in
// plateau_check.cpp.
PlateauReport check_plateau(const PlateauSeries& s, double target, double watch_minutes);

// One stream at a constant real audience: burn-in (8 watch times from V =
// T: the start's weight exp(-8) = 0.03 %), then `hours` sampled at every
// minute, advanced with step_fn in ticks of tick_seconds.
PlateauSeries sample_plateau(const EngagementConfig& c, std::int64_t real_viewers,
                             double tick_seconds, double hours, std::uint64_t seed,
                             const StepFn& step_fn);

// The hours of a plateau needed for its mean to be measured within 2 % of
// T at `sigmas` standard deviations (at least 100 h): a natural audience's
// mean over n minutes has sd sqrt(T / n_eff), n_eff = n (1 - rho)/(1 + rho).
double plateau_hours(double target, double watch_minutes, double sigmas);

}  // namespace engagementd::test
