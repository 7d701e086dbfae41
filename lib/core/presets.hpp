#pragma once

#include <array>
#include <string_view>

#include "core/engagement.hpp"

namespace engagementd {

// The guide's three example configurations, by name.
struct Preset {
  std::string_view name;
  std::string_view summary;
  EngagementConfig config;
};

inline constexpr std::array<Preset, 3> kPresets = {{
    {"conservative", "subtle enhancement", EngagementConfig{true, true, 5, 30, 2, 1, 1, 1.5}},
    {"moderate", "the recommended default", EngagementConfig{true, true, 15, 100, 5, 3, 3, 2.0}},
    {"aggressive", "high energy", EngagementConfig{true, true, 50, 500, 10, 5, 8, 3.0}},
}};

// nullptr when there is no preset of that name.
const Preset* find_preset(std::string_view name);

// "conservative, moderate, aggressive", for messages.
std::string_view preset_names();

}  // namespace engagementd
