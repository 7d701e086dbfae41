#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"

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
  // Control characters a message quotes reach no terminal: escaped, tab kept.
  const std::string escaped =
      capture(log, LogLevel::warning, "a\x1b[2Jb\rc\td\x7f" + std::string(1, '\0'), fds[0]);
  CHECK_THAT(escaped, Catch::EndsWith("warning: a\\x1b[2Jb\\x0dc\td\\x7f\\x00\n"));
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

namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("outside the journal, lines start with a UTC timestamp and the level") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  unsetenv("JOURNAL_STREAM");
  const Logger log(LogLevel::info, fds[1]);
  CHECK_FALSE(log.journal());
  log.info("tick live=3 tick_ms=2.5");
  close(fds[1]);
  const std::string line = read_all(fds[0]);
  close(fds[0]);
  CHECK(std::regex_match(
      line,
      std::regex(R"(<6>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: tick live=3 tick_ms=2\.5\n)")));
}

TEST_CASE("under journald (JOURNAL_STREAM names our stderr), only the <N> prefix") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  struct stat st {};
  REQUIRE(fstat(fds[1], &st) == 0);
  const std::string id = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  setenv("JOURNAL_STREAM", id.c_str(), 1);
  const Logger journal(LogLevel::info, fds[1]);
  // The variable names another stream (stderr redirected by a wrapper): timestamps again.
  setenv("JOURNAL_STREAM", "1:2", 1);
  const Logger redirected(LogLevel::info, fds[1]);
  unsetenv("JOURNAL_STREAM");
  CHECK(journal.journal());
  CHECK_FALSE(redirected.journal());
  journal.error("tick failed kind=connect err=\"gone\"");
  journal.debug("below the level: not written");
  close(fds[1]);
  CHECK(read_all(fds[0]) == "<3>tick failed kind=connect err=\"gone\"\n");
  close(fds[0]);
}

TEST_CASE("one whole line per write, even from several threads at once") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  unsetenv("JOURNAL_STREAM");
  const Logger log(LogLevel::info, fds[1]);
  std::string text;
  std::thread reader([&] { text = read_all(fds[0]); });
  const std::string payload(300, 'x');
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) log.info("writer=" + std::to_string(t) + " " + payload);
    });
  }
  for (auto& w : writers) w.join();
  close(fds[1]);
  reader.join();
  close(fds[0]);
  std::istringstream lines(text);
  int count = 0;
  const std::regex whole(R"(<6>\S+ info: writer=[0-3] x{300})");
  for (std::string line; std::getline(lines, line);) {
    ++count;
    if (!std::regex_match(line, whole)) FAIL("torn line: " << line);
  }
  CHECK(count == 2000);
}

TEST_CASE("key=value fields quote values that are not single words") {
  CHECK(kv("stream", "42") == "stream=42");
  CHECK(kv("err", "Lost connection to server") == "err=\"Lost connection to server\"");
  CHECK(kv("err", "say \"hi\"\\now") == "err=\"say \\\"hi\\\"\\\\now\"");
  CHECK(kv("err", "two\nlines") == "err=\"two lines\"");
  CHECK(kv("err", "") == "err=\"\"");
  CHECK(kv("path", "a=b") == "path=\"a=b\"");
}

TEST_CASE("a repeating error is logged once, then summarized, then its end reported") {
  using namespace std::chrono_literals;
  RepeatLog repeat(5min);
  const RepeatLog::Clock::time_point t0{};
  CHECK(repeat.occurred("connect: refused", t0).action == RepeatLog::Action::log);
  for (int i = 1; i <= 10; ++i) {
    CHECK(repeat.occurred("connect: refused", t0 + i * 1s).action == RepeatLog::Action::quiet);
  }
  const auto summary = repeat.occurred("connect: refused", t0 + 5min);
  CHECK(summary.action == RepeatLog::Action::summarize);
  CHECK(summary.repeats == 11);
  CHECK(repeat.occurred("connect: refused", t0 + 5min + 1s).action == RepeatLog::Action::quiet);
  // A different error is news.
  CHECK(repeat.occurred("statement: syntax", t0 + 5min + 2s).action == RepeatLog::Action::log);
  CHECK(repeat.active());
  CHECK(repeat.resolved() == 14);
  CHECK_FALSE(repeat.active());
  CHECK(repeat.resolved() == 0);
  CHECK(repeat.occurred("connect: refused", t0 + 6min).action == RepeatLog::Action::log);
}
