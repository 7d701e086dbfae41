#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "service/config.hpp"
#include "core/engagement.hpp"
#include "service/log.hpp"
#include "store/migrations.hpp"
#include "store/server_check.hpp"
#include "core/simulation.hpp"

namespace soci {
class session;
class soci_error;
}  // namespace soci

namespace engagementd {

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

// A simulated stream that is no longer live (or was deleted) and not yet finalized.
struct EndedStream {
  std::int64_t id = 0;
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
// stamp it made in the row (Store::lease_lock_holder).
struct LeaseLockHolder {
  std::int64_t connection_id = 0;
  std::string account;       // its CURRENT_USER()
  bool own_account = false;  // the same account as this session's
  std::string node;          // the node it is on (store/cluster.hpp node_identity)
  bool own_node = false;     // the same node as this session's
};

// The replay table the site writes when a seller ends a stream with "save",
// in one of the shapes it has (DESIGN.md): the final numbers go into the
// shape's own columns of the row linked to the stream.
enum class SavedStreamsShape {
  absent,    // no saved_streams table
  with_ids,  // stream_id, viewer_count, like_count (the site's migration)
  linked,    // views, likes, dislikes, and the stream_id that migrate adds
  unlinked,  // views, likes, dislikes, but no stream_id yet: run migrate
  unknown,   // none of these: nothing is written into it
};
const char* describe(SavedStreamsShape shape);

// A stream the tick could not write (its rows fail a statement: a value out
// of a column's range, a constraint, a trigger of the site's) or a fact
// about one stream worth a log line; set_aside: its rows were not written.
struct StreamProblem {
  std::int64_t stream_id = 0;
  std::string what;
  bool set_aside = false;
};

class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Everything engagementd reads and writes, for MariaDB/MySQL and SQLite.
// Methods throw soci::soci_error on database errors; callers own transactions
// (session().begin()/commit() or soci::transaction).
class Store {
 public:
  // Connects; throws std::runtime_error naming the database (never the password).
  static std::unique_ptr<Store> open(const DatabaseConfig& db, const std::string& password);
  ~Store();

  Backend backend() const { return backend_; }
  soci::session& session() { return *sql_; }

  // Schema version bookkeeping.
  static int latest_schema_version(Backend backend);
  int schema_version();  // 0 when the version table does not exist
  // Applies pending migrations in order; returns the versions applied.
  std::vector<int> migrate(const Logger& log);
  // MariaDB/MySQL: the server's version, binary log settings and this
  // account's privileges on the database (what migrate checks first).
  ServerFacts server_facts();
  // Throws SchemaError unless the schema is exactly the one this build knows.
  void check_schema();

  bool has_column(const std::string& table, const std::string& column);
  bool has_table(const std::string& table);
  // A unique index (or the primary key) on exactly this one column.
  bool has_unique_index_on(const std::string& table, const std::string& column);
  // An index of that name on the table.
  bool has_index(const std::string& table, const std::string& index);

  // The database clock, milliseconds since the epoch.
  std::int64_t now_ms();

  std::map<std::string, std::optional<std::string>> read_global_settings();
  // The live streams of the shard with config, state and real counts, in id
  // order, up to `chunk` per statement: fn is called once per chunk. Only the
  // chunk's rows are held, on the client and in the server's result. Streams
  // without a counts row yet are counted first (count_real).
  void read_live_streams(std::chrono::milliseconds real_viewer_ttl, const Shard& shard,
                         std::size_t chunk,
                         const std::function<void(const std::vector<LiveStream>&)>& fn);
  // All of them at once.
  std::vector<LiveStream> read_live_streams(std::chrono::milliseconds real_viewer_ttl,
                                            const Shard& shard = {});
  // The SQL text of one chunk's read, e.g. for EXPLAIN. Placeholders: the id
  // range (:after, :upto) and the shard's two; with a heartbeat column in
  // stream_viewers also its derived table's range, :ttl and shard.
  std::string live_streams_query(const Shard& shard = {});
  // The shard's simulated streams that are no longer live and not finalized.
  std::vector<EndedStream> read_ended_streams(const Shard& shard = {});

