#pragma once

// The name of every SQL statement engagementd runs, as ISC Kea's database
// backends index theirs: one enum, and per dialect one table of
// {name, whole text} (sql_mysql.cpp for MariaDB/MySQL, sql_sqlite.cpp for
// SQLite, sql_common.cpp for the texts both run alike, said once there).
// The code names a statement and binds its values; it never writes SQL.
// Variants (with or without a heartbeat column, one stream or all, ...) are
// statements of their own. tests/unit/test_sql_dialect.cpp and
// tests/store/test_statements.cpp go through this list, so a statement
// cannot be added without a text for both databases, nor a text that does
// not prepare.
//
// Three kinds of text besides a plain statement (see ARCHITECTURE.md):
// - {rows}: a multi-row statement; RowsWriter (statement.hpp) writes its
//   rows there in the table's form, every value bound.
// - {ids}: an IN list of bound stream ids (:i0, :i1, ...), as many as the
//   batch has (at most TickStore::kBatchRows); {ids_v} a second one in the
//   same statement (:v0, :v1, ...). with_ids() (sql_dialect.hpp) writes them.
// - {name} placeholders of other names: names of objects (DDL, accounts,
//   the file of LOAD DATA), which a database cannot bind; with_names()
//   (per_dialect.hpp) puts in names engagementd chose or quoted.
//
// Internal to lib/store/.

#include <cstddef>
#include <cstdint>

