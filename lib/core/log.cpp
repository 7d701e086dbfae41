#include "core/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace engagementd {
namespace {

// JOURNAL_STREAM is "device:inode" of the journal's stream; it only applies if
// our stderr is still that stream (not redirected by a wrapper).
bool stderr_is_journal(int fd) {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  if (name == "error") return LogLevel::error;
  if (name == "warning" || name == "warn") return LogLevel::warning;
  if (name == "notice") return LogLevel::notice;
  if (name == "info") return LogLevel::info;
  if (name == "debug") return LogLevel::debug;
  return std::nullopt;
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "error";
    case LogLevel::warning:
      return "warning";
    case LogLevel::notice:
      return "notice";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
  }
  return "info";
}

Logger::Logger(LogLevel level, int fd) : level_(level), fd_(fd), journal_(stderr_is_journal(fd)) {}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(message.size() + 48);
  line += '<';
  line += std::to_string(static_cast<int>(level));
  line += '>';
  if (!journal_) {
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    line += stamp;
    line += log_level_name(level);
    line += ": ";
  }
  // One line, and no control character that a terminal would act on,
  // whatever a message quotes.
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      line += ' ';
    } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      line += "\\x";
      line += kHex[u >> 4];
      line += kHex[u & 0xf];
    } else {
      line += c;
    }
  }
  line += '\n';
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string kv(std::string_view key, std::string_view value) {
  std::string out(key);
  out += '=';
  bool bare = !value.empty();
  for (const char c : value) {
    if (c == ' ' || c == '"' || c == '\\' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      bare = false;
      break;
    }
  }
  if (bare) return out += value;
  out += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

RepeatLog::Decision RepeatLog::occurred(const std::string& message, Clock::time_point now) {
  ++total_;
  if (total_ == 1 || message != message_) {
    message_ = message;
    last_line_ = now;
    const Decision d{Action::log, since_line_};
    since_line_ = 0;
    return d;
  }
  ++since_line_;
  if (now - last_line_ >= every_) {
    last_line_ = now;
    const Decision d{Action::summarize, since_line_};
    since_line_ = 0;
    return d;
  }
  return {Action::quiet, since_line_};
}

std::uint64_t RepeatLog::resolved() {
  const std::uint64_t total = total_;
  total_ = 0;
  since_line_ = 0;
  message_.clear();
  return total;
}

bool OnceLog::first(const std::string& key, const std::string& message) {
  auto [it, inserted] = seen_.try_emplace(key, message);
  if (inserted) return true;
  if (it->second == message) return false;
  it->second = message;
  return true;
}

bool OnceLog::clear(const std::string& key) {
  return seen_.erase(key) > 0;
}

}  // namespace engagementd
