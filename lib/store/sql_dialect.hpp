#pragma once

// Every SQL text the store runs, one table per dialect: sql_mysql.cpp
// (MariaDB/MySQL) and sql_sqlite.cpp (SQLite) each fill a whole SqlDialect,
// every statement written out in full, so that a DBA reads in one file
// exactly what runs on their database. The store's code names a statement
// and binds its values; it never assembles dialect text itself. Where the
// two databases need a different course of action (not only another text),
// a named property below says why.
//
// Internal to lib/store/.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/database.hpp"
#include "core/shard.hpp"
#include "store/migrations.hpp"
#include "store/tick_store.hpp"

namespace soci {
class session;
}  // namespace soci

namespace engagementd {

struct InfileSource;

// The schema version bookkeeping table.
inline constexpr const char* kVersionTable = "engagementd_schema_version";

// How the rows of a multi-row statement are written between its head and
// its tail (run_rows in statement.hpp writes them; every value is bound).
enum class RowsForm {
  values,         // (a, b), (c, d): INSERT ... VALUES, SQLite's FROM (VALUES ...)
  derived_table,  // SELECT a AS x, b AS y UNION ALL SELECT c, d: MariaDB's UPDATE ... JOIN (...)
  list,           // a, b, c: an IN (...) list, one value a row
};

// A statement with many rows: head, the rows, tail.
struct RowsStatement {
  std::string head;
  RowsForm form = RowsForm::values;
  // derived_table: the derived table's column names (said in its first row).
  std::vector<std::string> names;
  std::string tail;
};

struct SavepointSql {
  std::string set;
  std::string release;
  std::string rollback_to;
};

// A range of staged stream ids, both ends included.
struct StagedRange {
  long long lo = 0;
  long long hi = 0;
};

// MariaDB/MySQL's bulk writer (bulk_writer.cpp): the tick's rows sent by
// LOAD DATA LOCAL INFILE into temporary tables, then applied to the real
// tables by one statement each.
struct BulkSql {
  // Run once per connection: the tables the rows are loaded into.
  std::vector<std::string> create_tables;
  // Run at each tick's start.
  std::vector<std::string> clear_tables;
  std::string (*load)(const std::string& file, const std::string& table) = nullptr;
  // The statements applying the staged rows; for the streams of `range`
  // only when given (a failing stream is looked for).
  std::string (*update_states)(const std::optional<StagedRange>& range) = nullptr;
  std::string (*update_state_configs)(const std::optional<StagedRange>& range) = nullptr;
  std::string (*insert_states)(bool with_configs,
                               const std::optional<StagedRange>& range) = nullptr;
  std::string (*update_displays)(bool keep_updated_at,
                                 const std::optional<StagedRange>& range) = nullptr;
};

struct SqlDialect {
  // --- What this database is like, where the course differs ---
  // DDL in a transaction (SQLite): a migration is applied whole or not at
  // all. Otherwise (MariaDB commits each DDL statement) the server is
  // checked before anything changes and migrators take a named lock.
  bool transactional_ddl = false;
  // Columns hold only their declared type's range (MariaDB): display
  // numbers are clamped to it, and DECIMAL columns are widened.
  bool typed_columns = false;
  // Row locks: the lease row is locked with FOR UPDATE NOWAIT and stamped.
  // Without (SQLite) the transaction's write lock serializes instances.
  bool row_locks = false;
  // A server with sessions: connection ids, KILL, a server's identity.
  bool server_sessions = false;

  // Connects (and checks the connection is as configured).
  std::unique_ptr<soci::session> (*connect)(const DatabaseConfig& db, const std::string& password,
                                            InfileSource* infile) = nullptr;
  // Run on every new connection, in order.
  std::vector<std::string> session_setup;
  const std::vector<Migration>& (*migrations)() = nullptr;
  // Null when there is no bulk writer (SQLite).
  const BulkSql* bulk = nullptr;

  // --- Schema (schema.cpp); placeholders :t table, :c column, :i index ---
  std::string count_columns;
  std::string count_tables;
  std::string count_unique_single_column_indexes;
  std::string count_indexes;
  // typed_columns: column_type; data_type, column_type, is_nullable,
  // column_default, precision, scale and the quoted comment.
  std::string column_type;
  std::string decimal_column;
  // typed_columns: the ALTER that makes a column DECIMAL(precision, scale)
  // keeping the rest of it as read by decimal_column.
  struct DecimalColumn {
    std::string table, column, column_type, nullable;
    std::optional<std::string> default_value;
    std::string comment_literal;
  };
  std::string (*alter_decimal)(const DecimalColumn& c, long long precision,
                               long long scale) = nullptr;
  std::string create_version_table;
  std::string max_schema_version;
  std::string insert_schema_version;  // :v, :n
  // server_sessions: the server's facts and this account's grants.
  std::string server_settings;
  std::string current_database;
  std::string own_grants;
  std::string current_roles;
  std::string (*role_grants)(const std::string& role) = nullptr;