namespace engagementd {

// X(name): every statement, by concern. A statement a database has no use
// for has the text kNoStatement in that database's table (said there).
#define ENGAGEMENTD_STATEMENTS(X)                                                      \
  /* A new connection (connection.cpp, mysql_connect.cpp) */                          \
  X(set_utc_time_zone)                                                                 \
  X(set_lock_wait_timeout)                                                             \
  X(ssl_cipher)                                                                        \
  X(set_busy_timeout)                                                                  \
  X(set_wal_journal)                                                                   \
  /* The schema (schema.cpp) */                                                        \
  X(count_columns)                                                                     \
  X(count_tables)                                                                      \
  X(count_unique_single_column_indexes)                                                \
  X(count_indexes)                                                                     \
  X(column_type)                                                                       \
  X(decimal_column)                                                                    \
  X(alter_decimal)                                                                     \
  X(create_version_table)                                                              \
  X(max_schema_version)                                                                \
  X(insert_schema_version)                                                             \
  X(server_settings)                                                                   \
  X(current_database)                                                                  \
  X(own_grants)                                                                        \
  X(current_roles)                                                                     \
  X(role_grants)                                                                       \
  /* The tick's reads (tick_reads.cpp, changed_reads.cpp) */                           \
  X(now_ms)                                                                            \
  X(global_settings)                                                                   \
  X(live_streams)                                                                      \
  X(live_streams_heartbeat)                                                            \
  X(named_live_streams)                                                                \
  X(named_live_streams_heartbeat)                                                      \
  X(chunk_end)                                                                         \
  X(ended_streams)                                                                     \
  X(named_ended_streams)                                                               \
  X(live_rows)                                                                         \
  X(fresh_viewers)                                                                     \
  /* Real counts (real_counts.cpp) */                                                  \
  X(real_deltas)                                                                       \
  X(real_delta_runs)                                                                   \
  X(delete_real_delta_run)                                                             \
  X(add_real_deltas)                                                                   \
  X(delete_real_deltas)                                                                \
  X(count_open_viewers)                                                                \
  X(count_interactions)                                                                \
  X(upsert_real_counts)                                                                \
  X(check_real_counts)                                                                 \
  X(check_stream_real_counts)                                                          \
  X(drop_real_counts)                                                                  \
  X(drop_stream_real_counts)                                                           \
  X(note_dropped_real_counts)                                                          \
  X(note_dropped_stream_real_counts)                                                   \
  /* Stream changes (stream_changes.cpp) */                                            \
  X(stream_changes)                                                                    \
  X(delete_stream_changes)                                                             \
  /* The tick's writes (tick_writes.cpp, finalization.cpp) */                         \
  X(insert_configs)                                                                    \
  X(upsert_states)                                                                     \
  X(update_live_displays)                                                              \
  X(update_live_displays_keep_updated_at)                                              \
  X(update_ended_displays)                                                             \
  X(update_ended_displays_keep_updated_at)                                             \
  X(set_rows_savepoint)                                                                \
  X(release_rows_savepoint)                                                            \
  X(rollback_to_rows_savepoint)                                                        \
  /* The bulk writer (bulk_writer.cpp) */                                              \
  X(raise_heap_table_size)                                                             \
  X(create_tick_state)                                                                 \
  X(create_tick_config)                                                                \
  X(create_tick_display)                                                               \
  X(clear_tick_state)                                                                  \
  X(clear_tick_config)                                                                 \
  X(clear_tick_display)                                                                \
  X(load_tick_state)                                                                   \
  X(load_tick_config)                                                                  \
  X(load_tick_display)                                                                 \
  X(update_staged_states)                                                              \
  X(update_staged_state_configs)                                                       \
  X(insert_staged_states)                                                              \
  X(insert_staged_states_with_configs)                                                 \
  X(update_staged_displays)                                                            \
  X(update_staged_displays_keep_updated_at)                                            \
  /* Finalization (finalization.cpp) */                                                \
  X(finalize_state)                                                                    \
  X(delete_stream_counts)                                                              \
  X(final_saved_migration)                                                             \
  X(final_saved_dump)                                                                  \
  X(replace_summary)                                                                   \
  X(sync_saved_migration)                                                              \
  X(sync_saved_dump)                                                                   \
  X(set_saved_savepoint)                                                               \
  X(release_saved_savepoint)                                                           \
  X(rollback_to_saved_savepoint)                                                       \
  X(summary_sweep_upto)                                                                \
  X(summary_follow_status)                                                             \
  X(summary_mark_deleted)                                                              \
  X(purge_deleted_state)                                                               \
  /* The lease and the instances (lease.cpp, cluster.cpp) */                           \
  X(read_lease)                                                                        \
  X(lock_lease)                                                                        \
  X(create_lease)                                                                      \
  X(stamp_lease_lock)                                                                  \
  X(write_lease)                                                                       \
  X(release_lease)                                                                     \
  X(upsert_instance)                                                                   \
  X(present_instances)                                                                 \
  X(forget_instance)                                                                   \
  X(shard_leases)                                                                      \
  X(read_uncommitted)                                                                  \
  X(repeatable_read)                                                                   \
  X(read_lease_stamp)                                                                  \
  X(read_lease_nonce)                                                                  \
  X(current_user)                                                                      \
  X(server_identity)                                                                   \
  X(server_uptime)                                                                     \
  X(connection_id)                                                                     \
  X(kill_connection)                                                                   \
  /* A cluster and migrate's lock (cluster.cpp) */                                     \
  X(cluster_variables)                                                                 \
  X(cluster_status)                                                                    \
  X(wsrep_on)                                                                          \
  X(causal_reads)                                                                      \
  X(create_migration_lock)                                                             \
  X(read_migration_lock)                                                               \
  X(migration_lock_holder)                                                             \
  X(claim_migration_lock)                                                              \
  X(stale_migration_lock)                                                              \
  X(take_over_migration_lock)                                                          \
  X(renew_migration_lock)                                                              \
  X(drop_migration_lock)                                                               \
  X(named_lock_used)                                                                   \
  X(get_named_lock)                                                                    \
  X(release_named_lock)                                                                \
  /* The audit rows (audit_rows.cpp) */                                                \
  X(append_audit)                                                                      \
  X(last_audit_detail)                                                                 \
  /* The operator's commands (admin_queries.cpp) */                                    \
  X(stream_exists)                                                                     \
  X(stream_status)                                                                     \
  X(live_stream_ids)                                                                   \
  X(read_stream_config)                                                                \
  X(write_stream_config)                                                               \
  X(write_global_setting)                                                              \
  X(report)                                                                            \
  /* doctor (doctor_queries.cpp) */                                                    \
  X(open_sessions)                                                                     \
  X(open_sessions_beating)                                                             \
  X(settled_sessions)                                                                  \
  X(settled_sessions_beating)                                                          \
  X(recent_fake_viewers)                                                               \
  X(recent_fake_interactions)                                                          \
  X(recent_set_asides)                                                                 \
  /* uninstall (uninstall.cpp) */                                                      \
  X(has_trigger)                                                                       \
  X(has_index)                                                                         \
  X(column_comment)                                                                    \
  X(count_rows)                                                                        \
  X(count_live_streams)                                                                \
  X(count_badged_streams)                                                              \
  X(count_badged_rows)                                                                 \
  X(count_beating_sessions)                                                            \
  X(count_replay_links)                                                                \
  X(drop_trigger)                                                                      \
  X(drop_table)                                                                        \
  X(drop_account)                                                                      \
  X(drop_index)                                                                        \
  X(drop_column)                                                                       \
  X(show_real_numbers)                                                                 \
  X(show_real_numbers_badged)                                                          \
  X(show_fresh_real_numbers)                                                           \
  X(show_fresh_real_numbers_badged)                                                    \
  X(show_real_peak)                                                                    \
  X(show_real_peak_badged)                                                             \
  X(show_viewers_as_peak)                                                              \
  X(show_viewers_as_peak_badged)                                                       \
  X(badge_off)                                                                         \
  X(badge_off_badged)                                                                  \
  /* The triggers' own account (trigger_account.cpp) */                               \
  X(list_triggers)                                                                     \
  X(count_accounts_named)                                                              \
  X(count_accounts)                                                                    \
  X(create_account)                                                                    \
  X(lock_account)                                                                      \
  X(grant)                                                                             \
  X(show_create_trigger)                                                               \
  X(save_sql_mode)                                                                     \
  X(set_sql_mode)                                                                      \
  X(lock_table)                                                                        \
  X(unlock_tables)                                                                     \
  X(restore_sql_mode)

enum class Sql : std::uint16_t {
#define ENGAGEMENTD_SQL_ENUM(name) name,
  ENGAGEMENTD_STATEMENTS(ENGAGEMENTD_SQL_ENUM)
#undef ENGAGEMENTD_SQL_ENUM
};

#define ENGAGEMENTD_SQL_COUNT(name) +1
inline constexpr std::size_t kSqlCount = 0 ENGAGEMENTD_STATEMENTS(ENGAGEMENTD_SQL_COUNT);
#undef ENGAGEMENTD_SQL_COUNT

// The statement's name, e.g. "live_streams" (for messages and tests).
const char* sql_name(Sql s);

// How the rows of a {rows} statement are written (RowsWriter in
// statement.hpp; every value is bound).
enum class RowsForm {
  none,           // not a {rows} statement
  values,         // (a, b), (c, d): INSERT ... VALUES, SQLite's FROM (VALUES ...)
  derived_table,  // SELECT a AS x, b AS y UNION ALL SELECT c, d: MariaDB's UPDATE ... JOIN (...)
  list,           // a, b, c: an IN (...) list, one value a row
};

// One statement of a dialect's table: its name and whole text; for a
// {rows} statement the form of its rows and their columns (", "-separated;
// named in the first row of a derived table).
struct SqlText {
  Sql name;
  const char* text;
  RowsForm form = RowsForm::none;
  const char* columns = nullptr;
};

// The text of a statement a database has no use for (e.g. SQLite has no
// row locks, no accounts, no bulk writer); running it is a logic error.
inline constexpr const char* kNoStatement = nullptr;

}  // namespace engagementd
