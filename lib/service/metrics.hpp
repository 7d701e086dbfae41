#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <string>

#include "store/db_errors.hpp"  // error_label(), the label of tick_failed()
#include "tick/tick.hpp"

namespace engagementd {

// The daemon's counters and gauges, rendered in the Prometheus text format.
// Updated from the daemon's io thread; set_leader() may be called from any.
class Metrics {
 public:
  // Upper bounds (seconds) of the tick duration histogram buckets; +Inf is implied.
  static constexpr std::array<double, 12> kTickBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                       0.5,   1,    2.5,   5,    10,  30};

  explicit Metrics(std::string version);

  void tick_succeeded(const TickReport& report, double seconds,
                      std::chrono::system_clock::time_point when);
  // A failed tick and the kind of error that failed it (see error_label(), store/db_errors.hpp).
  void tick_failed(const std::string& kind);
  // A database error that did not fail the tick (a deadlock, retried).
  void db_error(const std::string& kind) { ++db_errors_[kind]; }
  void reconnected() { ++reconnects_; }
  // 1 while the daemon holds a working connection, 0 from a lost or
  // refused one until it connects again.
  void set_database_up(bool up) { database_up_ = up; }
  void set_tick_interval(std::chrono::milliseconds interval) { tick_interval_ = interval; }
  // Tick slots skipped because a successful tick overran its interval.
  void ticks_skipped(std::uint64_t n) { ticks_skipped_ += n; }
  // Ticks failed since the last successful one.
  std::uint64_t ticks_failing() const { return failing_; }
  // The shards this instance is configured for and how many it leads
  // (without automatic sharding: its one shard, led or not).
  void set_shards(int count, int led) {
    shards_ = count;
    shards_led_ = led;
  }
  void set_leader(bool leader) { leader_.store(leader ? 1 : 0); }
  bool leader() const { return leader_.load() != 0; }
  void set_simulation_enabled(bool on) { simulation_enabled_ = on; }

  std::uint64_t ticks_ok() const { return ticks_ok_; }
  std::uint64_t ticks_failed() const { return ticks_failed_; }

  // The exposition text (version 0.0.4).
  std::string render() const;

 private:
  std::string version_;
  double start_unix_;  // process_start_time_seconds
  std::uint64_t ticks_ok_ = 0;
  std::uint64_t ticks_failed_ = 0;
  std::uint64_t failing_ = 0;  // ticks failed since the last successful one
  std::uint64_t ticks_skipped_ = 0;
  std::chrono::milliseconds tick_interval_{0};
  std::array<double, 3> phase_seconds_{};  // read, step, write: summed over successful ticks
  std::uint64_t set_aside_ = 0;
  std::int64_t real_viewers_ = 0, sim_viewers_ = 0, real_likes_ = 0, sim_likes_ = 0;
  bool database_up_ = false;
  int shards_ = 1;
  int shards_led_ = 0;
  std::array<std::uint64_t, kTickBuckets.size()> bucket_counts_{};
  double tick_seconds_sum_ = 0;
  std::uint64_t live_streams_ = 0;
  std::uint64_t simulated_streams_ = 0;
  std::uint64_t stream_ticks_ = 0;  // streams simulated, summed over ticks
  std::uint64_t finalized_ = 0;
  std::map<std::string, std::uint64_t> rows_written_;  // by table
  std::map<std::string, std::uint64_t> db_errors_;     // by kind
  std::uint64_t reconnects_ = 0;
  double last_success_unix_ = 0;
  bool simulation_enabled_ = true;
  std::atomic<int> leader_{0};
};

}  // namespace engagementd
