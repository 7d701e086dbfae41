#pragma once

#include <atomic>
#include <thread>
#include <vector>

namespace engagementd::test {

// A loopback TCP proxy to a server port, for stalling a connection without
// closing it: while paused, connections stay open and nothing is forwarded
// in either direction (new connections are accepted but not served).
class TcpProxy {
 public:
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void pause() { paused_ = true; }
  void resume() { paused_ = false; }

 private:
  void loop();

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> paused_{false};
  std::atomic<bool> stop_{false};
  struct Pair {
    int client;
    int server;
  };
  std::vector<Pair> pairs_;
  std::thread thread_;
};

}  // namespace engagementd::test
