#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "log.hpp"

using namespace engagementd;

namespace {

std::string capture(const Logger& log, LogLevel level, const std::string& msg, int read_fd) {
  log.log(level, msg);
  char buf[512];
  const ssize_t n = ::read(read_fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("log lines carry the <N> priority prefix and are whole lines") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  unsetenv("JOURNAL_STREAM");
  Logger log(LogLevel::info, fds[1]);
  const std::string line = capture(log, LogLevel::warning, "stream=7 bad\nrow", fds[0]);
  CHECK_THAT(line, Catch::StartsWith("<4>"));
  CHECK_THAT(line, Catch::EndsWith("warning: stream=7 bad row\n"));
  CHECK(line.find('\n') == line.size() - 1);
  log.debug("not shown");
  log.info("shown");
  char buf[256];
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  CHECK_THAT(std::string(buf, static_cast<std::size_t>(n)),
             Catch::Contains("shown") && !Catch::Contains("not shown"));
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("once-logging names a problem once and again only when it changes") {
  OnceLog once;
  CHECK(once.first("stream:1", "bad min"));
  CHECK_FALSE(once.first("stream:1", "bad min"));
  CHECK(once.first("stream:2", "bad min"));
  CHECK(once.first("stream:1", "bad max"));
  CHECK(once.clear("stream:1"));
  CHECK_FALSE(once.clear("stream:1"));
  CHECK(once.first("stream:1", "bad max"));
}

TEST_CASE("log levels parse by name") {
  CHECK(parse_log_level("debug") == LogLevel::debug);
  CHECK(parse_log_level("warning") == LogLevel::warning);
  CHECK_FALSE(parse_log_level("verbose"));
}
