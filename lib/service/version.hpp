#pragma once

namespace engagementd {

// This build's version (the CMake project's), "unknown" when built otherwise.
const char* version();

}  // namespace engagementd
