#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engagementd {

// The mean time a simulated viewer watches, in minutes, unless the global
// setting sim_watch_minutes or the YAML simulation.watch_time says otherwise
// (README, "A natural audience", says why 6).
inline constexpr double kDefaultWatchMinutes = 6;
inline constexpr double kMinWatchMinutes = 0.5;
inline constexpr double kMaxWatchMinutes = 600;

// The engagement settings of one stream, in per-minute terms.
struct EngagementConfig {
  bool viewers_enabled = true;
  bool likes_enabled = true;
  std::int64_t min_viewers = 15;
  std::int64_t max_viewers = 100;
  double increase_rate = 5;  // simulated joins per minute while below target
  double decrease_rate = 3;  // simulated leaves per minute while above target
  double like_rate = 3;      // likes per minute, scaled by min(1, 0.1 x multiplier)
  double multiplier = 2.0;   // target = real viewers x multiplier, within [min, max]
  // Mean watch time of a simulated viewer (exponential): global only, there
  // is no per-stream column for it.
  double watch_minutes = kDefaultWatchMinutes;

  bool operator==(const EngagementConfig& o) const;
  bool operator!=(const EngagementConfig& o) const { return !(*this == o); }
};

// Limits of a valid configuration. The upper bounds keep one bad row from
// asking for absurd numbers; they are far above any real stream's needs.
inline constexpr double kMinMultiplier = 0.5;
inline constexpr double kMaxMultiplier = 10.0;
inline constexpr std::int64_t kMaxViewersLimit = 1'000'000;
inline constexpr double kMaxRatePerMinute = 1'000'000;

// The columns of stream_engagement_config (and keys of global_stream_settings)
// in the order the store reads them.
inline constexpr std::array<std::string_view, 8> kConfigKeys = {
    "fake_viewers_enabled", "fake_likes_enabled",   "min_fake_viewers", "max_fake_viewers",
    "viewer_increase_rate", "viewer_decrease_rate", "like_rate",        "engagement_multiplier"};

// One row of stream_engagement_config as stored: any field may be NULL.
using RawConfig = std::array<std::optional<double>, kConfigKeys.size()>;

// Empty when valid; otherwise what is wrong, e.g. "max_fake_viewers 5 < min_fake_viewers 10".
// The watch time is checked too (kMinWatchMinutes..kMaxWatchMinutes).
std::string validate(const EngagementConfig& c);

// A row turned into a config; NULL, non-finite, fractional counts or
// out-of-range values make it invalid (error says which column).
std::optional<EngagementConfig> config_from_raw(const RawConfig& raw, std::string& error);

RawConfig to_raw(const EngagementConfig& c);

// The effective defaults from global_stream_settings rows (key -> value
// text). Missing keys take the built-in default; unreadable values also do,
// and are reported in problems. If the result as a whole is invalid (e.g.
// min > max) the built-in defaults apply and that is reported too.
// defaults.watch_minutes is the "sim_watch_minutes" row, else watch_minutes
// (the YAML simulation.watch_time); it applies to every stream.
struct GlobalSettings {
  EngagementConfig defaults;
  bool simulation_enabled = true;  // the "simulation_enabled" row: the kill switch
};
GlobalSettings resolve_global_settings(
    const std::map<std::string, std::optional<std::string>>& rows,
    std::vector<std::string>& problems, double watch_minutes = kDefaultWatchMinutes);

inline constexpr std::string_view kKillSwitchKey = "simulation_enabled";
inline constexpr std::string_view kWatchMinutesKey = "sim_watch_minutes";

// "sim_watch_minutes 0.1 is outside 0.5..600" for a bad value, else empty.
std::string validate_watch_minutes(double minutes);

}  // namespace engagementd
