#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "config.hpp"
#include "log.hpp"
#include "store.hpp"
#include "tick.hpp"

namespace engagementd {

// The service: a drift-free Asio timer drives ticks; SIGINT/SIGTERM stop it
// between ticks (a tick in progress commits or rolls back first); SIGHUP
// re-reads the config file and swaps it in only if it validates.
class Daemon {
 public:
  Daemon(Config config, Logger& log);
  ~Daemon();

  // Connects, checks the schema, then ticks until stopped. Returns the exit
  // code: 0 after a clean stop, 1 when it cannot start.
  int run(std::optional<std::chrono::milliseconds> run_for = std::nullopt);

 private:
  void schedule_next();
  void on_tick();
  void on_signal(int signo);
  void reload();
  bool ensure_store();
  void stop(const std::string& why);

  Config config_;
  Logger& log_;
  boost::asio::io_context io_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer stop_timer_;
  boost::asio::signal_set signals_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<TickEngine> engine_;
  std::uint64_t seed_;
  std::chrono::milliseconds interval_;
  std::uint64_t ticks_ = 0;
  std::uint64_t failed_ticks_ = 0;
  std::string last_error_;
  bool stopping_ = false;
};

}  // namespace engagementd
