#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "core/settings.hpp"
#include "core/simulation.hpp"
#include "store/tick_store.hpp"
#include "tick/planner.hpp"
#include "tick/stream_cache.hpp"

namespace engagementd {

struct TickSettings {
  // The defaults are the settings table's (core/settings.hpp).
  bool simulation_enabled = setting_on("simulation.enabled");  // the YAML kill switch
  std::chrono::milliseconds max_catchup{setting_ms("tick.max_catchup")};
  std::chrono::milliseconds real_viewer_ttl{setting_ms("simulation.real_viewer_ttl")};
  // With a heartbeat column and tick.cache on: every live stream's real
  // viewers are recounted exactly at least this often, a rotating slice
  // per tick (StreamCache; simulation.real_viewer_sweep).
  std::chrono::milliseconds real_viewer_sweep{setting_ms("simulation.real_viewer_sweep")};
  // Mean watch time of a simulated viewer (YAML simulation.watch_time), for
  // every stream, unless the global setting sim_watch_minutes gives one.
  double watch_minutes = static_cast<double>(setting_ms("simulation.watch_time")) / 60'000;
  // Leadership lease, renewed every tick (the least lease_for() picks).
  std::chrono::milliseconds lease{setting_ms("leadership.lease")};
  // Live streams read, stepped and written per chunk: the tick's memory is
  // about this many streams' worth, whatever the number of live streams.
  std::size_t chunk_rows = 5000;
  // Keep the live streams' settings, simulated state and real counts in
  // memory between ticks and read only what changed (tick/stream_cache.hpp);
  // off: every tick reads every stream whole (tick.cache in the YAML).
  bool cache = setting_on("tick.cache");
  // How often the summary rows are swept to follow the site (statuses set
  // after finalization, streams deleted outright), a range of them each
  // time (TickStore::sweep_summaries); by the engine of shard 0 only.
  std::chrono::milliseconds summary_sweep{60'000};
};

struct TickReport {
  std::size_t live = 0;
  std::size_t set_aside = 0;  // live or ended streams left out: their rows fail
  std::size_t displays_written = 0;
  std::size_t states_written = 0;
  std::size_t configs_created = 0;
  std::size_t finalized = 0;
  bool simulation_enabled = true;
  // Not the lease holder: nothing was read or written.
  bool standby = false;
  // The live streams came from memory (only what changed was read); false:
  // read whole (the cache off, empty, or dropped).
  bool from_cache = false;
  // Why the cache was dropped since the previous tick (empty: it was not).
  std::string cache_dropped;
  double read_ms = 0, step_ms = 0, write_ms = 0, total_ms = 0;
  // The audience of the streams ticked (set-aside ones left out): the real
  // counts read, and the simulated part of the numbers written (display
  // minus real; 0 while simulation is off).
  std::int64_t real_viewers = 0, sim_viewers = 0, real_likes = 0, sim_likes = 0;
};

// One tick: the leadership lease locked and renewed, every live stream read
// (a chunk of streams per statement), the simulation step for each, and all
// writes (only changed rows, in bulk) in one transaction; the streams that
// left 'live' are finalized in the same transaction.
//
// Every tick is computed from what the database holds: the lease row's
// last_tick_ms, committed with the tick, is the time all live streams were
// advanced to. What is kept in memory between ticks (StreamCache) is only
// what this instance's own last committed tick left in the database, and
// is used only while the lease row proves nothing else ticked since. A tick that is rolled back, or
// whose COMMIT is lost with the connection, is therefore neither lost beyond its time (the next
// tick covers it, up to max_catchup) nor applied twice (if it did commit, the next tick starts from
// it).
class TickEngine {
 public:
  // holder names this process in the lease row (host, pid, a random part);
  // an engine finding its own holder there renews the lease as its own.
  // shard: the streams this engine simulates and finalizes (those whose id
  // hashes to the index, store/shard_hash.hpp) and the lease row it holds
  // (engagementd_leader.shard = index).
  TickEngine(TickStore& store, const Logger& log, std::uint64_t seed,
             std::string holder = "engagementd", Shard shard = {});

  // Throws on database errors; the transaction is then rolled back and
  // nothing of this tick is kept.
  TickReport run(const TickSettings& settings);

  // Lets the lease expire at once (on a clean stop), so a standby takes over
  // at its next tick. Errors are the caller's to log.
  void release();

  // Drops the streams kept in memory (TickSettings::cache): the next tick
  // reads every stream whole.
  void drop_cache(const std::string& why) { cache_->drop(why); }
  StreamCache& cache() { return *cache_; }

  bool leader() const { return leader_; }
  const std::string& holder() const { return holder_; }
  const Shard& shard() const { return shard_; }

