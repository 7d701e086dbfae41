#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace engagementd::test {

// A child process (the real engagementd binary) with stderr to a log file.
class Child {
 public:
  // `env`: "NAME=value" entries added to (or replacing those of) our environment.
  Child(const std::vector<std::string>& argv, const std::string& log_path,
        const std::vector<std::string>& env = {});
  ~Child();  // kills it if it still runs
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void signal(int signo) const;
  // The exit code, or nullopt if it did not exit in time (or died by a signal: -signo).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

// Runs a command to completion; returns its exit code, output in `output`.
int run_command(const std::vector<std::string>& argv, std::string& output);

}  // namespace engagementd::test
