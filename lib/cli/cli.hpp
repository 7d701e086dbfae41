#pragma once

namespace engagementd {

// The command line: run (default), migrate, check-config, --help, --version.
// Returns the process exit code.
int main_cli(int argc, char** argv);

}  // namespace engagementd
