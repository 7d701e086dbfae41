#pragma once

#include <cstdint>
#include <random>

#include "engagement.hpp"

namespace engagementd {

using Rng = std::mt19937_64;

// Simulated audience of one stream. Never mixed with the real numbers.
struct SimState {
  std::int64_t viewers = 0;  // simulated viewers now (V)
  std::int64_t joins = 0;    // cumulative simulated joins, the first viewers included
  std::int64_t likes = 0;    // cumulative simulated likes
  std::int64_t peak = 0;     // peak display viewers (real + simulated)
  // The two parts' own peaks, seen at ticks, for real-vs-simulated reports.
  std::int64_t real_peak = 0;
  std::int64_t sim_peak = 0;

  bool operator==(const SimState& o) const {
    return viewers == o.viewers && joins == o.joins && likes == o.likes && peak == o.peak &&
           real_peak == o.real_peak && sim_peak == o.sim_peak;
  }
  bool operator!=(const SimState& o) const { return !(*this == o); }
};

// Real numbers, from the site's rows with is_fake = 0 only.
struct RealCounts {
  std::int64_t viewers = 0;  // open sessions
  std::int64_t likes = 0;
  std::int64_t dislikes = 0;
  std::int64_t comments = 0;
};

// T = max(min, min(max, floor(R x m))), or 0 when simulated viewers are off.
std::int64_t target_viewers(const EngagementConfig& c, std::int64_t real_viewers);

// Half-width of the plateau band: max(1, 5 % of T).
std::int64_t churn_band(std::int64_t target);

// A Poisson draw; 0 for a mean of 0 or less.
std::int64_t poisson(double mean, Rng& rng);

// First sight of a live stream: V uniform in [ceil(min/2), min] (0 when
// simulated viewers are off); those viewers count as joins.
SimState first_sight(const EngagementConfig& c, const RealCounts& real, Rng& rng);

// Simulated likes per minute while anyone watches: like_rate x min(1, 0.1 x m),
// the guide's "0..like_rate likes a minute, each with probability 10 % x m".
double like_rate_per_minute(const EngagementConfig& c);

// Events (viewer arrivals and departures at the plateau) simulated one by one
// within a step; beyond this the rest of the step takes the plateau's
// long-run rate. Only rates far beyond any preset (thousands per minute at
// long ticks) reach it.
inline constexpr int kMaxEventsPerStep = 20'000;

// Advances the simulated audience by dt seconds of wall time, simulating the
// viewer process's events exactly, so that the statistics are the same for
// any tick length (DESIGN.md, "The algorithm"):
//   V < T: joins at increase_rate per minute, never past T;
//   V > T: leaves at decrease_rate per minute, never below T;
//   V = T > 0: joins and leaves at half those rates, one at a time, each
//     step away from T taken back at the full rate (so within churn_band(T));
//   likes at like_rate_per_minute(c) while real + simulated viewers > 0.
// Pure: the same inputs and random source state give the same result.
SimState step(const EngagementConfig& c, const SimState& s, const RealCounts& real,
              double dt_seconds, Rng& rng);

}  // namespace engagementd
