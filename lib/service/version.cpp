#include "service/version.hpp"

#ifndef ENGAGEMENTD_VERSION
#define ENGAGEMENTD_VERSION "unknown"
#endif

namespace engagementd {

const char* version() {
  return ENGAGEMENTD_VERSION;
}

}  // namespace engagementd
