// engagementd: the command line and the daemon live in lib/; this file only
// turns an escaped exception into an exit code.
#include <exception>
#include <iostream>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
  try {
    return engagementd::main_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "<3>engagementd: fatal: " << e.what() << "\n";
    return 1;
  }
}
