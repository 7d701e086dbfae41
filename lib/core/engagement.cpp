#include "core/engagement.hpp"

#include <cmath>
#include <sstream>

#include "core/setting_text.hpp"

namespace engagementd {
namespace {

enum Field {
  kViewersEnabled,
  kLikesEnabled,
  kMin,
  kMax,
  kIncrease,
  kDecrease,
  kLikeRate,
  kMultiplier
};

std::string number_text(double v) {
  // Whole numbers in full (4000000000, not 4e+09): they are read as counts.
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  std::ostringstream out;
  out << v;
  return out.str();
}

bool is_count(double v) {
  return std::isfinite(v) && v >= 0 && v == std::floor(v);
}

// Reads one field into the config; false (with error) when it cannot be used.
bool set_field(EngagementConfig& c, int field, double v, std::string& error) {
  const std::string name(kConfigKeys[static_cast<std::size_t>(field)]);
  if (!std::isfinite(v)) {
    error = name + " is not a number";
    return false;
  }
  switch (field) {
    case kViewersEnabled:
    case kLikesEnabled:
      if (v != 0 && v != 1) {
        error = name + " " + number_text(v) + " is not 0 or 1";
        return false;
      }
      (field == kViewersEnabled ? c.viewers_enabled : c.likes_enabled) = (v == 1);
      return true;
    case kMin:
    case kMax:
      if (!is_count(v) || v > static_cast<double>(kMaxViewersLimit)) {
        error = name + " " + number_text(v) + " is not a whole number in 0.." +
                std::to_string(kMaxViewersLimit);
        return false;
      }
      (field == kMin ? c.min_viewers : c.max_viewers) = static_cast<std::int64_t>(v);
      return true;
    case kIncrease:
    case kDecrease:
    case kLikeRate:
      if (v < 0 || v > kMaxRatePerMinute) {
        error = name + " " + number_text(v) + " is outside 0.." + number_text(kMaxRatePerMinute);
        return false;
      }
      (field == kIncrease   ? c.increase_rate
       : field == kDecrease ? c.decrease_rate
                            : c.like_rate) = v;
      return true;
    case kMultiplier:
      c.multiplier = v;
      return true;
    default:
      return false;
  }
}

}  // namespace

bool EngagementConfig::operator==(const EngagementConfig& o) const {
  return viewers_enabled == o.viewers_enabled && likes_enabled == o.likes_enabled &&
         min_viewers == o.min_viewers && max_viewers == o.max_viewers &&
         increase_rate == o.increase_rate && decrease_rate == o.decrease_rate &&
         like_rate == o.like_rate && multiplier == o.multiplier && watch_minutes == o.watch_minutes;
}

std::string validate_watch_minutes(double minutes) {
  if (std::isfinite(minutes) && minutes >= kMinWatchMinutes && minutes <= kMaxWatchMinutes) {
    return {};
  }
  return std::string(kWatchMinutesKey) + " " + number_text(minutes) + " is outside " +
         number_text(kMinWatchMinutes) + ".." + number_text(kMaxWatchMinutes);
}

std::string validate(const EngagementConfig& c) {
  if (c.min_viewers < 0) return "min_fake_viewers " + std::to_string(c.min_viewers) + " < 0";
  if (c.max_viewers > kMaxViewersLimit) {
    return "max_fake_viewers " + std::to_string(c.max_viewers) + " > " +
           std::to_string(kMaxViewersLimit);
  }
  if (c.max_viewers < c.min_viewers) {
    return "max_fake_viewers " + std::to_string(c.max_viewers) + " < min_fake_viewers " +
           std::to_string(c.min_viewers);
  }
  const double rates[] = {c.increase_rate, c.decrease_rate, c.like_rate};
  const int fields[] = {kIncrease, kDecrease, kLikeRate};
  for (int i = 0; i < 3; ++i) {
    if (!std::isfinite(rates[i]) || rates[i] < 0 || rates[i] > kMaxRatePerMinute) {
      return std::string(kConfigKeys[static_cast<std::size_t>(fields[i])]) + " " +
             number_text(rates[i]) + " is outside 0.." + number_text(kMaxRatePerMinute);
    }
  }
  if (!std::isfinite(c.multiplier) || c.multiplier < kMinMultiplier ||
      c.multiplier > kMaxMultiplier) {
    return "engagement_multiplier " + number_text(c.multiplier) + " is outside " +
           number_text(kMinMultiplier) + ".." + number_text(kMaxMultiplier);
  }
  return validate_watch_minutes(c.watch_minutes);
}

std::optional<EngagementConfig> config_from_raw(const RawConfig& raw, std::string& error) {
  EngagementConfig c;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!raw[i]) {
      error = std::string(kConfigKeys[i]) + " is NULL";
      return std::nullopt;
    }
    if (!set_field(c, static_cast<int>(i), *raw[i], error)) return std::nullopt;
  }
  error = validate(c);
  if (!error.empty()) return std::nullopt;
  return c;
}

