#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
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

// Polls pred every 50 ms until it holds or the timeout passes; returns pred's last answer.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// The whole content of a file ("" if it cannot be read).
std::string read_file(const std::string& path);

// How often text occurs in log.
std::size_t count_of(const std::string& log, const std::string& text);

// Runs a command to completion; returns its exit code, output in `output`.
int run_command(const std::vector<std::string>& argv, std::string& output);

}  // namespace engagementd::test
