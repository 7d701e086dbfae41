// libFuzzer target: the YAML config loader must turn any input into a Config
// or a ConfigError, never crash, hang or throw anything else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "service/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    engagementd::parse_config(text, "fuzz.yaml");
  } catch (const engagementd::ConfigError& e) {
    if (e.problems().empty()) __builtin_trap();  // an error must say what is wrong
  }
  return 0;
}
