#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/log.hpp"
#include "service/config.hpp"
#include "service/http_server.hpp"
#include "service/metrics.hpp"
#include "service/notify.hpp"
#include "store/store.hpp"
#include "tick/shard_pool.hpp"
#include "tick/tick.hpp"

namespace engagementd {

// The service: a drift-free Asio timer drives ticks; SIGINT/SIGTERM stop it
// between ticks (a tick in progress commits or rolls back first); SIGHUP
// re-reads the config file and swaps it in only if it validates. Under
// systemd it speaks the notify protocol (READY, STATUS, WATCHDOG, RELOADING,
// STOPPING); with metrics.enabled it serves /metrics and /healthz on the same
// io_context.
//
// Faults: a deadlock or lock-wait timeout retries the tick at once (a few
// times, with a short backoff); any other database error drops the
// connection, which is opened again (statements prepared again) after a
// backoff of 1 s doubling up to database.reconnect_max. The MySQL client's
// own auto-reconnect stays off: it would silently lose the session state.
class Daemon {
 public:
  Daemon(Config config, Logger& log);
  ~Daemon();

  // Connects, checks the schema, then ticks until stopped. Returns the exit
  // code: 0 after a clean stop, 1 when it cannot start.
  int run(std::optional<std::chrono::milliseconds> run_for = std::nullopt);

  Metrics& metrics() { return metrics_; }

  // How long /healthz tolerates no successful tick, in tick intervals.
  static constexpr int kHealthyIntervals = 3;
  // A tick error that persists is summarized at most this often.
  static constexpr std::chrono::minutes kErrorSummaryEvery{5};

 private:
  using Clock = std::chrono::steady_clock;

  void schedule_next();
  void on_tick();
  void on_signal(int signo);
  void reload();
  void ensure_store();
  // The schema version, read at every tick: false (standing by, said once
  // per reason) while it is not this build's (tables gone, a migration
  // pending or under way, a newer engagementd's).
  bool schema_is_ours();
  void connection_lost(const std::string& what);
  // A tick that failed without losing the connection: logged (once per
  // distinct error, then summarized), retried at the next tick.
  void tick_failed(const std::exception& e, const std::string& what);
  void stop(const std::string& why);
  TickSettings settings() const;
  void arm_watchdog();
  void set_status(std::string status);
  HttpResponse handle_http(const std::string& target);
  HttpResponse health();

  Config config_;
  Logger& log_;
  boost::asio::io_context io_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer stop_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::signal_set signals_;
  Notifier notifier_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<TickEngine> engine_;
  std::unique_ptr<ShardPool> pool_;  // shard.index: auto, instead of engine_
  std::uint64_t seed_;
  std::string holder_;  // this instance in the leadership lease
  std::chrono::milliseconds interval_;
  // Reconnecting: when the next attempt may be made, and the backoff after it.
  std::chrono::steady_clock::time_point reconnect_at_{};
  std::chrono::milliseconds backoff_{1'000};
  std::chrono::steady_clock::time_point down_since_{};
  std::uint64_t failed_connects_ = 0;
  bool connection_down_ = false;
  std::uint64_t ticks_ = 0;
  std::uint64_t failed_ticks_ = 0;
  std::string last_error_;
  RepeatLog repeated_errors_{kErrorSummaryEvery};
  std::string status_;
  Clock::time_point started_{};
  std::optional<Clock::time_point> last_success_;
  Clock::time_point last_tick_done_{};
  bool stopping_ = false;
  // Why the ticks stand by for the schema ("gone", "older", "newer"; empty:
  // they do not); schema_recheck_: the site's columns are detected again
  // once the schema is this build's (a reconnect found another).
  std::string schema_standby_;
  bool schema_recheck_ = false;
};

}  // namespace engagementd
