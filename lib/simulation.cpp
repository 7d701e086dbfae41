#include "simulation.hpp"

#include <algorithm>
#include <cmath>

namespace engagementd {

std::int64_t target_viewers(const EngagementConfig& c, std::int64_t real_viewers) {
  if (!c.viewers_enabled) return 0;
  const double scaled = std::floor(static_cast<double>(real_viewers) * c.multiplier);
  const auto capped =
      static_cast<std::int64_t>(std::min(scaled, static_cast<double>(c.max_viewers)));
  return std::max(c.min_viewers, capped);
}

std::int64_t churn_band(std::int64_t target) {
  return std::max<std::int64_t>(1, target / 20);
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

// The k-th smallest of n uniform points on [0, 1): Beta(k, n - k + 1).
double order_statistic(std::int64_t k, std::int64_t n, Rng& rng) {
  std::gamma_distribution<double> a(static_cast<double>(k), 1.0);
  std::gamma_distribution<double> b(static_cast<double>(n - k + 1), 1.0);
  const double x = a(rng);
  const double y = b(rng);
  return x / (x + y);
}

double exponential(double rate, Rng& rng) {
  std::exponential_distribution<double> dist(rate);
  return dist(rng);
}

}  // namespace

SimState step(const EngagementConfig& c, const SimState& s, const RealCounts& real,
              double dt_seconds, Rng& rng) {
  // The audience is a continuous-time process: below the target, joins
  // arrive at increase_rate per minute; above it, leaves at decrease_rate; at
  // the target, joins and leaves at half those rates. Simulating its events
  // exactly over dt (instead of drawing one batch per tick) is what makes the
  // statistics identical for every tick length: splitting an interval into
  // ticks splits the same process at more points, nothing else.
  SimState n = s;
  const double total = std::max(0.0, dt_seconds) / 60.0;  // minutes
  const std::int64_t target = target_viewers(c, real.viewers);
  const bool real_audience = real.viewers > 0;
  const double inc = std::max(0.0, c.increase_rate);
  const double dec = std::max(0.0, c.decrease_rate);
  const double churn_in = inc * 0.5;
  const double churn_out = dec * 0.5;

  double t = 0;
  double audience = 0;  // minutes of this step with anyone watching
  int events = 0;
  while (t < total) {
    const double rem = total - t;
    if (++events > kMaxEventsPerStep) {
      // Only absurd rates get here. The plateau (T, T+1 or T-1) has long
      // reached its stationary regime: finish with its long-run join rate.
      n.viewers = target;
      if (target > 0 && inc > 0 && dec > 0) {
        const double p_target = 1.0 / (1.0 + churn_in / dec + churn_out / inc);
        n.joins += poisson(p_target * (churn_in + churn_out) * rem, rng);
      }
      audience += (real_audience || n.viewers > 0) ? rem : 0;
      break;
    }
    if (n.viewers < target) {
      if (!(inc > 0)) {
        audience += (real_audience || n.viewers > 0) ? rem : 0;
        break;
      }
      if (n.viewers == 0 && !real_audience) {
        // Nobody watches until the first join: time it.
        const double wait = exponential(inc, rng);
        if (wait >= rem) break;
        t += wait;
        n.viewers = 1;
        n.joins += 1;
        continue;
      }
      // Joins in the rest of the step; if there are at least enough to
      // reach T, T is reached at the k-th of them and the plateau follows.
      const std::int64_t room = target - n.viewers;
      const std::int64_t arrivals = poisson(inc * rem, rng);
      if (arrivals < room) {
        n.viewers += arrivals;
        n.joins += arrivals;
        audience += rem;
        break;
      }
      const double reached = rem * order_statistic(room, arrivals, rng);
      n.viewers = target;
      n.joins += room;
      audience += reached;
      t += reached;
    } else if (n.viewers > target) {
      if (!(dec > 0)) {
        audience += rem;
        break;
      }
      const std::int64_t excess = n.viewers - target;
      const std::int64_t departures = poisson(dec * rem, rng);
      if (departures < excess) {
        n.viewers -= departures;
        audience += rem;
        break;
      }
      const double reached = rem * order_statistic(excess, departures, rng);
      n.viewers = target;
      audience += reached;  // V > T >= 0 until then
      t += reached;
    } else {
      // V = T: natural churn, one viewer at a time. A join takes V to T+1
      // and a leave to T-1, from where the branches above bring it back at
      // the full rates, so V stays within max(1, 5 % of T) of T.
      const double rate = churn_in + churn_out;
      if (target == 0 || !(rate > 0)) {
        audience += (real_audience || n.viewers > 0) ? rem : 0;
        break;
      }
      const double wait = exponential(rate, rng);
      if (wait >= rem) {
        audience += rem;
        break;
      }
      t += wait;
      audience += wait;
      std::uniform_real_distribution<double> pick(0.0, rate);
      if (pick(rng) < churn_in) {
        n.viewers += 1;
        n.joins += 1;
      } else {
        n.viewers -= 1;
      }
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
