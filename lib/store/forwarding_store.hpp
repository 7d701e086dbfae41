#pragma once
// A TickStore that passes every call on to another one: the base of a store
// that changes a few calls and passes the rest on (tick/stream_cache.hpp,
// the tests' stores that fail on purpose at one call).

#include "store/tick_store.hpp"

namespace engagementd {

class ForwardingStore : public TickStore {
 public:
  explicit ForwardingStore(TickStore& db) : db_(db) {}

  void begin() override { db_.begin(); }
  void commit() override { db_.commit(); }
  void rollback() override { db_.rollback(); }
  std::int64_t now_ms() override { return db_.now_ms(); }
  std::map<std::string, std::optional<std::string>> read_global_settings() override {
    return db_.read_global_settings();
  }
  void configure(const Shard& shard, std::chrono::milliseconds real_viewer_ttl) override {
    db_.configure(shard, real_viewer_ttl);
  }
  void read_live_streams(std::size_t chunk,
                         const std::function<void(const std::vector<LiveStream>&)>& fn) override {
    db_.read_live_streams(chunk, fn);
  }
  std::vector<EndedStream> read_ended_streams() override { return db_.read_ended_streams(); }
  void read_live_rows(std::size_t chunk,
                      const std::function<void(const std::vector<LiveRow>&)>& fn) override {
    db_.read_live_rows(chunk, fn);
  }
  std::vector<LiveStream> read_streams(const std::vector<std::int64_t>& ids) override {
    return db_.read_streams(ids);
  }
  std::vector<std::int64_t> take_stream_changes() override { return db_.take_stream_changes(); }
  std::vector<RealDelta> fold_real_deltas() override { return db_.fold_real_deltas(); }
  std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> fresh_viewers(
      std::int64_t cutoff_s, std::int64_t after, std::int64_t upto) override {
    return db_.fresh_viewers(cutoff_s, after, upto);
  }
  std::vector<EndedStream> read_ended_streams(const std::vector<std::int64_t>& ids) override {
    return db_.read_ended_streams(ids);
  }
  std::int64_t display_limit() override { return db_.display_limit(); }
  std::optional<std::string> last_audit_detail(const std::string& event) override {
    return db_.last_audit_detail(event);
  }
  void begin_writes() override { db_.begin_writes(); }
  void finish_writes() override { db_.finish_writes(); }
  void insert_configs(const std::vector<ConfigInsert>& rows) override { db_.insert_configs(rows); }
  void write_states(const std::vector<StateWrite>& rows) override { db_.write_states(rows); }
  void write_displays(const std::vector<DisplayWrite>& rows) override { db_.write_displays(rows); }
  void append_audit(const std::vector<AuditEvent>& rows) override { db_.append_audit(rows); }
  bool finalize(const Finalization& f) override { return db_.finalize(f); }
  SummarySweep sweep_summaries(std::int64_t after, std::int64_t purge_before_ms) override {
    return db_.sweep_summaries(after, purge_before_ms);
  }
  long long sync_saved_streams(std::int64_t now_ms, std::int64_t window_ms) override {
    return db_.sync_saved_streams(now_ms, window_ms);
  }
  std::vector<StreamProblem> take_problems() override { return db_.take_problems(); }
  std::string take_notice() override { return db_.take_notice(); }
  std::optional<Lease> lock_lease(int shard) override { return db_.lock_lease(shard); }
  std::optional<Lease> peek_lease(int shard) override { return db_.peek_lease(shard); }
  std::optional<LeaseLockHolder> lease_lock_holder(int shard) override {
    return db_.lease_lock_holder(shard);
  }
  std::pair<std::string, std::int64_t> server_identity() override { return db_.server_identity(); }
  bool write_lease(int shard, const Lease& read, const Lease& next) override {
    return db_.write_lease(shard, read, next);
  }
  void release_lease(int shard, const std::string& holder, std::int64_t token) override {
    db_.release_lease(shard, holder, token);
  }
  std::int64_t connection_id() override { return db_.connection_id(); }
  void kill_connection(std::int64_t id) override { db_.kill_connection(id); }
  void touch_instance(const std::string& holder, int shard_count, std::int64_t now_ms) override {
    db_.touch_instance(holder, shard_count, now_ms);
  }
  std::vector<std::string> present_instances(int shard_count, std::int64_t now_ms,
                                             std::int64_t within_ms) override {
    return db_.present_instances(shard_count, now_ms, within_ms);
  }
  void forget_instance(const std::string& holder) override { db_.forget_instance(holder); }
  std::vector<ShardLeaseSeen> shard_leases(int shard_count) override {
    return db_.shard_leases(shard_count);
  }

 protected:
  TickStore& db_;
};

}  // namespace engagementd
