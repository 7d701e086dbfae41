#include "core/settings.hpp"

#include <chrono>

#include "core/duration.hpp"
#include "core/engagement.hpp"

namespace engagementd {

// The limits the code states elsewhere are the table's.
static_assert(setting("simulation.watch_time").default_value ==
              static_cast<std::int64_t>(kDefaultWatchMinutes * 60'000));
static_assert(setting("simulation.watch_time").min ==
              static_cast<std::int64_t>(kMinWatchMinutes * 60'000));
static_assert(setting("simulation.watch_time").max ==
              static_cast<std::int64_t>(kMaxWatchMinutes * 60'000));

std::string setting_range(const SettingSpec& s) {
  if (s.min > s.max) return {};
  if (s.type == SettingType::duration) {
    return format_duration(std::chrono::milliseconds(s.min)) + ".." +
           format_duration(std::chrono::milliseconds(s.max));
  }
  return std::to_string(s.min) + ".." + std::to_string(s.max);
}

std::string settings_markdown() {
  std::string out =
      "| key | default | range | meaning |\n"
      "|---|---|---|---|\n";
  for (const SettingSpec& s : kSettings) {
    const std::string range = setting_range(s);
    std::string shown(s.default_text);
    // A value as written in the YAML is code; a word for what happens unset is not.
    const bool literal = !shown.empty() && shown != "random" && shown != "by host" &&
                         shown.rfind("max(", 0) != 0;
    if (literal) shown = "`" + shown + "`";
    out += "| `" + std::string(s.path) + "` | " + shown + " | " +
           (range.empty() ? std::string() : "`" + range + "`") + " | " + std::string(s.meaning) +
           " |\n";
  }
  return out;
}

}  // namespace engagementd
