#include "support/rate_check.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace engagementd::test {
namespace {

// Every check allows kSigmas standard deviations of its count. At 5 sd a
// correct step fails one check with probability 6e-7; the suite runs fewer
// than a hundred checks, and with fixed seeds the outcome is the same on
// every run anyway. A per-tick rate at 5 s ticks is 12 times the right one,
// hundreds of standard deviations away.
constexpr double kSigmas = 5.0;

// A minute counts for a region (below, inside or above the natural band)
// only when it starts at least this many standard deviations of the
// minute's movement, plus its drift, inside the region: it then leaves the
// region with a probability below 1e-6, so the rates measured are the
// region's own.
constexpr double kRegionSigmas = 5.0;

// A region the configuration gives fewer minutes than this over the run is
// not measured (e.g. below the band of the conservative preset, whose band
// at its max of 30 reaches down past its min of 5); the check says so.
constexpr double kFewestMinutes = 8;

struct Sample {
  double count = 0;
  double count_sq = 0;
  double expected = 0;  // for counts whose rate follows V: the sum of V/W over the minutes
  std::size_t minutes = 0;
  void add(double x, double expect = 0) {
    count += x;
    count_sq += x * x;
    expected += expect;
    ++minutes;
  }
};

// What both checks record before judging.
RateCheck measured(const std::string& what, double rate, const Sample& s, std::size_t min_minutes) {
  RateCheck r;
  r.what = what;
  r.expected_per_minute = rate;
  r.minutes = static_cast<double>(s.minutes);
  r.count = s.count;
  r.min_minutes = min_minutes;
  return r;
}

// A count of events that arrive at a rate (constant, or V/W with the
// expected count the sum of V/W over the minutes, V the mean of the
// minute's start and end): its variance is its mean (Poisson; for V/W, the
// count minus its integrated rate is a martingale of that variance), so
// sd = sqrt(expected count). The mean of V at the two ends stands for its
// time average; the difference averages out (its mean is 0 for a constant
// drift) and is tiny next to the count's own noise.
RateCheck poisson_check(const std::string& what, double expected_count, const Sample& s,
                        std::size_t min_minutes) {
  const double n = static_cast<double>(s.minutes);
  RateCheck r = measured(what, s.minutes ? expected_count / n : 0, s, min_minutes);
  r.measured_per_minute = s.minutes ? s.count / n : 0;
  r.tolerance = kSigmas * std::sqrt(expected_count);
  r.ok = s.minutes >= min_minutes && std::abs(s.count - expected_count) <= r.tolerance;
  return r;
}

// A net count, joins minus leaves (or the other way round), far from the
// natural band: both kinds of event happen, so it is not Poisson. But its
// rate there is constant (the configured one), so the net count minus rate x
// minutes is a martingale: the minutes' counts are uncorrelated and the
// variance estimated from them, as if independent, is the right one.
RateCheck sampled_check(const std::string& what, double rate, const Sample& s,
                        std::size_t min_minutes) {
  RateCheck r = measured(what, rate, s, min_minutes);
  if (s.minutes < 2) {
    r.ok = min_minutes == 0 && s.minutes == 0;
    return r;
  }
  const double n = r.minutes;
  const double mean = s.count / n;
  const double variance = std::max(0.0, (s.count_sq - n * mean * mean) / (n - 1));
  r.measured_per_minute = mean;
  r.tolerance = kSigmas * std::sqrt(std::max(variance, 1e-12) * n);
  r.ok = s.minutes >= min_minutes && std::abs(s.count - rate * n) <= r.tolerance;
  return r;
}

}  // namespace

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << v;
  return out.str();
}

std::string RateCheck::describe() const {
  return what + ": measured " + fixed(measured_per_minute) + "/min, expected " +
         fixed(expected_per_minute) + "/min over " + fixed(minutes, 0) + " min (" +
         fixed(count, 0) + " events, allowed +-" + fixed(tolerance, 1) + ")" +
         (ok ? "" : "  FAIL") +
         (min_minutes == 0 && minutes == 0 ? " (no such minutes here)" : "") +
         (minutes < static_cast<double>(min_minutes)
              ? " (only " + fixed(minutes, 0) + " of " + std::to_string(min_minutes) +
                    " minutes needed)"
              : "");
}

bool RateReport::ok() const {
  return !checks.empty() &&
         std::all_of(checks.begin(), checks.end(), [](const RateCheck& c) { return c.ok; });
}

std::string RateReport::describe() const {
  std::string out;
  for (const RateCheck& c : checks) out += c.describe() + "\n";
  return out;
}