  // --- The tick's reads (tick_reads.cpp) ---
  std::string now_ms;
  std::string global_settings;
  // One chunk of live streams (see Store::live_streams_query), or with ids
  // the named streams (literals in the text, no id range placeholders).
  std::string (*live_streams)(bool heartbeat_column, const Shard& shard,
                              const std::vector<std::int64_t>& ids) = nullptr;
  // The last id of the next chunk: the chunk-th live id after :after.
  std::string (*chunk_end)(const Shard& shard, std::size_t chunk) = nullptr;
  // The ended streams to finalize; with ids only those.
  std::string (*ended_streams)(const Shard& shard, const std::vector<std::int64_t>& ids) = nullptr;

  // --- The reads of what changed (changed_reads.cpp) ---
  // The ids and display columns of the live streams of :after < id <= :upto.
  std::string (*live_rows)(const Shard& shard) = nullptr;
  // The real-viewer sweep (a heartbeat column): the open real sessions
  // last seen at or after :cutoff (Unix seconds) per stream of
  // :after < stream_id <= :upto.
  std::string (*fresh_viewers)(const Shard& shard) = nullptr;

  // --- Real counts (real_counts.cpp) ---
  // The appended deltas summed on the server per stream and seen_s (only a
  // viewer's leave has one: schema 012): stream_id, seen_s, viewers, likes,
  // dislikes, comments.
  std::string (*real_deltas)(const Shard& shard) = nullptr;
  // The same rows' ids as runs of consecutive ids: first, last.
  std::string (*real_delta_runs)(const Shard& shard) = nullptr;
  RowsStatement add_real_deltas;     // stream_id, viewers, likes, dislikes, comments
  RowsStatement delete_real_deltas;  // ids
  // The rows strictly inside a run (:first < id < :last).
  std::string delete_real_delta_run;
  // Grouped counts of the streams in `placeholders` (":i0, :i1, ...").
  std::string (*count_open_viewers)(const std::string& placeholders) = nullptr;
  std::string (*count_interactions)(const std::string& placeholders) = nullptr;
  RowsStatement upsert_real_counts;  // stream_id, viewers, likes, dislikes, comments
  std::string (*check_real_counts)(bool one_stream) = nullptr;
  std::string drop_real_counts;
  std::string drop_stream_real_counts;  // :id
  // recount: the streams whose kept counts are dropped, appended to
  // engagementd_stream_changes first (every one, or one: :id).
  std::string note_dropped_real_counts;
  std::string note_dropped_stream_real_counts;  // :id

  // --- Stream changes (stream_changes.cpp) ---
  // id, stream_id of the shard's rows, in id order.
  std::string (*stream_changes)(const Shard& shard) = nullptr;
  RowsStatement delete_stream_changes;  // ids

  // --- The tick's writes (tick_writes.cpp) ---
  RowsStatement insert_configs;  // stream_id and the eight settings
  // stream_id, the state's nine numbers (finalized_ms NULL) and config_json.
  RowsStatement upsert_states;
  // stream_id and the six display columns: live streams, or (finalization)
  // streams no longer live.
  RowsStatement (*update_displays)(bool keep_updated_at, bool live) = nullptr;
  SavepointSql rows_savepoint;

  // --- Finalization (finalization.cpp) ---
  std::string finalize_state;        // :ms, :id
  std::string delete_stream_counts;  // :id
  std::string final_saved_migration;  // :viewers, :likes, :id
  std::string final_saved_dump;    // :viewers, :likes, :dislikes, :id
  std::string replace_summary;       // fifteen values
  std::string (*sync_saved_streams)(SavedStreamsLayout layout, long long display_limit) = nullptr;
  SavepointSql saved_savepoint;
  // The summary following the site (sweep_summaries), over the summary rows
  // with stream_id in (:after, :upto].
  std::string summary_sweep_upto;     // :after; the range's end (NULL: none)
  std::string summary_follow_status;  // :after, :upto
  std::string summary_mark_deleted;   // :after, :upto
  std::string purge_deleted_state;    // :after, :upto, :before

  // --- The lease (lease.cpp) ---
  std::string read_lease;  // :s
  std::string lock_lease;  // row_locks: read_lease locking the row
  std::string create_lease;
  std::string stamp_lease_lock;  // row_locks
  std::string write_lease;
  std::string release_lease;
  std::string upsert_instance;  // engagementd_instances (:h, :c, :n)
  // server_sessions
  std::string read_uncommitted;
  std::string repeatable_read;
  std::string read_lease_stamp;
  std::string read_lease_nonce;
  std::string current_user;
  std::string server_identity;
  std::string server_uptime;
  std::string connection_id;
  std::string (*kill_connection)(long long id) = nullptr;

  // --- Audit (audit_rows.cpp) ---
  RowsStatement append_audit;  // at_ms, event, stream_id (NULL if none), detail
  std::string last_audit_detail;
};

// Stream ids as integer literals for an IN (...) list: "1, 2, 3".
inline std::string literal_ids(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (const std::int64_t id : ids) {
    if (!out.empty()) out += ", ";
    out += std::to_string(id);
  }
  return out;
}

const SqlDialect& mysql_dialect();
const SqlDialect& sqlite_dialect();
// The one place a backend picks its dialect.
const SqlDialect& dialect_for(Backend backend);

}  // namespace engagementd
