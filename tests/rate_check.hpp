#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "simulation.hpp"

namespace engagementd::test {

using StepFn = std::function<SimState(const EngagementConfig&, const SimState&, const RealCounts&,
                                      double, Rng&)>;

// One measured rate against its formula.
struct RateCheck {
  std::string what;
  double expected_per_minute = 0;
  double measured_per_minute = 0;
  double minutes = 0;    // the minutes the rate was measured over
  double count = 0;      // events counted in them
  double tolerance = 0;  // allowed |count - expected count|, in events
  std::size_t min_minutes = 0;
  bool ok = false;
  std::string describe() const;
};

struct RateReport {
  std::vector<RateCheck> checks;
  bool ok() const;
  std::string describe() const;
};

// Simulates `hours` of one stream whose real audience alternates between 0
// and enough viewers for T = max (so the simulated audience climbs, plateaus,
// falls and plateaus again), advancing it with `step_fn` in ticks of
// tick_seconds, and measures from the state at every minute boundary:
//   joins per minute in minutes spent wholly below T (approach),
//   leaves per minute in minutes spent wholly above T,
//   likes per minute over the whole run,
//   joins and leaves per minute at the plateau,
// each against its formula.
RateReport measure_rates(const EngagementConfig& c, double tick_seconds, double hours,
                         std::uint64_t seed, const StepFn& step_fn);

// The long-run joins (= leaves) per minute at the plateau: the chain T ->
// T+1 (rate i/2), T -> T-1 (rate d/2), T+1 -> T (rate d), T-1 -> T (rate i).
double plateau_rate_per_minute(const EngagementConfig& c);

// Smallest n with P(Poisson(mean) >= n) < p.
std::int64_t poisson_quantile(double mean, double p);

}  // namespace engagementd::test
