#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/simulation.hpp"

namespace engagementd::test {

// v with `digits` places after the point, for the checks' messages.
std::string fixed(double v, int digits = 3);

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
// and enough viewers for T = max (so the simulated audience climbs, settles,
// falls and settles again), advancing it with `step_fn` in ticks of
// tick_seconds, and measures from the state at every minute boundary, each
// against its formula (audience_rates() in simulation.hpp; W the watch time):
//   below the natural band (whole minutes): net joins increase_rate per
//     minute, leaves V/W;
//   above it: net leaves decrease_rate per minute, joins T/W;
//   inside it: joins T/W, leaves V/W;
//   likes per minute over the whole run.
// A minute counts for a region only when it starts so far inside it that it
// leaves it with a probability below 1e-6 (5 sd of the minute's movement).
RateReport measure_rates(const EngagementConfig& c, double tick_seconds, double hours,
                         std::uint64_t seed, const StepFn& step_fn);

}  // namespace engagementd::test