RawConfig to_raw(const EngagementConfig& c) {
  return {c.viewers_enabled ? 1.0 : 0.0,
          c.likes_enabled ? 1.0 : 0.0,
          static_cast<double>(c.min_viewers),
          static_cast<double>(c.max_viewers),
          c.increase_rate,
          c.decrease_rate,
          c.like_rate,
          c.multiplier};
}

GlobalSettings resolve_global_settings(
    const std::map<std::string, std::optional<std::string>>& rows,
    std::vector<std::string>& problems, double watch_minutes) {
  GlobalSettings g;
  // The file's default first: a bad row falls back to it, not to the built-in one.
  if (validate_watch_minutes(watch_minutes).empty()) g.defaults.watch_minutes = watch_minutes;
  const double file_watch_minutes = g.defaults.watch_minutes;
  if (const auto it = rows.find(std::string(kWatchMinutesKey)); it != rows.end() && it->second) {
    const auto value = parse_setting_text(*it->second, SettingKind::number);
    std::string error = value ? validate_watch_minutes(*value)
                              : std::string(kWatchMinutesKey) + " " +
                                    setting_text_excerpt(*it->second) + " is not a number";
    if (error.empty()) {
      g.defaults.watch_minutes = *value;
    } else {
      problems.push_back("global setting " + error + "; using " + number_text(file_watch_minutes) +
                         " minutes");
    }
  }
  for (std::size_t i = 0; i < kConfigKeys.size(); ++i) {
    const auto it = rows.find(std::string(kConfigKeys[i]));
    if (it == rows.end() || !it->second) continue;
    const auto value = parse_setting_text(*it->second, setting_kind(kConfigKeys[i]));
    std::string error;
    if (!value) {
      error = std::string(kConfigKeys[i]) + " " + setting_text_excerpt(*it->second) +
              " is not a number";
    } else {
      set_field(g.defaults, static_cast<int>(i), *value, error);
    }
    if (!error.empty()) {
      problems.push_back("global setting " + error + "; using the built-in default");
    }
  }
  if (const std::string error = validate(g.defaults); !error.empty()) {
    problems.push_back("global settings are inconsistent (" + error +
                       "); using the built-in defaults");
    const double watch = g.defaults.watch_minutes;  // valid on its own: checked above
    g.defaults = EngagementConfig{};
    g.defaults.watch_minutes = watch;
  }
  if (const auto it = rows.find(std::string(kKillSwitchKey)); it != rows.end() && it->second) {
    const auto value = parse_setting_text(*it->second, SettingKind::flag);
    if (value && (*value == 0 || *value == 1)) {
      g.simulation_enabled = (*value == 1);
    } else {
      problems.push_back("global setting simulation_enabled " + setting_text_excerpt(*it->second) +
                         " is not 0 or 1; simulation stays off until it is fixed");
      g.simulation_enabled = false;
    }
  }
  return g;
}

}  // namespace engagementd
