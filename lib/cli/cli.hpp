#pragma once

namespace engagementd {

// The command line: run (the default), migrate, check-config, doctor,
// config, report, recount, preview, uninstall, --help, --version (the
// README's "Command line"). Returns the process exit code.
int main_cli(int argc, char** argv);

}  // namespace engagementd
