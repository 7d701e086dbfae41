#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/database.hpp"
#include "core/engagement.hpp"
#include "core/log.hpp"
#include "core/shard.hpp"
#include "core/simulation.hpp"
#include "store/cluster.hpp"
#include "store/migrations.hpp"
#include "store/server_check.hpp"
#include "store/statements.hpp"
#include "store/tick_store.hpp"

namespace soci {
class session;
class soci_error;
}  // namespace soci

namespace engagementd {

struct InfileSource;
class MysqlStatement;
class RowReader;
struct SqlDialect;
struct StagedRange;
enum class FetchAs;

class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The SOCI implementation of TickStore, for MariaDB/MySQL and SQLite, and
// what the commands need besides (schema, migrations, recount). Its code is
// cut by concern (connection.cpp, schema.cpp, tick_reads.cpp,
// tick_writes.cpp, bulk_writer.cpp, real_counts.cpp, finalization.cpp,
// lease.cpp, audit_rows.cpp); every SQL text is in the dialect's file
// (sql_mysql.cpp, sql_sqlite.cpp). Methods throw soci::soci_error on
// database errors; callers own transactions (begin()/commit(), a
// TickStore::Transaction, or, in the store's own code, session_of() with
// soci::transaction).
class Store final : public TickStore {
 public:
  // Connects; throws std::runtime_error naming the database (never the password).
  static std::unique_ptr<Store> open(const DatabaseConfig& db, const std::string& password);
  ~Store() override;

  Backend backend() const { return backend_; }

  void begin() override;
  void commit() override;
  void rollback() override;

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
  // The schema version as a running daemon reads it at every tick: one read
  // of the version table, 0 when that table is gone.
  int tick_schema_version();
  // After the schema was changed under a running daemon (dropped, migrated
  // again): the site's columns are detected again, the prepared reads made
  // again.
  void schema_changed();

  bool has_column(const std::string& table, const std::string& column);
  bool has_table(const std::string& table);
  // A unique index (or the primary key) on exactly this one column.
  bool has_unique_index_on(const std::string& table, const std::string& column);
  // An index of that name on the table.
  bool has_index(const std::string& table, const std::string& index);

  std::int64_t now_ms() override;

  std::map<std::string, std::optional<std::string>> read_global_settings() override;
  void configure(const Shard& shard, std::chrono::milliseconds real_viewer_ttl) override;
  const Shard& shard() const { return shard_; }
  void read_live_streams(std::size_t chunk,
                         const std::function<void(const std::vector<LiveStream>&)>& fn) override;
  // For tests and tools: configure(shard, real_viewer_ttl), then all the
  // live streams at once.
  std::vector<LiveStream> read_live_streams(std::chrono::milliseconds real_viewer_ttl,
                                            const Shard& shard = {});
  // The SQL text of one chunk's read, e.g. for EXPLAIN. Placeholders: the id
  // range (:after, :upto) and the shard's two (:shard_count, :shard_index);
  // with a heartbeat column in stream_viewers first its derived table's
  // range, :ttl and shard (named _v).
  std::string live_streams_query();
  std::vector<EndedStream> read_ended_streams() override;
  void read_live_rows(std::size_t chunk,
                      const std::function<void(const std::vector<LiveRow>&)>& fn) override;
  std::vector<LiveStream> read_streams(const std::vector<std::int64_t>& ids) override;
  std::vector<std::int64_t> take_stream_changes() override;
  std::vector<RealDelta> fold_real_deltas() override;
  std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> fresh_viewers(
      std::int64_t cutoff_s, std::int64_t after, std::int64_t upto) override;
  std::vector<EndedStream> read_ended_streams(const std::vector<std::int64_t>& ids) override;

  void begin_writes() override;
  void finish_writes() override;
  void insert_configs(const std::vector<ConfigInsert>& rows) override;
  void write_states(const std::vector<StateWrite>& rows) override;
  void write_displays(const std::vector<DisplayWrite>& rows) override;
  bool finalize(const Finalization& f) override;

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
  // streams again from the site's rows. Each stream dropped is appended to
  // engagementd_stream_changes first (take_stream_changes returns it). Run
  // it in a transaction. Returns the rows dropped.
  long long drop_real_counts(std::optional<std::int64_t> stream);

  void append_audit(const std::vector<AuditEvent>& rows) override;
  std::optional<std::string> last_audit_detail(const std::string& event) override;

