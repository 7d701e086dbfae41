#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace engagementd {

// The systemd notification protocol (sd_notify(3)): datagrams such as
// "READY=1" to the unix socket named by $NOTIFY_SOCKET. Without that variable
// (not started by systemd as Type=notify) every call does nothing.
class Notifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment.
  Notifier();
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // The watchdog period systemd expects pings within, if it set one for us.
  std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }

  // Sends one datagram of "KEY=value" lines; false if it could not be sent.
  bool send(const std::string& state) const;

  bool ready(const std::string& status) const;
  bool reloading() const;
  bool stopping() const;
  bool status(const std::string& status) const;
  bool watchdog_ping() const;

 private:
  int fd_ = -1;
  std::string address_;  // sockaddr_un path; a leading '\0' for abstract sockets
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace engagementd