 private:
  // Locks and renews the lease; false (standby) when another holder has it.
  bool take_lease(std::int64_t now, const TickSettings& settings, Lease& read);
  // After a tick that found the lease row locked past the holder's lease:
  // ends the session holding the lock if it is proven to (see
  // TickStore::lease_lock_holder) and runs as this instance's account; else
  // waits, saying so once.
  void end_stalled_holder(std::int64_t now, std::chrono::milliseconds own_lease);
  // " of shard I/N" when there are several shards, for log lines.
  std::string shard_text() const;
  // What one chunk of streams has to write.
  struct Pending {
    std::vector<ConfigInsert> configs;
    std::vector<StateWrite> states;
    std::vector<DisplayWrite> displays;
    std::vector<AuditEvent> audits;
  };
  // Takes one live stream's plan: logs its warnings, queues its rows.
  void take_plan(const LiveStream& s, StreamPlan& plan, Pending& out);
  // Logs a plan's warnings, each key's once per distinct text.
  void log_warnings(const std::vector<PlanWarning>& warnings);

  // One tick's state shared by the phases of run().
  struct TickRun {
    std::int64_t now = 0;  // the database clock at the tick's start, ms
    Lease lease;           // the lease row as this tick locked and read it
    TickReport report;
    Pending pending;  // the audit rows from the kill switch on, each chunk's rows
    bool simulate = true;
    std::vector<Finalization> finals;
    bool sweeping = false;  // the summary sweep was due this tick
    std::optional<SummarySweep> sweep;
    double read_ms = 0, step_ms = 0, write_ms = 0;
  };
  // The phases of run(), in order; each throws on database errors (run()
  // then rolls the transaction back).
  // Whether the lease went on unbroken since this instance's last tick.
  void begin_leading(const Lease& lease, std::int64_t now);
  // The global settings rows, their problems logged once each.
  GlobalSettings read_globals(const TickSettings& settings);
  // Whether this tick simulates; queues the kill switch's audit row.
  void take_kill_switch(const TickSettings& settings, const GlobalSettings& globals,
                        TickRun& tick);
  // Plans and writes one chunk of live streams.
  void write_chunk(const std::vector<LiveStream>& live, StreamPlanner& planner, TickRun& tick);
  // Finalizes the streams that ended.
  void finalize_ended(const std::vector<EndedStream>& ended, const StreamPlanner& planner,
                      TickRun& tick);
  // Final numbers into replay rows saved after the finalization; a failing
  // statement is logged once and the tick goes on.
  void sync_replays(std::int64_t now);
  // The summary sweep when it is due (shard 0); a failing statement is
  // logged once and the tick goes on.
  void sweep_when_due(TickRun& tick);
  // Writes the renewed lease if the row is still the one this tick locked;
  // throws (the tick is rolled back) if not.
  void write_fenced_lease(const TickSettings& settings, const TickRun& tick);
  // What the engine keeps once the tick has committed.
  void keep_committed(const TickSettings& settings, const TickRun& tick);
  void keep_sweep(const SummarySweep& sweep);
  void keep_displays_left(std::int64_t now);

  // Logs the problems the store met with single streams; the streams whose
  // rows could not be written are set aside for kSetAsideFor.
  void take_store_problems(std::int64_t now, std::vector<AuditEvent>& audits);
  bool set_aside(std::int64_t stream_id, std::int64_t now) const;

  // Every call goes through the cache (it passes them on when it is off).
  std::unique_ptr<StreamCache> cache_;
  TickStore& store_;
  const Logger& log_;
  Rng rng_;
  std::string holder_;
  Shard shard_;
  // The real-viewer TTL the store was configured with (with shard_).
  std::optional<std::chrono::milliseconds> configured_ttl_;
  std::int64_t token_ = 0;  // the lease token this instance holds, when leader_
  bool leader_ = false;
  std::string standby_reason_;
  std::optional<Lease> stalled_;  // the expired lease seen with its row locked, this tick
  // The stalled holder's connection this instance last ended, and when
  // (database clock, ms): the server ends a session and releases its locks
  // asynchronously, so the next ticks may still see it holding the row.
  struct EndedConnection {
    std::int64_t id = 0;
    std::int64_t at_ms = 0;
  };
  std::optional<EndedConnection> ended_;
  std::string took_notice_;       // "took the leadership lease", said after the commit
  OnceLog problems_;
  bool last_simulation_enabled_ = true;
  // Streams whose rows fail a statement, until when (database clock, ms)
  // they are left out; then they are tried again.
  std::unordered_map<std::int64_t, std::int64_t> set_aside_until_;

  // Another writer of the display columns: the display each live stream
  // was left with by this instance's last committed tick (written, or found
  // right and kept) and that tick's time. A tick under the same unbroken
  // lease that finds other numbers there met a writer that is not this
  // daemon: the site's pages only read them, and the daemon's own
  // finalization touches streams no longer live.
  void check_display_writer(const LiveStream& s, std::int64_t now);
  // In id order (the live streams are read in id order).
  std::vector<std::pair<std::int64_t, Display>> left_;
  std::vector<std::pair<std::int64_t, Display>> leaving_;  // this tick's, kept at its commit
  std::int64_t left_tick_ms_ = -1;
  bool unbroken_ = false;  // this tick holds the lease its last tick committed
  // Streams found overwritten, until when that episode lasts (it is said
  // once; every sighting extends it).
  std::unordered_map<std::int64_t, std::int64_t> overwritten_until_;

  // The summary sweep: where the next one starts, and when (database clock).
  std::int64_t sweep_after_ = 0;
  std::int64_t next_sweep_ms_ = 0;
};

}  // namespace engagementd
