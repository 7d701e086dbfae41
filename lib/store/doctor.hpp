#pragma once

#include <string>
#include <vector>

#include "store/store.hpp"

namespace engagementd {

// What engagementd finds in the site's database and what it will do about
// it: `engagementd doctor` prints it, `run` logs it once at start.
struct Finding {
  enum class Level {
    ok,       // as expected
    warning,  // engagementd works, something is off (the old generator, a replay list it
              // cannot write)
    problem,  // engagementd cannot work until it is fixed
    // A check this account cannot run: the text names it and the privilege
    // that would allow it. A problem may hide there, so it is never "fine".
    skipped,
  };
  Level level = Level::ok;
  std::string text;
};

// Reads only. The store may be at any schema version.
std::vector<Finding> inspect_site(Store& store, std::chrono::milliseconds real_viewer_ttl);

const char* level_name(Finding::Level level);

}  // namespace engagementd
