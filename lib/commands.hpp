#pragma once

#include <string>
#include <vector>

namespace engagementd {

// The operator's commands beyond run/migrate/check-config. Each takes the
// arguments after its name and returns the process exit code: 0 done,
// 1 failed (database, validation), 2 bad command line.

// engagementd preview [--preset NAME | --min N ...] [--real-viewers SPEC] ...
int cmd_preview(const std::vector<std::string>& args);

}  // namespace engagementd
