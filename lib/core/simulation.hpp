#pragma once

#include <cstdint>
#include <random>

#include "core/engagement.hpp"

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

// Around its target a simulated audience behaves like a real one: every
// viewer watches for an exponentially distributed time of mean W =
// c.watch_minutes and newcomers arrive at T/W a minute (an M/M/inf queue),
// so at a plateau V is Poisson(T): mean T, standard deviation sqrt(T),
// minute-to-minute autocorrelation exp(-1/W), T/W joins and as many leaves a
// minute. Far from T the configured rates bring it there (see step()).

// The standard deviation of a natural audience around T: sqrt(T).
double natural_sd(std::int64_t target);

// Where about 95 % of a natural audience's values lie: T +- 2 sqrt(T).
double expected_spread(std::int64_t target);

// The values of V that move as a natural audience around T, [low, high]:
//   T -+ (4 sqrt(T) + 2 + (T/W) / rate),
// rate being the increase rate below T and the decrease rate above it. A
// natural audience strays beyond 4 sqrt(T) (+2 for small counts) less than
// 1e-4 of the time, so the band leaves its statistics intact; (T/W) / rate
// is how far such a stray carries against T/W arrivals and leaves a minute
// before the configured rate brings it back, so a slow rate cannot fatten
// the tails either. A rate of 0 leaves that side wholly natural; T = 0 has
// the band {0} (viewers off: the rest leave at the decrease rate).
struct NaturalBand {
  double low = 0;
  double high = 0;
  bool contains(std::int64_t v) const {
    return static_cast<double>(v) >= low && static_cast<double>(v) <= high;
  }
};
NaturalBand natural_band(const EngagementConfig& c, std::int64_t target);

// Expected simulated joins and leaves per minute with V viewers and target T:
//   natural band:  joins T/W,                    leaves V/W;
//   below it:      joins increase_rate + V/W,    leaves V/W;
//   above it:      joins T/W,                    leaves T/W + decrease_rate.
// Below and above, V moves towards T at exactly the configured rate, while
// viewers keep coming and going.
struct AudienceRates {
  double joins = 0;
  double leaves = 0;
};
AudienceRates audience_rates(const EngagementConfig& c, std::int64_t target, std::int64_t viewers);

// A Poisson draw; 0 for a mean of 0 or less.
std::int64_t poisson(double mean, Rng& rng);

// First sight of a live stream: V uniform in [ceil(min/2), min] (0 when
// simulated viewers are off); those viewers count as joins.
SimState first_sight(const EngagementConfig& c, const RealCounts& real, Rng& rng);

// Simulated likes per minute while anyone watches: like_rate x min(1, 0.1 x m),
// the guide's "0..like_rate likes a minute, each with probability 10 % x m".
double like_rate_per_minute(const EngagementConfig& c);

// Events (single joins and leaves) simulated one by one within a step; past
// this the rest of the step is advanced in a few larger leaps (approximate).
// Only audiences of tens of thousands approaching their target at long
// ticks, or absurd rates, reach it.
inline constexpr int kMaxEventsPerStep = 20'000;

// Advances the simulated audience by dt seconds of wall time along the
// continuous-time process of audience_rates(), so that the statistics are
// the same for any tick length (docs/design.md, "The algorithm"): joins and
// leaves are simulated one by one, except well inside the natural band,
// where the exact M/M/inf transition over the rest of the step is drawn at
// once (survivors ~ Binomial(V, exp(-t/W)), arrivals ~ Poisson(T t/W), of
// whom Binomial(arrivals, (1 - exp(-t/W)) W/t) still watch). Every arrival
// counts as a join. Likes arrive at like_rate_per_minute(c) while real +
// simulated viewers > 0.
// Pure: the same inputs and random source state give the same result.
SimState step(const EngagementConfig& c, const SimState& s, const RealCounts& real,
              double dt_seconds, Rng& rng);

}  // namespace engagementd
