#include "core/duration.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>

namespace engagementd {

std::chrono::milliseconds parse_duration(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (value > 1'000'000'000'000ULL) {
      throw std::invalid_argument("duration '" + std::string(text) + "' is too large");
    }
    ++i;
  }
  if (i == 0) {
    throw std::invalid_argument("duration '" + std::string(text) +
                                "' must start with a whole number, e.g. 5s or 250ms");
  }
  const std::string_view unit = text.substr(i);
  std::uint64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit.empty()) {
    throw std::invalid_argument("duration '" + std::string(text) + "' needs a unit: ms, s, m or h");
  } else {
    throw std::invalid_argument("duration '" + std::string(text) + "' has unknown unit '" +
                                std::string(unit) + "' (use ms, s, m or h)");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(value * factor));
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace engagementd
