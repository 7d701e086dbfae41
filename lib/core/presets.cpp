#include "core/presets.hpp"

namespace engagementd {

const Preset* find_preset(std::string_view name) {
  for (const Preset& p : kPresets) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string_view preset_names() {
  return "conservative, moderate, aggressive";
}

}  // namespace engagementd
