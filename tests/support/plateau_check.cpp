#include "support/plateau_check.hpp"

#include <algorithm>
#include <cmath>

#include "support/rate_check.hpp"

namespace engagementd::test {
namespace {

// Every statistical check allows this many standard deviations (as the
// rate checks do): a right step fails one with probability 6e-7, and with
// fixed seeds the outcome is the same on every run anyway.
constexpr double kSigmas = 5.0;

// The requirement on the mean, on top of its 5 sd.
constexpr double kMeanShare = 0.02;

StatCheck judged(const std::string& what, double expected, double measured, double tolerance) {
  return StatCheck{what, expected, measured, tolerance, std::abs(measured - expected) <= tolerance};
}

}  // namespace

std::string StatCheck::describe() const {
  return what + ": measured " + fixed(measured) + ", expected " + fixed(expected) + " (allowed +-" +
         fixed(tolerance) + ")" + (ok ? "" : "  FAIL");
}

bool PlateauReport::ok() const {
  return !checks.empty() &&
         std::all_of(checks.begin(), checks.end(), [](const StatCheck& c) { return c.ok; });
}

bool PlateauReport::passed(const std::string& what) const {
  bool any = false;
  for (const StatCheck& c : checks) {
    if (c.what.rfind(what, 0) != 0) continue;
    any = true;
    if (!c.ok) return false;
  }
  return any;
}

std::string PlateauReport::describe() const {
  std::string out;
  for (const StatCheck& c : checks) out += c.describe() + "\n";
  return out;
}

PlateauReport check_plateau(const PlateauSeries& s, double target, double watch_minutes) {
  PlateauReport r;
  const std::vector<double>& v = s.viewers;
  if (v.size() < 3) return r;
  const double n = static_cast<double>(v.size());
  const double minutes = static_cast<double>(s.minutes());
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = sum / n;
  double sq = 0, lagged = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    sq += (v[i] - mean) * (v[i] - mean);
    if (i + 1 < v.size()) lagged += (v[i] - mean) * (v[i + 1] - mean);
  }
  const double variance = sq / (n - 1);
  r.mean = mean;
  r.sd = std::sqrt(variance);
  r.lag1 = sq > 0 ? lagged / sq : 0;
  r.joins_per_minute = s.joins / minutes;
  r.leaves_per_minute = s.leaves / minutes;

  // The model: V ~ Poisson(T) at any time, and one minute apart the
  // correlation is rho = exp(-1/W) (a viewer still watches a minute later
  // with that probability; newcomers are independent of the past).
  const double t = target;
  const double rho = std::exp(-1.0 / watch_minutes);

  // Mean: successive minutes are correlated, so n samples weigh as
  // n_eff = n (1 - rho) / (1 + rho) independent ones (an AR(1) process's
  // variance of the mean); sd = sqrt(T / n_eff).
  const double n_eff = n * (1 - rho) / (1 + rho);
  r.checks.push_back(judged("mean (within 2 % of T)", t, mean, kMeanShare * t));
  r.checks.push_back(judged("mean (5 sd, n_eff = " + fixed(n_eff, 0) + ")", t, mean,
                            kSigmas * std::sqrt(t / n_eff)));

  // Variance, expected T (Poisson): the sample variance of an AR(1) series
  // has variance 2 sigma^4 / n x (1 + rho^2) / (1 - rho^2) (Bartlett), plus
  // the Poisson's own fourth cumulant T, summed over the correlated pairs:
  // T / n x (1 + rho) / (1 - rho). For T = 20, W = 6 the second term is 5 %
  // of the first.
  const double var_of_variance =
      (2 * t * t * (1 + rho * rho) / (1 - rho * rho) + t * (1 + rho) / (1 - rho)) / n;
  r.checks.push_back(
      judged("variance (Poisson: T)", t, variance, kSigmas * std::sqrt(var_of_variance)));

  // Lag-1-minute autocorrelation, expected exp(-1/W): the sample
  // autocorrelation of an AR(1) series has sd sqrt((1 - rho^2) / n)
  // (Bartlett); its bias, about -(1 + 4 rho) / n, is far below that.
  r.checks.push_back(judged("lag-1-minute autocorrelation (exp(-1/W))", rho, r.lag1,
                            kSigmas * std::sqrt((1 - rho * rho) / n)));

  // Joins: arrivals at T/W a minute, a Poisson process whatever V does, so
  // the count over the run has sd sqrt(T/W x minutes).
  const double per_minute = t / watch_minutes;
  r.checks.push_back(judged("joins/min (T/W)", per_minute, r.joins_per_minute,
                            kSigmas * std::sqrt(per_minute * minutes) / minutes));
  // Leaves = joins - (V at the end - V at the start): the joins' variance
  // plus that of the change of V over the run, 2T (the two ends are
  // uncorrelated after hours).
  r.checks.push_back(judged("leaves/min (T/W)", per_minute, r.leaves_per_minute,
                            kSigmas * std::sqrt(per_minute * minutes + 2 * t) / minutes));
  return r;
}

PlateauSeries sample_plateau(const EngagementConfig& c, std::int64_t real_viewers,
                             double tick_seconds, double hours, std::uint64_t seed,
                             const StepFn& step_fn) {
  Rng rng(seed);
  const RealCounts real{real_viewers, 0, 0, 0};
  const std::int64_t target = target_viewers(c, real_viewers);
  const int ticks_per_minute = static_cast<int>(std::lround(60.0 / tick_seconds));
  SimState s{target, target, 0, target};
  const int burn_in = static_cast<int>(std::ceil(8 * c.watch_minutes));
  for (int k = 0; k < burn_in * ticks_per_minute; ++k) s = step_fn(c, s, real, tick_seconds, rng);
  PlateauSeries out;
  const auto minutes = static_cast<std::size_t>(hours * 60);
  out.viewers.reserve(minutes + 1);
  out.viewers.push_back(static_cast<double>(s.viewers));
  const SimState first = s;
  for (std::size_t m = 0; m < minutes; ++m) {
    for (int k = 0; k < ticks_per_minute; ++k) s = step_fn(c, s, real, tick_seconds, rng);
    out.viewers.push_back(static_cast<double>(s.viewers));
  }
  out.joins = static_cast<double>(s.joins - first.joins);
  out.leaves = out.joins - static_cast<double>(s.viewers - first.viewers);
  return out;
}

double plateau_hours(double target, double watch_minutes, double sigmas) {
  // kMeanShare T >= sigmas sqrt(T / n_eff)  <=>  n_eff >= (sigmas / share)^2 / T.
  const double rho = std::exp(-1.0 / watch_minutes);
  const double n_eff = std::pow(sigmas / kMeanShare, 2) / target;
  const double minutes = n_eff * (1 + rho) / (1 - rho);
  return std::max(100.0, std::ceil(minutes / 60));
}

}  // namespace engagementd::test
