#include "rate_check.hpp"

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

// A minute's start counts as "wholly below T" when fewer than the room left
// can join in a minute except with this probability, i.e. the cap at T is
// practically never touched during it.
constexpr double kCapProbability = 1e-9;

// Plateau minutes are counted only after this many minutes at the plateau,
// so that the chain has forgotten how it arrived there (its relaxation time
// is under a minute for every preset).
constexpr int kSettledMinutes = 5;

std::string fixed(double v, int digits = 3) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << v;
  return out.str();
}

struct Sample {
  double count = 0;
  double count_sq = 0;
  std::size_t minutes = 0;
  void add(double x) {
    count += x;
    count_sq += x * x;
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

// A Poisson count: variance = mean, so sd = sqrt(expected count).
RateCheck poisson_check(const std::string& what, double rate, const Sample& s,
                        std::size_t min_minutes) {
  RateCheck r = measured(what, rate, s, min_minutes);
  r.measured_per_minute = s.minutes ? s.count / r.minutes : 0;
  r.tolerance = kSigmas * std::sqrt(rate * r.minutes);
  r.ok = s.minutes >= min_minutes && std::abs(s.count - rate * r.minutes) <= r.tolerance;
  return r;
}

// A count that is not Poisson (the plateau alternates joins and leaves): its
// variance is estimated from the per-minute counts themselves. Successive
// plateau minutes are negatively correlated (a minute that ends above T
// starts the next one with a leave), so treating them as independent
// overstates the sd: the check errs towards passing a right rate, while a
// wrong one is still many sd away.
RateCheck sampled_check(const std::string& what, double rate, const Sample& s,
                        std::size_t min_minutes) {
  RateCheck r = measured(what, rate, s, min_minutes);
  if (s.minutes < 2) return r;
  const double n = r.minutes;
  const double mean = s.count / n;
  const double variance = std::max(0.0, (s.count_sq - n * mean * mean) / (n - 1));
  r.measured_per_minute = mean;
  r.tolerance = kSigmas * std::sqrt(std::max(variance, 1e-12) * n);
  r.ok = s.minutes >= min_minutes && std::abs(s.count - rate * n) <= r.tolerance;
  return r;
}

}  // namespace

std::string RateCheck::describe() const {
  return what + ": measured " + fixed(measured_per_minute) + "/min, expected " +
         fixed(expected_per_minute) + "/min over " + fixed(minutes, 0) + " min (" +
         fixed(count, 0) + " events, allowed +-" + fixed(tolerance, 1) + ")" +
         (ok ? "" : "  FAIL") +
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

std::int64_t poisson_quantile(double mean, double p) {
  // P(X >= n) = 1 - sum_{k<n} e^-mean mean^k / k!
  double term = std::exp(-mean);
  double cdf = 0;
  std::int64_t n = 0;
  while (1.0 - cdf >= p && n < 1'000'000) {
    cdf += term;
    ++n;
    term *= mean / static_cast<double>(n);
  }
  return n;
}

double plateau_rate_per_minute(const EngagementConfig& c) {
  const double j = c.increase_rate / 2, l = c.decrease_rate / 2;
  const double p_target = 1.0 / (1.0 + j / c.decrease_rate + l / c.increase_rate);
  return p_target * (j + l);
}

RateReport measure_rates(const EngagementConfig& c, double tick_seconds, double hours,
                         std::uint64_t seed, const StepFn& step_fn) {
  Rng rng(seed);
  const std::int64_t high_real =
      static_cast<std::int64_t>(std::ceil(static_cast<double>(c.max_viewers) / c.multiplier)) + 1;
  // Each phase: the whole climb (or fall) at its rate, half as long again,
  // and time at the plateau.
  const double climb = static_cast<double>(c.max_viewers - c.min_viewers) / c.increase_rate;
  const double fall = static_cast<double>(c.max_viewers - c.min_viewers) / c.decrease_rate;
  const int phase_minutes = static_cast<int>(std::ceil(1.5 * std::max(climb, fall))) + 30;
  const int total_minutes = static_cast<int>(hours * 60);
  const int ticks_per_minute = static_cast<int>(std::lround(60.0 / tick_seconds));

  const std::int64_t up_margin = poisson_quantile(c.increase_rate, kCapProbability);
  const std::int64_t down_margin = poisson_quantile(c.decrease_rate, kCapProbability);

  Sample joins_below, leaves_above, likes, plateau_joins, plateau_leaves, wrong_way;
  SimState s = first_sight(c, RealCounts{}, rng);
  int settled = 0;
  for (int minute = 0; minute < total_minutes; ++minute) {
    const bool high = (minute / phase_minutes) % 2 == 1;
    const RealCounts real{high ? high_real : 0, 0, 0, 0};
    const std::int64_t target = target_viewers(c, real.viewers);
    const SimState start = s;
    for (int k = 0; k < ticks_per_minute; ++k) s = step_fn(c, s, real, tick_seconds, rng);
    const double joined = static_cast<double>(s.joins - start.joins);
    const double left = joined - static_cast<double>(s.viewers - start.viewers);
    likes.add(static_cast<double>(s.likes - start.likes));
    if (start.viewers + up_margin <= target) {
      joins_below.add(joined);
      wrong_way.add(left);  // nothing leaves on the way up
    } else if (start.viewers >= target + down_margin) {
      leaves_above.add(left);
      wrong_way.add(joined);  // nothing joins on the way down
    }
    if (std::abs(start.viewers - target) <= 1) {
      if (settled >= kSettledMinutes) {
        plateau_joins.add(joined);
        plateau_leaves.add(left);
      }
      ++settled;
    } else {
      settled = 0;
    }
  }

  // The minutes each measurement needs at least: a quarter of what a right
  // step gives (the climb and fall minutes of every phase, the plateau time).
  const auto phases = static_cast<std::size_t>(total_minutes / phase_minutes);
  const auto climb_minutes = static_cast<std::size_t>(
      std::max(0.0, climb - static_cast<double>(up_margin) / c.increase_rate));
  const auto fall_minutes = static_cast<std::size_t>(
      std::max(0.0, fall - static_cast<double>(down_margin) / c.decrease_rate));
  RateReport report;
  report.checks.push_back(poisson_check("joins/min below T", c.increase_rate, joins_below,
                                        phases / 2 * climb_minutes / 4));
  report.checks.push_back(poisson_check("leaves/min above T", c.decrease_rate, leaves_above,
                                        phases / 2 * fall_minutes / 4));
  report.checks.push_back(poisson_check("likes/min", like_rate_per_minute(c), likes,
                                        static_cast<std::size_t>(total_minutes)));
  RateCheck wrong;
  wrong.what = "leaves on the way up + joins on the way down";
  wrong.minutes = static_cast<double>(wrong_way.minutes);
  wrong.count = wrong_way.count;
  wrong.measured_per_minute = wrong.minutes > 0 ? wrong.count / wrong.minutes : 0;
  wrong.ok = wrong_way.count == 0;
  report.checks.push_back(wrong);
  const double plateau = plateau_rate_per_minute(c);
  report.checks.push_back(
      sampled_check("joins/min at the plateau", plateau, plateau_joins, phases * 10 / 4));
  report.checks.push_back(
      sampled_check("leaves/min at the plateau", plateau, plateau_leaves, phases * 10 / 4));
  return report;
}

}  // namespace engagementd::test
