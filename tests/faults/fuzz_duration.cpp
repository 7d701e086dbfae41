// libFuzzer target: the duration parser accepts or rejects (std::invalid_argument)
// any input; what it accepts formats back to a value it parses the same.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::chrono::milliseconds d{0};
  try {
    d = engagementd::parse_duration(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  if (d.count() < 0) __builtin_trap();
  if (engagementd::parse_duration(engagementd::format_duration(d)) != d) __builtin_trap();
  return 0;
}
