#include "service/notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace engagementd {
namespace {

// One line per value: a newline inside a STATUS= would start a new key.
std::string one_line(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

Notifier::Notifier() {
  if (const char* usec = std::getenv("WATCHDOG_USEC"); usec != nullptr && *usec != '\0') {
    // WATCHDOG_PID, when present, says which process the watchdog is for.
    const char* pid = std::getenv("WATCHDOG_PID");
    const bool ours = pid == nullptr || *pid == '\0' || std::strtol(pid, nullptr, 10) == getpid();
    char* end = nullptr;
    const unsigned long long v = std::strtoull(usec, &end, 10);
    if (ours && end != nullptr && *end == '\0' && v > 0) {
      watchdog_ = std::chrono::microseconds(static_cast<long long>(v));
    }
  }
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || *path == '\0') return;
  std::string address = path;
  if (address[0] == '@') {
    address[0] = '\0';  // abstract namespace
  } else if (address[0] != '/') {
    return;  // vsock and other forms are not used for services
  }
  if (address.size() >= sizeof(sockaddr_un::sun_path)) return;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  address_ = address;
}

Notifier::~Notifier() {
  if (fd_ >= 0) ::close(fd_);
}

bool Notifier::send(const std::string& state) const {
  if (fd_ < 0) return false;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, address_.data(), address_.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                          (address_[0] == '\0' ? 0 : 1));
  ssize_t n;
  do {
    n = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&sa), len);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(state.size());
}

bool Notifier::ready(const std::string& status) const {
  return send("READY=1\nSTATUS=" + one_line(status));
}

bool Notifier::reloading() const {
  // MONOTONIC_USEC lets systemd (Type=notify-reload, v253+) match the reload
  // to its request; older versions ignore it.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1'000;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
              "\nSTATUS=reloading the configuration");
}

bool Notifier::stopping() const {
  return send("STOPPING=1\nSTATUS=stopping");
}

bool Notifier::status(const std::string& status) const {
  return send("STATUS=" + one_line(status));
}

bool Notifier::watchdog_ping() const {
  return send("WATCHDOG=1");
}

}  // namespace engagementd
