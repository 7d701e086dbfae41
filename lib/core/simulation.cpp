#include "core/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace engagementd {

std::int64_t target_viewers(const EngagementConfig& c, std::int64_t real_viewers) {
  if (!c.viewers_enabled) return 0;
  const double scaled = std::floor(static_cast<double>(real_viewers) * c.multiplier);
  const auto capped =
      static_cast<std::int64_t>(std::min(scaled, static_cast<double>(c.max_viewers)));
  return std::max(c.min_viewers, capped);
}

std::int64_t poisson(double mean, Rng& rng) {
  if (!(mean > 0)) return 0;
  std::poisson_distribution<std::int64_t> dist(mean);
  return dist(rng);
}

SimState first_sight(const EngagementConfig& c, const RealCounts& real, Rng& rng) {
  SimState s;
  if (c.viewers_enabled && c.min_viewers > 0) {
    std::uniform_int_distribution<std::int64_t> dist((c.min_viewers + 1) / 2, c.min_viewers);
    s.viewers = dist(rng);
  }
  s.joins = s.viewers;
  s.peak = real.viewers + s.viewers;
  s.real_peak = real.viewers;
  s.sim_peak = s.viewers;
  return s;
}

namespace {

// Half-width of the natural band beyond the configured rates' share, in
// standard deviations of a natural audience, plus a few viewers for small
// counts. Checked against the exact stationary distribution of the process
// (detailed balance) for T 1..5000, W 0.5..120 min and rates 0.5..600 per
// minute: the mean stays within 0.03 % of T and the variance within 0.3 %.
constexpr double kNaturalBandSigmas = 4;
constexpr double kNaturalBandViewers = 2;

// The M/M/inf transition over the rest of a step is drawn at once only when
// the count stays in the natural band (and above 0, for the likes) except
// with a probability below 1e-8: at least this many standard deviations of
// its change over that time, sqrt((T + V)/W x t), from either edge.
constexpr double kSettledSigmas = 6;

// Leaps that finish a step past kMaxEventsPerStep.
constexpr int kMaxLeaps = 8;

double watch_of(const EngagementConfig& c) {
  // validate() keeps it within range; a config that was not validated must
  // not divide by zero.
  if (!(c.watch_minutes >= kMinWatchMinutes)) return kMinWatchMinutes;
  return std::min(c.watch_minutes, kMaxWatchMinutes);
}

double exponential(double rate, Rng& rng) {
  std::exponential_distribution<double> dist(rate);
  return dist(rng);
}

std::int64_t binomial(std::int64_t n, double p, Rng& rng) {
  if (n <= 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  std::binomial_distribution<std::int64_t> dist(n, p);
  return dist(rng);
}

AudienceRates rates_at(const EngagementConfig& c, const NaturalBand& band, std::int64_t target,
                       double w, std::int64_t viewers) {
  const double t = static_cast<double>(target), v = static_cast<double>(viewers);
  if (band.contains(viewers)) return {t / w, v / w};
  if (v < band.low) return {std::max(0.0, c.increase_rate) + v / w, v / w};
  return {t / w, t / w + std::max(0.0, c.decrease_rate)};
}

// Each viewer present still watches after t minutes with probability
// exp(-t/W); arrivals come as a Poisson process of rate T/W, and one
// arriving at a uniform time in [0, t] still watches at t with probability
// (1 - exp(-t/W)) W/t. Exact for any t: ticks compose like one long step.
void natural_transition(SimState& n, std::int64_t target, double w, double minutes, Rng& rng) {
  const double x = minutes / w;
  const std::int64_t stayed = binomial(n.viewers, std::exp(-x), rng);
  const std::int64_t arrived = poisson(static_cast<double>(target) * x, rng);
  const std::int64_t still = binomial(arrived, -std::expm1(-x) / x, rng);
  n.viewers = stayed + still;
  n.joins += arrived;
}

bool well_inside(const NaturalBand& band, std::int64_t target, std::int64_t viewers, double w,
                 double minutes) {
  const double v = static_cast<double>(viewers);
  const double margin =
      kSettledSigmas * std::sqrt(static_cast<double>(target + viewers) / w * minutes) + 1;
  return v - margin >= std::max(band.low, 0.0) && v + margin <= band.high;
}

// Past the event budget: the rest of the step in a few leaps, each up to
// the natural band at the configured rate, with Poisson joins and leaves at
// the leap's mean rates; inside the band, the exact transition.
void leap(const EngagementConfig& c, const NaturalBand& band, std::int64_t target, double w,
          double minutes, SimState& n, Rng& rng) {
  for (int i = 0; i < kMaxLeaps && minutes > 0; ++i) {
    if (band.contains(n.viewers)) {
      natural_transition(n, target, w, minutes, rng);
      return;
    }
    const double v = static_cast<double>(n.viewers), t = static_cast<double>(target);
    const bool below = v < band.low;
    const double rate = std::max(0.0, below ? c.increase_rate : c.decrease_rate);
    const double distance = below ? band.low - v : v - band.high;
    const double h =
        (i + 1 == kMaxLeaps || !(rate > 0)) ? minutes : std::min(minutes, distance / rate);
    const double mid = std::max(0.0, v + (below ? 0.5 : -0.5) * rate * h);
    const double joins = below ? (rate + mid / w) * h : t / w * h;
    const double leaves = below ? mid / w * h : (t / w + rate) * h;
    const std::int64_t arrived = poisson(joins, rng);
    const std::int64_t left = std::min(n.viewers + arrived, poisson(leaves, rng));
    n.viewers += arrived - left;
    n.joins += arrived;
    minutes -= h;
  }
}

}  // namespace

double natural_sd(std::int64_t target) {
  return std::sqrt(static_cast<double>(std::max<std::int64_t>(0, target)));
}

double expected_spread(std::int64_t target) {
  return 2 * natural_sd(target);
}

NaturalBand natural_band(const EngagementConfig& c, std::int64_t target) {
  const double w = watch_of(c);
  const double t = static_cast<double>(target);
  const double core =
      target > 0 ? kNaturalBandSigmas * natural_sd(target) + kNaturalBandViewers : 0;
  const double inf = std::numeric_limits<double>::infinity();
  NaturalBand band;
  band.low = c.increase_rate > 0 ? t - core - t / w / c.increase_rate : -inf;
  band.high = c.decrease_rate > 0 ? t + core + t / w / c.decrease_rate : inf;
  return band;
}

AudienceRates audience_rates(const EngagementConfig& c, std::int64_t target, std::int64_t viewers) {
  return rates_at(c, natural_band(c, target), target, watch_of(c), viewers);
}

SimState step(const EngagementConfig& c, const SimState& s, const RealCounts& real,
              double dt_seconds, Rng& rng) {
  // The audience is a continuous-time birth-death process (audience_rates).
  // Simulating it exactly over dt, instead of one batch of joins and leaves
  // per tick, is what makes the statistics identical for every tick length:
  // splitting an interval into ticks splits the same process at more
  // points, nothing else.
  SimState n = s;
  const double total = std::max(0.0, dt_seconds) / 60.0;  // minutes
  const std::int64_t target = target_viewers(c, real.viewers);
  const NaturalBand band = natural_band(c, target);
  const double w = watch_of(c);
  const bool real_audience = real.viewers > 0;

  double t = 0;
  double audience = 0;  // minutes of this step with anyone watching
  int events = 0;
  while (t < total) {
    const double rem = total - t;
    const bool watched = real_audience || n.viewers > 0;
    if (band.contains(n.viewers) && well_inside(band, target, n.viewers, w, rem)) {
      // It stays in the band, and above 0, for the rest of the step.
      natural_transition(n, target, w, rem, rng);
      audience += rem;
      break;
    }
    if (++events > kMaxEventsPerStep) {
      leap(c, band, target, w, rem, n, rng);
      audience += watched ? rem : 0;
      break;
    }
    const AudienceRates r = rates_at(c, band, target, w, n.viewers);
    const double rate = r.joins + r.leaves;
    if (!(rate > 0)) {
      audience += watched ? rem : 0;
      break;
    }
    const double wait = exponential(rate, rng);
    if (wait >= rem) {
      audience += watched ? rem : 0;
      break;
    }
    t += wait;
    audience += watched ? wait : 0;
    std::uniform_real_distribution<double> pick(0.0, rate);
    if (pick(rng) < r.joins) {
      n.viewers += 1;
      n.joins += 1;
    } else {
      n.viewers -= 1;
    }
  }

  // Likes arrive at their own rate while anyone watches, so their count over
  // the audience's time is one Poisson draw.
  if (c.likes_enabled && audience > 0) {
    n.likes += poisson(like_rate_per_minute(c) * audience, rng);
  }
  n.peak = std::max(n.peak, real.viewers + n.viewers);
  n.real_peak = std::max(n.real_peak, real.viewers);
  n.sim_peak = std::max(n.sim_peak, n.viewers);
  return n;
}

double like_rate_per_minute(const EngagementConfig& c) {
  return c.like_rate * std::min(1.0, 0.1 * c.multiplier);
}

}  // namespace engagementd
