#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "service/notify.hpp"

using namespace engagementd;

namespace {

// A datagram socket in the abstract namespace ("@name" in NOTIFY_SOCKET).
class AbstractSocket {
 public:
  AbstractSocket() {
    name_ = "engagementd-notify-test-" + std::to_string(getpid());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path + 1, name_.data(), name_.size());
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0);
  }
  ~AbstractSocket() { ::close(fd_); }
  std::string env() const { return "@" + name_; }
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return {};
    char buf[1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::string name_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("notify: datagrams to an abstract NOTIFY_SOCKET, one line per value") {
  AbstractSocket sock;
  setenv("NOTIFY_SOCKET", sock.env().c_str(), 1);
  unsetenv("WATCHDOG_USEC");
  const Notifier n;
  unsetenv("NOTIFY_SOCKET");
  REQUIRE(n.enabled());
  CHECK_FALSE(n.watchdog());
  CHECK(n.ready("tick 1: 3 live streams,\n2.0 ms"));
  CHECK(sock.receive() == "READY=1\nSTATUS=tick 1: 3 live streams, 2.0 ms");
  CHECK(n.stopping());
  CHECK(sock.receive() == "STOPPING=1\nSTATUS=stopping");
  CHECK(n.reloading());
  CHECK_THAT(sock.receive(), Catch::StartsWith("RELOADING=1\nMONOTONIC_USEC="));
}

TEST_CASE("notify: the watchdog period, only for this process") {
  setenv("WATCHDOG_USEC", "4000000", 1);
  unsetenv("WATCHDOG_PID");
  CHECK(Notifier().watchdog() == std::chrono::microseconds(4'000'000));
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  CHECK(Notifier().watchdog() == std::chrono::microseconds(4'000'000));
  setenv("WATCHDOG_PID", "1", 1);  // meant for another process
  CHECK_FALSE(Notifier().watchdog());
  setenv("WATCHDOG_USEC", "soon", 1);
  unsetenv("WATCHDOG_PID");
  CHECK_FALSE(Notifier().watchdog());
  unsetenv("WATCHDOG_USEC");
}

TEST_CASE("notify: without NOTIFY_SOCKET nothing is sent") {
  unsetenv("NOTIFY_SOCKET");
  const Notifier n;
  CHECK_FALSE(n.enabled());
  CHECK_FALSE(n.ready("x"));
  CHECK_FALSE(n.watchdog_ping());
}
