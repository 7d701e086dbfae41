#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace engagementd {

// syslog priorities, as journald reads them from a "<N>" line prefix.
enum class LogLevel { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

// One whole line per write(2) on stderr. Under journald (JOURNAL_STREAM names
// our stderr) lines carry only the "<N>" prefix, since the journal adds time
// and process; elsewhere they start with a UTC timestamp and the level name.
class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::info, int fd = 2);

  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  bool enabled(LogLevel level) const { return level <= level_; }
  bool journal() const { return journal_; }

  void log(LogLevel level, std::string_view message) const;
  void error(std::string_view m) const { log(LogLevel::error, m); }
  void warning(std::string_view m) const { log(LogLevel::warning, m); }
  void notice(std::string_view m) const { log(LogLevel::notice, m); }
  void info(std::string_view m) const { log(LogLevel::info, m); }
  void debug(std::string_view m) const { log(LogLevel::debug, m); }

 private:
  LogLevel level_;
  int fd_;
  bool journal_;
};

// Logs a problem the first time it is seen for a key and again only when its
// text changes, so a bad row is named once instead of on every tick.
class OnceLog {
 public:
  // True when the message should be logged now.
  bool first(const std::string& key, const std::string& message);
  // The problem is gone: returns true if it had been reported.
  bool clear(const std::string& key);
  bool empty() const { return seen_.empty(); }

 private:
  std::unordered_map<std::string, std::string> seen_;
};

// A key=value field for a log line: the value bare when it is a single word,
// else in double quotes with '"' and '\' escaped, so fields stay parseable.
std::string kv(std::string_view key, std::string_view value);

// A problem that can recur on every tick (a failing database): logged the
// first time and whenever its text changes, then summarized at most once per
// `every` while it lasts, instead of once per tick.
class RepeatLog {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Action { log, summarize, quiet };
  struct Decision {
    Action action = Action::quiet;
    std::uint64_t repeats = 0;  // occurrences since the last line about it
  };

  explicit RepeatLog(Clock::duration every) : every_(every) {}

  Decision occurred(const std::string& message, Clock::time_point now);
  // The problem is gone: how many times it occurred in all (0: none was active).
  std::uint64_t resolved();
  bool active() const { return total_ > 0; }

 private:
  Clock::duration every_;
  std::string message_;
  Clock::time_point last_line_{};
  std::uint64_t since_line_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace engagementd