RateReport measure_rates(const EngagementConfig& c, double tick_seconds, double hours,
                         std::uint64_t seed, const StepFn& step_fn) {
  Rng rng(seed);
  const double w = c.watch_minutes;
  const std::int64_t high_real =
      static_cast<std::int64_t>(std::ceil(static_cast<double>(c.max_viewers) / c.multiplier)) + 1;
  // Each phase: the whole climb (or fall) at its rate, half as long again,
  // and time to settle (a natural audience forgets its start in a few W).
  const double climb = static_cast<double>(c.max_viewers - c.min_viewers) / c.increase_rate;
  const double fall = static_cast<double>(c.max_viewers - c.min_viewers) / c.decrease_rate;
  const int phase_minutes = static_cast<int>(std::ceil(1.5 * std::max(climb, fall) + 5 * w)) + 30;
  const int total_minutes = static_cast<int>(hours * 60);
  const int ticks_per_minute = static_cast<int>(std::lround(60.0 / tick_seconds));
  const std::int64_t low_target = target_viewers(c, 0);
  const std::int64_t high_target = target_viewers(c, high_real);

  // How far inside a region a minute must start (kRegionSigmas of its
  // movement, plus the drift towards the band where there is one).
  const auto below_margin = [&](const NaturalBand& band) {
    return c.increase_rate + kRegionSigmas * std::sqrt(c.increase_rate + 2 * band.low / w) + 1;
  };
  const auto above_margin = [&](std::int64_t target) {
    return c.decrease_rate +
           kRegionSigmas * std::sqrt(2 * static_cast<double>(target) / w + c.decrease_rate) + 1;
  };
  const auto inside_margin = [&](std::int64_t target, std::int64_t viewers) {
    return kRegionSigmas * std::sqrt(static_cast<double>(target + viewers) / w) + 1;
  };

  Sample net_below, leaves_below, net_above, joins_above, joins_inside, leaves_inside, likes;
  SimState s = first_sight(c, RealCounts{}, rng);
  for (int minute = 0; minute < total_minutes; ++minute) {
    const bool high = (minute / phase_minutes) % 2 == 1;
    const RealCounts real{high ? high_real : 0, 0, 0, 0};
    const std::int64_t target = target_viewers(c, real.viewers);
    const NaturalBand band = natural_band(c, target);
    const SimState start = s;
    for (int k = 0; k < ticks_per_minute; ++k) s = step_fn(c, s, real, tick_seconds, rng);
    const double joined = static_cast<double>(s.joins - start.joins);
    const double left = joined - static_cast<double>(s.viewers - start.viewers);
    const double mean_viewers = static_cast<double>(start.viewers + s.viewers) / 2;
    const double v = static_cast<double>(start.viewers);
    likes.add(static_cast<double>(s.likes - start.likes));
    if (v + below_margin(band) <= band.low) {
      net_below.add(joined - left);
      leaves_below.add(left, mean_viewers / w);
    } else if (v >= band.high + above_margin(target)) {
      net_above.add(left - joined);
      joins_above.add(joined, static_cast<double>(target) / w);
    } else if (v >= band.low + inside_margin(target, start.viewers) &&
               v <= band.high - inside_margin(target, start.viewers)) {
      joins_inside.add(joined, static_cast<double>(target) / w);
      leaves_inside.add(left, mean_viewers / w);
    }
  }

  // The minutes each measurement needs at least: a quarter of what a right
  // step gives (the climb below the band and the fall above it in every
  // phase, a few minutes of every plateau); a region the configuration
  // gives next to no minutes is reported as such, not measured.
  const auto phases = static_cast<double>(total_minutes / phase_minutes);
  const auto needed = [&](double minutes_per_phase) -> std::size_t {
    const double all = phases / 2 * std::max(0.0, minutes_per_phase);
    return all < kFewestMinutes ? 0 : static_cast<std::size_t>(all / 4);
  };
  const NaturalBand high_band = natural_band(c, high_target);
  const NaturalBand low_band = natural_band(c, low_target);
  const std::size_t below_minutes =
      needed((high_band.low - below_margin(high_band) - static_cast<double>(low_target)) /
             c.increase_rate);
  const std::size_t above_minutes =
      needed((static_cast<double>(high_target) - low_band.high - above_margin(low_target)) /
             c.decrease_rate);
  RateReport report;
  report.checks.push_back(sampled_check("net joins/min below the natural band", c.increase_rate,
                                        net_below, below_minutes));
  report.checks.push_back(poisson_check("leaves/min below the natural band (V/W)",
                                        leaves_below.expected, leaves_below, below_minutes));
  report.checks.push_back(sampled_check("net leaves/min above the natural band", c.decrease_rate,
                                        net_above, above_minutes));
  report.checks.push_back(poisson_check("joins/min above the natural band (T/W)",
                                        joins_above.expected, joins_above, above_minutes));
  const auto inside_minutes = static_cast<std::size_t>(phases * 10 / 4);
  report.checks.push_back(poisson_check("joins/min in the natural band (T/W)",
                                        joins_inside.expected, joins_inside, inside_minutes));
  report.checks.push_back(poisson_check("leaves/min in the natural band (V/W)",
                                        leaves_inside.expected, leaves_inside, inside_minutes));
  report.checks.push_back(poisson_check("likes/min", like_rate_per_minute(c) * likes.minutes, likes,
                                        static_cast<std::size_t>(total_minutes)));
  return report;
}

}  // namespace engagementd::test