  // A tick's writes: begin_writes(), any number of insert_configs,
  // write_states and write_displays (each stream at most once), then
  // finish_writes(). With LOAD DATA LOCAL INFILE the rows are sent as they
  // come and applied to the tables by finish_writes(); otherwise each call
  // writes its rows at once.
  void begin_writes();
  void finish_writes();
  void insert_configs(const std::vector<ConfigInsert>& rows);
  void write_states(const std::vector<StateWrite>& rows);
  // Only touches streams still live: a stream that ended meanwhile keeps
  // what finalization will write.
  void write_displays(const std::vector<DisplayWrite>& rows);
  // False when the stream was already finalized (nothing written).
  bool finalize(const Finalization& f);

  // A stream's real counts as kept in engagementd_real_counts and as counted
  // from the site's rows now (recount --check).
  struct CountsCheck {
    std::int64_t stream_id = 0;
    RealCounts kept;
    RealCounts counted;
  };
  // Every kept row (or one stream's), with its counts taken again.
  std::vector<CountsCheck> check_real_counts(std::optional<std::int64_t> stream);
  // Drops the kept rows (or one stream's): the next tick counts those live
  // streams again from the site's rows. Returns the rows dropped.
  long long drop_real_counts(std::optional<std::int64_t> stream);

  void append_audit(const std::vector<AuditEvent>& rows);
  // The detail of the newest audit row of this event, if any.
  std::optional<std::string> last_audit_detail(const std::string& event);

  // The lease row of a shard, locked for the current transaction (created
  // first if missing). nullopt when another transaction holds the row lock:
  // the lock is never waited for (FOR UPDATE NOWAIT), a holder in the middle
  // of its tick is not to be queued behind.
  std::optional<Lease> lock_lease(int shard);
  // The lease as last committed, without locking (a consistent read).
  std::optional<Lease> peek_lease(int shard);
  // The session whose open transaction holds the lease row's lock, proven
  // by the stamp lock_lease makes right after locking the row (an
  // uncommitted version of the row seen by a dirty read, with another
  // lock_nonce than the committed row): only the transaction holding the
  // row's lock can have one, and only on this server in its current life.
  // nullopt when nothing proves it (no stamp, a holder that has just
  // committed, SQLite). Runs outside any transaction (it switches the
  // session's isolation level for one read).
  std::optional<LeaseLockHolder> lease_lock_holder(int shard);
  // The server this session is on: @@hostname:@@port and its start time.
  std::pair<std::string, std::int64_t> server_identity();
  // Writes the lease; only if the row still has the token and last tick that
  // were read (false otherwise: the transaction must not commit).
  bool write_lease(int shard, const Lease& read, const Lease& next);
  // Lets the lease expire now, if this holder still has it.
  void release_lease(int shard, const std::string& holder, std::int64_t token);
  // The node this session is on (store/cluster.hpp node_identity; empty
  // on SQLite): a connection id is the node's own.
  std::string node();
  // This session's connection id (MariaDB/MySQL; 0 on SQLite).
  std::int64_t connection_id();
  // Ends another session of the same database user (a stalled lease holder).
  void kill_connection(std::int64_t id);

  // The MariaDB/MySQL error number of a database error (0 if none).
  static int error_number(const std::exception& e);
  // A failure of the statement itself (its SQL, a value, a constraint, a
  // missing table or column), as opposed to the connection or the server:
  // reconnecting would not help, and other statements still work.
  static bool is_statement_error(const std::exception& e);

  // The site's saved_streams as found (check_schema / migrate).
  SavedStreamsShape saved_streams_shape();
  // The largest number every display column (live_streams' and the
  // saved_streams shape's) holds: display numbers are clamped to it.
  std::int64_t display_limit();
  // Final numbers into saved_streams rows linked to streams finalized in the
  // last `window_ms` whose numbers differ (a row written after its stream was
  // finalized); returns the rows updated.
  long long sync_saved_streams(std::int64_t now_ms, std::int64_t window_ms);
  // The problems met by the writes since the last call.
  std::vector<StreamProblem> take_problems() { return std::exchange(problems_, {}); }
  // A deadlock or lock-wait timeout: the transaction can simply be retried.
  static bool is_retryable(const std::exception& e);

  // Rows per multi-row statement.
  static constexpr std::size_t kBatchRows = 500;

