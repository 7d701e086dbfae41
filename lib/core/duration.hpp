#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace engagementd {

// Parses a non-negative whole number followed by a unit: "250ms", "5s", "2m",
// "1h". Throws std::invalid_argument naming what is wrong.
std::chrono::milliseconds parse_duration(std::string_view text);

// The shortest exact form: 5000 ms -> "5s", 1500 ms -> "1500ms".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace engagementd
