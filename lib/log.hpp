#pragma once

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

 private:
  std::unordered_map<std::string, std::string> seen_;
};

}  // namespace engagementd
