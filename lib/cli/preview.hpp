#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/engagement.hpp"
#include "core/simulation.hpp"

namespace engagementd {

// Real viewers over the preview: `viewers` from minute `from` on.
struct RealViewersAt {
  int from = 0;
  std::int64_t viewers = 0;
};

struct PreviewOptions {
  EngagementConfig config;
  std::vector<RealViewersAt> real = {{0, 0}};  // sorted by `from`, the first from 0
  int minutes = 60;
  std::chrono::milliseconds tick{5'000};
  std::uint64_t seed = 1;
};

// What the site would show at the end of one minute.
struct PreviewMinute {
  int minute = 0;
  std::int64_t real_viewers = 0;
  std::int64_t target = 0;
  std::int64_t sim_viewers = 0;
  std::int64_t display_viewers = 0;
  std::int64_t sim_likes = 0;  // cumulative
  std::int64_t sim_joins = 0;  // cumulative
};

struct PreviewResult {
  PreviewOptions options;
  PreviewMinute start;              // minute 0: first sight
  std::vector<PreviewMinute> rows;  // minutes 1..minutes
};

// Parses "N" or "N,N@MIN,N@MIN..." (e.g. "0,20@15,5@40": no real viewers,
// 20 from minute 15, 5 from minute 40). Throws std::invalid_argument.
std::vector<RealViewersAt> parse_real_viewers(const std::string& text);

// Simulates a stream with the daemon's own step, tick by tick, and records
// the numbers shown at each minute boundary (the last tick at or before it).
// No database; the same options and seed give the same result.
PreviewResult run_preview(const PreviewOptions& options);

// The simulated audience at the plateau the preview ends on: the last run
// of minutes with one target, from W x 2 minutes after the audience first
// came within sqrt(T) of it (when its start is forgotten: the correlation
// has fallen to exp(-2)). Compared in the summary with a natural audience's
// mean T, sd sqrt(T), lag-1-minute autocorrelation exp(-1/W), T/W joins.
struct PlateauStats {
  int from_minute = 0;
  int to_minute = 0;
  std::int64_t target = 0;
  std::size_t samples = 0;  // minutes
  double mean = 0;
  double sd = 0;
  double lag1 = 0;  // autocorrelation of the simulated viewers one minute apart
  double joins_per_minute = 0;
  double leaves_per_minute = 0;
};
// Empty when the plateau is shorter than kMinPlateauMinutes.
inline constexpr std::size_t kMinPlateauMinutes = 20;
std::optional<PlateauStats> plateau_stats(const PreviewResult& r);

// minute,real_viewers,target,sim_viewers,display_viewers,sim_likes
void write_preview_csv(const PreviewResult& r, std::ostream& out);

// A self-contained SVG chart: display, simulated and real viewers, the
// target with the expected spread of a natural audience around it
// (T +- 2 sqrt(T)), cumulative simulated likes on a second axis.
void write_preview_svg(const PreviewResult& r, std::ostream& out);

// A few lines for a person: the settings in per-minute terms and the outcome.
void write_preview_summary(const PreviewResult& r, std::ostream& out);

}  // namespace engagementd
