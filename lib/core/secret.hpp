#pragma once

#include <string.h>

#include <cstddef>
#include <string>

namespace engagementd {

// A password held only as long as it is needed: its bytes live in one
// buffer reserved up front (so no reallocation leaves a copy behind) and
// are wiped when it goes, before the memory is freed.
class Secret {
 public:
  // The most a secret may hold (a password file larger than this is not one).
  static constexpr std::size_t kMaxBytes = 1024;
  // The buffer: the most, a line end (CR LF) and one byte to tell a larger file.
  static constexpr std::size_t kBufferBytes = kMaxBytes + 3;

  Secret() { text_.reserve(kBufferBytes); }
  ~Secret() { wipe(); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  // Moved by stealing the buffer: the bytes are never copied.
  Secret(Secret&& o) noexcept : text_(std::move(o.text_)) {}
  Secret& operator=(Secret&&) = delete;

  const std::string& str() const { return text_; }
  operator const std::string&() const { return text_; }  // NOLINT: pass where a string is read
  bool empty() const { return text_.empty(); }

  // The reserved buffer, to be filled up to kBufferBytes.
  std::string& buffer() { return text_; }

 private:
  void wipe() {
    if (text_.capacity() > 0) {
      text_.resize(text_.capacity());
      ::explicit_bzero(text_.data(), text_.size());
    }
    text_.clear();
  }
  std::string text_;
};

}  // namespace engagementd
