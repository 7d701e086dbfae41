#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/forwarding_store.hpp"

namespace engagementd {

// The live streams of one shard kept in memory between ticks, under the
// lease: a TickStore in front of the database's that, while it is valid,
// answers read_live_streams from memory and reads only what changed:
//   - the live streams' ids and display columns (new and ended streams, and
//     whatever the site wrote into the display columns), every tick;
//   - the streams whose settings changed (engagementd_stream_changes, kept
//     by triggers on stream_engagement_config, and by recount): read whole;
//   - the real counts' appended changes, folded into the kept counts as
//     every tick does, added to the counts in memory;
//   - with a heartbeat column, the real-viewer sweep: a rotating slice of
//     the streams in memory recounted exactly (the open sessions seen within
//     the TTL), so that each is recounted at least every
//     simulation.real_viewer_sweep, the cost spread evenly over the ticks;
//     between its recounts a stream's viewers follow the joins and leaves
//     (the deltas), and a session's silence (a closed tab) shows at its
//     stream's next recount: within TTL + sweep + one tick;
//   - the streams that ended, from the live ids: only those are asked about
//     (read_ended_streams).
// Everything else passes through.
//
// The database stays the truth. What is in memory is what the database
// held when this instance's last tick committed, and is only used while
// that is sure: it is valid only while this instance has held the lease
// without a break and every tick since it was filled committed. It is
// dropped, and the next tick reads every stream whole, on
//   - a rollback, a failed commit or one whose reply was lost (the
//     transaction may or may not have committed);
//   - a lease row that is not the one this instance's last tick wrote
//     (another holder ticked, or the lease ran out and was taken again);
//   - a lease released, a new connection, or drop() (a reload of the
//     configuration).
// A stream whose rows the store set aside (a failing statement) is read
// whole again at the next tick.
class StreamCache final : public ForwardingStore {
 public:
  explicit StreamCache(TickStore& db);

  // Off: every call passes through and nothing is kept.
  void enable(bool on);
  // The period within which every stream in memory is recounted (the
  // real-viewer sweep; simulation.real_viewer_sweep).
  void set_sweep(std::chrono::milliseconds period) {
    sweep_ms_ = std::max<std::int64_t>(1, period.count());
  }
  // Streams recounted by the last tick's sweep.
  std::size_t swept() const { return swept_; }
  // Drops what is in memory: the next tick reads every stream whole.
  void drop(const std::string& why);
  // Why it was dropped since the last call (empty: it was not).
  std::string take_dropped() { return std::exchange(dropped_, std::string()); }
  // The last read_live_streams was answered from memory.
  bool used() const { return used_; }
  // It will answer the next tick's read from memory.
  bool valid() const { return valid_; }
  std::size_t size() const { return entries_.size(); }
  // Checks every stream answered from memory against the database (read
  // whole in the same snapshot) and throws std::logic_error naming the
  // first that differs: for tests; it costs a whole read per tick.
  void verify(bool on) { verify_ = on; }

  // --- TickStore: the calls it takes part in; the others pass through ---
  void begin() override;
  void commit() override;
  void rollback() override;
  std::int64_t now_ms() override;
  // A new shard or TTL drops what is in memory.
  void configure(const Shard& shard, std::chrono::milliseconds real_viewer_ttl) override;
  void read_live_streams(std::size_t chunk,
                         const std::function<void(const std::vector<LiveStream>&)>& fn) override;
  std::vector<EndedStream> read_ended_streams() override;
  using ForwardingStore::read_ended_streams;
  void insert_configs(const std::vector<ConfigInsert>& rows) override;
  void write_states(const std::vector<StateWrite>& rows) override;
  bool finalize(const Finalization& f) override;
  std::vector<StreamProblem> take_problems() override;
  std::optional<Lease> lock_lease(int shard) override;
  bool write_lease(int shard, const Lease& read, const Lease& next) override;
  void release_lease(int shard, const std::string& holder, std::int64_t token) override;

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  // One stream as the database holds it after this instance's last commit
  // (the display columns are read every tick, so they are not kept).
  struct Entry {
    std::int64_t id = 0;
    std::uint32_t config = kNone;  // configs_ index; kNone: no config row
    std::uint32_t json = kNone;    // jsons_ index; kNone: none recorded
    bool has_state = false;
    bool finalized = false;
    bool gone = false;  // no longer live: removed at the end of the read
    // When its real viewers were last counted exactly (Unix seconds, the
    // database clock): a session last seen before that minus the TTL was
    // not counted then, and its leave is not subtracted.
    std::uint32_t counted_s = 0;
    SimState sim;
    std::int64_t first_tick_ms = 0;
    std::int64_t last_tick_ms = 0;
    RealCounts real;
  };
  // The lease row as this instance's last committed tick wrote it.
  struct LeaseSeen {
    std::string holder;
    std::int64_t token = 0;
    std::int64_t last_tick_ms = 0;
    std::int64_t connection_id = 0;
  };

  void read_from_memory(std::size_t chunk,
                        const std::function<void(const std::vector<LiveStream>&)>& fn);
  // Recounts the slice of the streams in memory whose turn it is (and any
  // that would be overdue by the next tick).
  void sweep();
  Entry to_entry(const LiveStream& s);
  LiveStream to_stream(const Entry& e, const Display& shown) const;
  Entry* find(std::int64_t id);
  void check(const std::vector<LiveStream>& streams);
  std::uint32_t intern_config(const RawConfig& raw);
  std::uint32_t intern_json(const std::string& json);
  // Removes the gone entries and merges the added ones in.
  void settle();
  // Builds the pools again from the entries when they hold far more than
  // the entries use (settings changed many times).
  void shrink_pools();
  void clear();

  bool enabled_ = true;
  bool verify_ = false;
  bool valid_ = false;   // answers the next tick from memory
  bool filled_ = false;  // this tick read or refreshed what is in memory
  bool used_ = false;
  std::string dropped_;
  std::int64_t now_ms_ = 0;  // the database clock read by this tick
  std::optional<LeaseSeen> lease_;
  std::optional<LeaseSeen> writing_;  // the lease this tick writes, once committed
  Shard shard_{};  // as configured
  std::chrono::milliseconds real_viewer_ttl_{60'000};
  // The real-viewer sweep: its period, the last id recounted (the rotation
  // goes on after it), the database clock at the last sweep, a heartbeat
  // column there or not (unknown until asked), streams recounted last.
  std::int64_t sweep_ms_ = 15'000;
  std::int64_t sweep_after_ = 0;
  std::int64_t last_sweep_ms_ = 0;
  std::optional<bool> heartbeat_;
  std::size_t swept_ = 0;

  std::vector<Entry> entries_;  // in id order
  std::vector<Entry> added_;    // new this tick, in id order
  // Streams to read whole at the next tick (set aside by a failing write).
  std::vector<std::int64_t> stale_;
  // Simulated streams seen ending and not yet finalized, in id order.
  std::vector<std::int64_t> ended_;

  // Distinct settings and settings texts, shared by the streams using them.
  std::vector<RawConfig> configs_;
  std::unordered_map<std::string, std::uint32_t> config_ids_;
  std::vector<const std::string*> jsons_;
  std::unordered_map<std::string, std::uint32_t> json_ids_;
};

}  // namespace engagementd