  std::optional<Lease> lock_lease(int shard) override;
  std::optional<Lease> peek_lease(int shard) override;
  std::optional<LeaseLockHolder> lease_lock_holder(int shard) override;
  std::pair<std::string, std::int64_t> server_identity() override;
  bool write_lease(int shard, const Lease& read, const Lease& next) override;
  void release_lease(int shard, const std::string& holder, std::int64_t token) override;
  std::int64_t connection_id() override;
  // The node this session is on (store/cluster.hpp node_identity; empty
  // on SQLite): a connection id is the node's own.
  std::string node();
  // What the server says of the cluster it is part of (nothing, wsrep off,
  // on SQLite or a single server).
  ClusterFacts cluster_facts();
  void touch_instance(const std::string& holder, int shard_count, std::int64_t now_ms) override;
  std::vector<std::string> present_instances(int shard_count, std::int64_t now_ms,
                                             std::int64_t within_ms) override;
  void forget_instance(const std::string& holder) override;
  std::vector<ShardLeaseSeen> shard_leases(int shard_count) override;
  void kill_connection(std::int64_t id) override;

  // The site's saved_streams as found (check_schema / migrate).
  SavedStreamsLayout saved_streams_layout();
  std::int64_t display_limit() override;
  long long sync_saved_streams(std::int64_t now_ms, std::int64_t window_ms) override;
  SummarySweep sweep_summaries(std::int64_t after, std::int64_t purge_before_ms) override;
  std::vector<StreamProblem> take_problems() override { return std::exchange(problems_, {}); }

  // True while the tick's rows go to MariaDB/MySQL by LOAD DATA LOCAL INFILE
  // (database.local_infile) rather than as multi-row statements.
  bool bulk_upload() const { return local_infile_; }
  std::string take_notice() override { return std::exchange(notice_, std::string()); }

 private:
  // The connection, for the store's own code only (store/session.hpp).
  friend soci::session& session_of(Store& store);

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
  // LOAD DATA by `statement` into `table` (the file's name is the table's).
  bool load_rows(Sql statement, const char* table, const std::string& tsv, std::size_t rows);
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
  // Creates the engagementd_real_counts rows of streams[which[...]] by
  // counting their rows, and sets their real counts.
  void count_real(std::vector<LiveStream>& streams, const std::vector<std::size_t>& which);
  // A read of whole-number and text columns (tick_reads.cpp): by prepared
  // statements in the binary protocol on MariaDB/MySQL (kept for the
  // connection's life when `keep`, one per text), through SOCI elsewhere
  // (`block` rows a fetch). `params`: its number of placeholders.
  std::unique_ptr<RowReader> row_reader(const std::string& text, std::vector<FetchAs> columns,
                                        std::size_t params, std::size_t block, bool keep);
  // Calls each(after, upto) for the successive id ranges holding `chunk`
  // live streams of the shard (the last one up to the largest id).
  void each_chunk(const Shard& shard, std::size_t chunk,
                  const std::function<void(long long, long long)>& each);
  // The live streams' read with the values of its placeholders, the rows
  // decoded and the streams without kept counts counted.
  void read_live(RowReader& rows, const std::vector<long long>& params,
                 std::vector<LiveStream>& out);
  // read_ended_streams; with ids only those.
  std::vector<EndedStream> ended_streams(const Shard& shard, const std::vector<std::int64_t>& ids);

  // Runs write(begin, end) for rows [begin, end) inside a savepoint. When a
  // statement error fails it, the range is halved until the failing rows
  // are found: those are rolled back and reported in problems_ (set aside),
  // the others written. Lost connections and lock conflicts are thrown.
  void isolating(std::size_t begin, std::size_t end,
                 const std::function<void(std::size_t, std::size_t)>& write,
                 const std::function<std::int64_t(std::size_t)>& stream_of);
  // finalize's statements, without the savepoint.
  bool finalize_rows(const Finalization& f);
  // apply_staged for the staged streams with ids in the range only (all
  // of them without one).
  void apply_staged_range(const std::optional<StagedRange>& range);
  long long column_limit(const std::string& table, const std::string& column);

  Backend backend_;
  // Every SQL text this store runs, in its database's dialect.
  const SqlDialect& dialect_;
  std::unique_ptr<soci::session> sql_;
  SavedStreamsLayout saved_layout_ = SavedStreamsLayout::absent;
  std::int64_t display_limit_ = std::numeric_limits<std::int64_t>::max();
  std::vector<StreamProblem> problems_;
  // The ids of the streams whose rows were staged since begin_writes().
  std::vector<long long> staged_ids_;
  // The shard the tick's reads are for and the real-viewer TTL (configure).
  Shard shard_{};
  std::chrono::milliseconds real_viewer_ttl_{60'000};
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
  // The binary protocol's prepared reads, per SQL text; closed before the
  // session (declared after it), dropped after a connection error.
  std::unordered_map<std::string, std::unique_ptr<MysqlStatement>> prepared_;
  bool drop_prepared_ = false;
};

}  // namespace engagementd