  // True while the tick's rows go to MariaDB/MySQL by LOAD DATA LOCAL INFILE
  // (database.local_infile) rather than as multi-row statements.
  bool bulk_upload() const { return local_infile_; }
  // A message for the log about how this connection writes (e.g. LOAD DATA
  // LOCAL refused, multi-row statements used instead); empty once taken.
  std::string take_notice() { return std::exchange(notice_, std::string()); }

 private:
  struct InfileSource;

  Store(Backend backend, std::unique_ptr<soci::session> sql);
  // The text of a migration statement as it applies to this database, per
  // its directive; empty when there is nothing to run.
  std::string statement_to_apply(const MigrationStatement& s);
  bool guard_holds(const MigrationStatement::Guard& g);
  // The ALTER that widens a DECIMAL column to at least (precision, scale)
  // and keeps everything else about it; empty when it is wide enough.
  std::string widen_decimal(const std::string& table, const std::string& column, int precision,
                            int scale);
  void detect_columns();
  // Sends rows (tab-separated text) into one of the tick's temporary tables
  // (created by begin_writes) by LOAD DATA LOCAL INFILE.
  // False, with local_infile_ off from then on and notice_ set, when the
  // server or the account refuses it; throws on any other error.
  bool load_rows(const char* table, const std::string& tsv, std::size_t rows);
  // False when LOAD DATA was refused (the rows are not written yet).
  bool write_states_bulk(const std::vector<StateWrite>& rows);
  bool write_displays_bulk(const std::vector<DisplayWrite>& rows);
  // Applies the rows sent since begin_writes() to the real tables.
  void apply_staged();
  void clear_staged();
  // LOAD DATA LOCAL INFILE (or its temporary tables) refused, error e: the
  // rows sent so far are applied, later ones written as multi-row
  // statements, and notice_ says so.
  void stop_bulk_upload(const soci::soci_error& e);
  // Adds the changes the triggers appended to engagementd_real_deltas (for
  // the shard's streams, as the tick's snapshot shows them) to the kept
  // counts, and deletes exactly those rows.
  void fold_real_deltas(const Shard& shard);
  // Creates the engagementd_real_counts rows of streams[which[...]] by
  // counting their rows, and sets their real counts.
  void count_real(std::vector<LiveStream>& streams, const std::vector<std::size_t>& which);

  // Runs write(begin, end) for rows [begin, end) inside a savepoint. When a
  // statement error fails it, the range is halved until the failing rows
  // are found: those are rolled back and reported in problems_ (set aside),
  // the others written. Lost connections and lock conflicts are thrown.
  void isolating(std::size_t begin, std::size_t end,
                 const std::function<void(std::size_t, std::size_t)>& write,
                 const std::function<std::int64_t(std::size_t)>& stream_of);
  // finalize's statements, without the savepoint.
  bool finalize_rows(const Finalization& f);
  // apply_staged for the staged streams with ids in [lo, hi] only.
  void apply_staged_range(long long lo, long long hi, bool whole);
  long long column_limit(const std::string& table, const std::string& column);

  Backend backend_;
  std::unique_ptr<soci::session> sql_;
  SavedStreamsShape saved_shape_ = SavedStreamsShape::absent;
  std::int64_t display_limit_ = std::numeric_limits<std::int64_t>::max();
  std::vector<StreamProblem> problems_;
  // The ids of the streams whose rows were staged since begin_writes().
  std::vector<long long> staged_ids_;
  bool heartbeat_column_ = false;   // stream_viewers.last_seen_at
  bool updated_at_column_ = false;  // live_streams.updated_at
  bool columns_detected_ = false;
  std::int64_t connection_id_ = -1;  // cached: a session's id never changes
  std::optional<std::pair<std::string, std::int64_t>> server_identity_;  // cached too
  std::optional<std::string> node_;                                      // cached too
  bool local_infile_ = false;  // LOAD DATA LOCAL INFILE in use (MariaDB/MySQL)
  std::unique_ptr<InfileSource> infile_;
  bool tick_tables_ready_ = false;  // the temporary tables exist on this connection
  // Rows sent since begin_writes(): each distinct settings text's id, and
  // whether any state or display rows (and new state rows) wait to be applied.
  std::unordered_map<std::string, long long> staged_configs_;
  std::size_t staged_states_ = 0;
  std::size_t staged_displays_ = 0;
  bool staged_new_ = false;
  std::string notice_;
};

}  // namespace engagementd
