#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/engagement.hpp"
#include "core/shard.hpp"
#include "core/simulation.hpp"

namespace engagementd {

// Sorts a list of ids and drops repeats: the id lists this interface takes
// and returns are in that form.
template <typename Id>
void sort_unique(std::vector<Id>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

// The numbers the PHP pages show, columns of live_streams.
struct Display {
  std::int64_t viewers = 0;
  std::int64_t max_viewers = 0;
  std::int64_t likes = 0;
  std::int64_t dislikes = 0;
  std::int64_t comments = 0;
  // live_streams.includes_simulated, the badge flag: the numbers above
  // include a simulated part.
  bool simulated = false;

  bool operator==(const Display& o) const {
    return viewers == o.viewers && max_viewers == o.max_viewers && likes == o.likes &&
           dislikes == o.dislikes && comments == o.comments && simulated == o.simulated;
  }
  bool operator!=(const Display& o) const { return !(*this == o); }
};

// engagementd_stream_state as stored.
struct StoredState {
  SimState sim;
  std::int64_t first_tick_ms = 0;
  std::int64_t last_tick_ms = 0;
  bool finalized = false;
  std::string config_json;  // the settings last simulated with; empty if not recorded
};

struct LiveStream {
  std::int64_t id = 0;
  Display shown;
  std::optional<RawConfig> config;   // absent: no stream_engagement_config row
  std::optional<StoredState> state;  // absent: never simulated
  RealCounts real;
};

// A live stream's id and display columns (TickStore::read_live_rows).
struct LiveRow {
  std::int64_t id = 0;
  Display shown;
};

// A simulated stream that is no longer live (or was deleted) and not yet finalized.
struct EndedStream {
  std::int64_t stream_id = 0;
  bool exists = false;  // the live_streams row is still there
  std::string status;
  StoredState state;
  std::int64_t real_viewers_total = 0;  // distinct real sessions over the stream
  RealCounts real;                      // likes, dislikes, comments (viewers unused)
  std::int64_t duration_seconds = -1;   // from started_at..ended_at; -1 if unknown
};

struct StateWrite {
  std::int64_t stream_id = 0;
  // The stream has a state row, not finalized, as read this tick (a new or
  // finalized one is inserted or revived).
  bool exists = false;
  SimState sim;
  std::int64_t first_tick_ms = 0;
  std::int64_t last_tick_ms = 0;
  std::string config_json;
};

// One row of the append-only engagementd_audit table.
struct AuditEvent {
  std::int64_t at_ms = 0;
  std::string event;  // first_simulated, config_changed, kill_switch, finalized, config_command
  std::optional<std::int64_t> stream_id;
  std::string detail;  // a JSON object
};

struct DisplayWrite {
  std::int64_t stream_id = 0;
  Display display;
};

struct ConfigInsert {
  std::int64_t stream_id = 0;
  EngagementConfig config;
};

struct Finalization {
  std::int64_t stream_id = 0;
  bool stream_exists = false;
  std::string final_status;
  std::int64_t duration_seconds = 0;
  std::int64_t real_viewers_total = 0;
  std::int64_t sim_viewers_total = 0;
  RealCounts real;
  std::int64_t sim_likes = 0;
  std::int64_t real_peak = 0;
  std::int64_t sim_peak = 0;
  Display final_display;
  std::int64_t finalized_ms = 0;
};

// The leadership lease row of a shard (engagementd_leader).
struct Lease {
  std::string holder;
  std::int64_t token = 0;
  std::int64_t connection_id = 0;  // the holder's database connection (MariaDB/MySQL)
  std::int64_t expires_ms = 0;
  std::int64_t last_tick_ms = 0;  // when the holder's last committed tick ran
  // The server the holder's last tick ran on (@@hostname:@@port) and when
  // that server started (seconds since the epoch; MariaDB/MySQL).
  std::string server_host;
  std::int64_t server_started_s = 0;
};

// The session whose transaction holds a lease row's lock, as proven by the
// stamp it made in the row (TickStore::lease_lock_holder).
struct LeaseLockHolder {
  std::int64_t connection_id = 0;
  std::string account;       // its CURRENT_USER()
  bool own_account = false;  // the same account as this session's
  std::string node;          // the node it is on (store/cluster.hpp node_identity)
  bool own_node = false;     // the same node as this session's
  // When its transaction locked the row (database clock, ms), from its
  // stamp; an older engagementd's stamp, a counter, reads as long ago.
  std::int64_t locked_ms = 0;
};

// A shard's lease as last committed, for instances that claim shards
// themselves (shard.index: auto).
struct ShardLeaseSeen {
  int shard = 0;
  std::string holder;
  std::int64_t expires_ms = 0;
};

// The replay table the site writes when a seller ends a stream with "save",
// in one of the layouts it has (docs/design.md): the final numbers go into the
// layout's own columns of the row linked to the stream.
enum class SavedStreamsLayout {
  absent,         // no saved_streams table
  migration,      // the site's migration: stream_id, viewer_count, like_count
  dump_linked,    // the production dump: views, likes, dislikes, and the stream_id migrate adds
  dump_unlinked,  // the production dump without stream_id yet: run migrate
  unknown,        // none of these: nothing is written into it
};
const char* describe(SavedStreamsLayout layout);

// What a sweep of the summary rows did (TickStore::sweep_summaries).
struct SummarySweep {
  // The last stream id of the range swept; 0 when the sweep reached the end
  // (the next one starts from the first row again).
  std::int64_t upto = 0;
  long long status_followed = 0;  // the site ended, archived... the stream since
  long long deleted = 0;          // the site deleted the stream outright
  long long states_removed = 0;   // state rows of streams deleted long ago
};

// The deltas the triggers appended for one stream, summed. A viewer's leave
// (-1) carries when that session was last seen (seen_s, Unix seconds:
// schema 012) and is summed apart per seen_s, so that a tick can tell
// whether its stream's last real-viewer recount counted that session.
struct RealDelta {
  std::int64_t stream_id = 0;
  std::optional<std::int64_t> seen_s;
  RealCounts sum;
};

// A stream the tick could not write (its rows fail a statement: a value out
// of a column's range, a constraint, a trigger of the site's) or a fact
// about one stream worth a log line; set_aside: its rows were not written.
struct StreamProblem {
  std::int64_t stream_id = 0;
  std::string what;
  bool set_aside = false;
};

// What the tick engine reads and writes, and nothing else: the one seam
// between the engine's rules and the database. The SOCI implementation is
// Store (store/store.hpp, MariaDB/MySQL and SQLite); a test may put any
// other behind it. No database session is handed out: transactions are
// begun and ended through the interface (Transaction below).
//
// Methods throw on database errors; store/db_errors.hpp tells which kind
// (classify, is_statement_error, is_lost_race), the engine never needs the
// database library's types.
class TickStore {
 public:
  virtual ~TickStore() = default;

  // Rows per multi-row statement.
  static constexpr std::size_t kBatchRows = 500;

  // --- Transactions: the caller owns them (one per tick) ---
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // Begun on construction; rolled back on destruction unless committed or
  // rolled back before (the errors of that rollback are swallowed).
  class Transaction {
   public:
    explicit Transaction(TickStore& store) : store_(store) { store_.begin(); }
    ~Transaction() {
      if (open_) {
        try {
          store_.rollback();
        } catch (...) {
        }
      }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      store_.commit();
      open_ = false;
    }
    void rollback() {
      store_.rollback();
      open_ = false;
    }

   private:
    TickStore& store_;
    bool open_ = true;
  };

  // The database clock, milliseconds since the epoch.
  virtual std::int64_t now_ms() = 0;

  // --- The tick's reads ---
  // The shard the reads below are for and the real-viewer TTL (a session
  // counts while seen within it, with a heartbeat column), given once: by
  // the engine before its first tick, and again when its settings change.
  // Until then: one shard, 60 s.
  virtual void configure(const Shard& shard, std::chrono::milliseconds real_viewer_ttl) = 0;
  virtual std::map<std::string, std::optional<std::string>> read_global_settings() = 0;
  // The live streams of the shard with config, state and real counts, in id
  // order, up to `chunk` per statement: fn is called once per chunk. Only the
  // chunk's rows are held, on the client and in the server's result. Streams
  // without a counts row yet are counted first.
  virtual void read_live_streams(std::size_t chunk,
                                 const std::function<void(const std::vector<LiveStream>&)>& fn) = 0;
  // The shard's simulated streams that are no longer live and not finalized.
  virtual std::vector<EndedStream> read_ended_streams() = 0;

  // --- Reads of what changed, for a tick that keeps its streams in memory
  // between ticks (tick/stream_cache.hpp) ---
  // The ids and display columns of the shard's live streams, in id order, up
  // to `chunk` per call of fn (the same id ranges as read_live_streams).
  virtual void read_live_rows(std::size_t chunk,
                              const std::function<void(const std::vector<LiveRow>&)>& fn) = 0;
  // The named streams read whole, as read_live_streams reads them (the real
  // counts of one without a counts row taken first); streams that are not
  // live, or not of the shard, are left out. In id order.
  virtual std::vector<LiveStream> read_streams(const std::vector<std::int64_t>& ids) = 0;
  // The streams whose rows changed outside the tick since the last call
  // (engagementd_stream_changes, appended by the triggers on the site's
  // stream_engagement_config and by recount), of the shard, distinct, in id
  // order; exactly the rows read are deleted, in the tick's transaction.
  virtual std::vector<std::int64_t> take_stream_changes() = 0;
  // Adds the changes the triggers appended to engagementd_real_deltas (for
  // the shard's streams, as the tick's snapshot shows them) to the kept
  // counts, deletes exactly those rows, and returns them summed on the
  // server per stream and seen_s (stream id order). read_live_streams does
  // the same first.
  virtual std::vector<RealDelta> fold_real_deltas() = 0;
  // The real-viewer sweep, with a heartbeat column (stream_viewers.
  // last_seen_at): the open real sessions last seen at or after cutoff_s
  // (Unix seconds, the database clock) per stream of after < id <= upto of
  // the shard (id order; streams with none left out, and streams that are
  // not live may be in it). nullopt without one: the kept counts' viewers
  // are the open sessions.
  virtual std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> fresh_viewers(
      std::int64_t cutoff_s, std::int64_t after, std::int64_t upto) = 0;
  // read_ended_streams for the named streams only.
  virtual std::vector<EndedStream> read_ended_streams(const std::vector<std::int64_t>& ids) = 0;
  // The largest number every display column (live_streams' and the
  // saved_streams layout's) holds: display numbers are clamped to it.
  virtual std::int64_t display_limit() = 0;
  // The detail of the newest audit row of this event, if any.
  virtual std::optional<std::string> last_audit_detail(const std::string& event) = 0;

  // --- The tick's writes ---
  // begin_writes(), any number of insert_configs, write_states and
  // write_displays (each stream at most once), then finish_writes(). Rows
  // may be sent as they come and applied to the tables by finish_writes()
  // (LOAD DATA LOCAL INFILE); otherwise each call writes its rows at once.
  virtual void begin_writes() = 0;
  virtual void finish_writes() = 0;
  virtual void insert_configs(const std::vector<ConfigInsert>& rows) = 0;
  virtual void write_states(const std::vector<StateWrite>& rows) = 0;
  // Only touches streams still live: a stream that ended meanwhile keeps
  // what finalization will write.
  virtual void write_displays(const std::vector<DisplayWrite>& rows) = 0;
  virtual void append_audit(const std::vector<AuditEvent>& rows) = 0;
  // False when the stream was already finalized (nothing written).
  virtual bool finalize(const Finalization& f) = 0;
  // Final numbers into saved_streams rows linked to streams finalized in the
  // last `window_ms` whose numbers differ (a row written after its stream was
  // finalized); returns the rows updated.
  virtual long long sync_saved_streams(std::int64_t now_ms, std::int64_t window_ms) = 0;
  // The summary follows the site, for the summary rows of streams after
  // `after` (up to 1,000 of them): a status the site set after the
  // finalization (delete.php sets 'ended' on an archived stream) is taken
  // over; a stream whose row the site deleted gets 'deleted'; the state row
  // of such a stream finalized before `purge_before_ms` is removed (the
  // summary row stays, the record of what was shown).
  virtual SummarySweep sweep_summaries(std::int64_t after, std::int64_t purge_before_ms) = 0;
  // The problems met by the writes since the last call.
  virtual std::vector<StreamProblem> take_problems() = 0;
  // A message for the log about how this connection writes (e.g. LOAD DATA
  // LOCAL refused, multi-row statements used instead); empty once taken.
  virtual std::string take_notice() = 0;

  // --- The leadership lease (engagementd_leader) ---
  // The lease row of a shard, locked for the current transaction (created
  // first if missing). nullopt when another transaction holds the row lock:
  // the lock is never waited for (FOR UPDATE NOWAIT), a holder in the middle
  // of its tick is not to be queued behind.
  virtual std::optional<Lease> lock_lease(int shard) = 0;
  // The lease as last committed, without locking (a consistent read).
  virtual std::optional<Lease> peek_lease(int shard) = 0;
  // The session whose open transaction holds the lease row's lock, proven
  // by the stamp lock_lease makes right after locking the row (an
  // uncommitted version of the row seen by a dirty read, with another
  // lock_nonce than the committed row): only the transaction holding the
  // row's lock can have one, and only on this server in its current life.
  // nullopt when nothing proves it (no stamp, a holder that has just
  // committed, SQLite). Runs outside any transaction (it switches the
  // session's isolation level for one read).
  virtual std::optional<LeaseLockHolder> lease_lock_holder(int shard) = 0;
  // The server this session is on: @@hostname:@@port and its start time.
  virtual std::pair<std::string, std::int64_t> server_identity() = 0;
  // Writes the lease; only if the row still has the token and last tick that
  // were read (false otherwise: the transaction must not commit).
  virtual bool write_lease(int shard, const Lease& read, const Lease& next) = 0;
  // Lets the lease expire now, if this holder still has it.
  virtual void release_lease(int shard, const std::string& holder, std::int64_t token) = 0;
  // This session's connection id (MariaDB/MySQL; 0 on SQLite).
  virtual std::int64_t connection_id() = 0;
  // Ends another session of the same database user (a stalled lease holder).
  virtual void kill_connection(std::int64_t id) = 0;

  // --- Instances that claim shards themselves (shard.index: auto) ---
  // Their presence rows (engagementd_instances) and the shards' leases as
  // last committed; each instance writes only its own row (autocommit).
  virtual void touch_instance(const std::string& holder, int shard_count, std::int64_t now_ms) = 0;
  // The instances seen within `within_ms` that share `shard_count` shards.
  virtual std::vector<std::string> present_instances(int shard_count, std::int64_t now_ms,
                                                     std::int64_t within_ms) = 0;
  virtual void forget_instance(const std::string& holder) = 0;
  // The lease rows of shards 0 .. count-1 that exist.
  virtual std::vector<ShardLeaseSeen> shard_leases(int shard_count) = 0;
};

}  // namespace engagementd
