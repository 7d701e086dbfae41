#pragma once

#include <string>
#include <vector>

namespace engagementd {

// The operator's commands beyond run/migrate/check-config. Each takes the
// arguments after its name and returns the process exit code: 0 done,
// 1 failed (database, validation), 2 bad command line.

// engagementd preview [--preset NAME | --min N ...] [--real-viewers SPEC] ...
int cmd_preview(const std::vector<std::string>& args);

// engagementd config show|set|apply-preset ... [-c FILE]
int cmd_config(const std::vector<std::string>& args);

// engagementd report [--stream ID] [--since DATE] [--csv] [-c FILE]
int cmd_report(const std::vector<std::string>& args);

// engagementd recount [--stream ID] [--check] [-c FILE]
int cmd_recount(const std::vector<std::string>& args);

// engagementd doctor [-c FILE]: what engagementd finds in the database
// (read-only); exit 1 when something stops it from working.
int cmd_doctor(const std::vector<std::string>& args);

// engagementd uninstall [--yes] [-c FILE]: removes every object engagementd
// created in the database (asks before dropping data unless --yes).
int cmd_uninstall(const std::vector<std::string>& args);

inline constexpr const char* kDefaultConfigPath = "/etc/engagementd/engagementd.yaml";

}  // namespace engagementd
