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
  return s;
}

SimState step(const EngagementConfig& c, const SimState& s, const RealCounts& real,
              double dt_seconds, Rng& rng) {
  SimState n = s;
  const double minutes = std::max(0.0, dt_seconds) / 60.0;
  const std::int64_t target = target_viewers(c, real.viewers);

  if (n.viewers < target) {
    const std::int64_t joined =
        std::min(poisson(c.increase_rate * minutes, rng), target - n.viewers);
    n.viewers += joined;
    n.joins += joined;
  } else if (n.viewers > target) {
    n.viewers -= std::min(poisson(c.decrease_rate * minutes, rng), n.viewers - target);
  } else if (target > 0) {
    // Plateau: people keep coming and going at half the rates, within the band.
    const std::int64_t band = churn_band(target);
    const std::int64_t joined = poisson(c.increase_rate * 0.5 * minutes, rng);
    const std::int64_t left = poisson(c.decrease_rate * 0.5 * minutes, rng);
    const std::int64_t unclamped = n.viewers + joined - left;
    const std::int64_t clamped =
        std::clamp(unclamped, std::max<std::int64_t>(0, target - band), target + band);
    // Joins cut off by the upper edge never happened.
    n.joins += joined - std::max<std::int64_t>(0, unclamped - clamped);
    n.viewers = clamped;
  }

  if (c.likes_enabled && real.viewers + n.viewers > 0) {
    n.likes += poisson(c.like_rate * std::min(1.0, 0.1 * c.multiplier) * minutes, rng);
  }
  n.peak = std::max(n.peak, real.viewers + n.viewers);
  return n;
}

}  // namespace engagementd
