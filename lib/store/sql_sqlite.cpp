// Every statement the store runs on SQLite whose text is SQLite's own (see
// statements.hpp; the texts both databases share are in sql_common.cpp),
// and the connection's set-up.

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <stdexcept>
#include <iterator>
#include <string>

#include "store/per_dialect.hpp"
#include "store/sql_dialect.hpp"

namespace engagementd {
namespace {

// The four reads of live streams (a chunk or the named ones, with or
// without a heartbeat column) share their columns, joins and shard filter:
// written once here, each statement below is still one constant text (the
// compiler joins the literals). VIEWERS names the real viewers' table:
// rc (the kept counts) or rv (the sessions seen within the TTL).
#define LIVE_STREAMS_SELECT(VIEWERS)                                                       \
  "SELECT CAST(ls.id AS TEXT), CAST(ls.viewer_count AS TEXT), "                            \
  "CAST(ls.max_viewers AS TEXT), CAST(ls.like_count AS TEXT), "                            \
  "CAST(ls.dislike_count AS TEXT), CAST(ls.comment_count AS TEXT), "                       \
  "CAST(ls.includes_simulated AS TEXT), CAST(c.stream_id AS TEXT), "                       \
  "CAST(c.fake_viewers_enabled AS TEXT), CAST(c.fake_likes_enabled AS TEXT), "             \
  "CAST(c.min_fake_viewers AS TEXT), CAST(c.max_fake_viewers AS TEXT), "                   \
  "CAST(c.viewer_increase_rate AS TEXT), CAST(c.viewer_decrease_rate AS TEXT), "           \
  "CAST(c.like_rate AS TEXT), CAST(c.engagement_multiplier AS TEXT), "                     \
  "CAST(st.stream_id AS TEXT), CAST(st.sim_viewers AS TEXT), "                             \
  "CAST(st.sim_joins AS TEXT), CAST(st.sim_likes AS TEXT), "                               \
  "CAST(st.peak_viewers AS TEXT), CAST(st.first_tick_ms AS TEXT), "                        \
  "CAST(st.last_tick_ms AS TEXT), CAST(st.finalized_ms AS TEXT), "                         \
  "CAST(st.real_peak AS TEXT), CAST(st.sim_peak AS TEXT), "                                \
  "CAST(st.config_json AS TEXT), CAST(" VIEWERS ".viewers AS TEXT), CAST(rc.likes AS TEXT), " \
  "CAST(rc.dislikes AS TEXT), CAST(rc.comments AS TEXT), CAST(rc.stream_id AS TEXT)"       \
  " FROM live_streams ls"                                                                  \
  " LEFT JOIN stream_engagement_config c ON c.stream_id = ls.id"                           \
  " LEFT JOIN engagementd_stream_state st ON st.stream_id = ls.id"                         \
  " LEFT JOIN engagementd_real_counts rc ON rc.stream_id = ls.id"
// rv: the open sessions seen within :ttl seconds of the STREAMS' live rows.
#define LIVE_STREAMS_FRESH_VIEWERS(STREAMS)                                                  \
  " LEFT JOIN (SELECT sv.stream_id, COUNT(*) AS viewers FROM live_streams lv"                \
  "   JOIN stream_viewers sv ON sv.stream_id = lv.id"                                        \
  "   WHERE lv.status = 'live' AND " STREAMS                                                 \
  "   AND sv.is_fake = 0 AND sv.left_at IS NULL"                                             \
  "   AND COALESCE(sv.last_seen_at, sv.joined_at) >= datetime('now', '-' || :ttl || ' seconds')" \
  "   AND ((((lv.id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"           \
  " % 2147483587) % :shard_count_v = :shard_index_v"                                         \
  "   GROUP BY sv.stream_id) rv ON rv.stream_id = ls.id"
#define LIVE_STREAMS_SHARD_ORDER                                                 \
  " AND ((((ls.id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)" \
  " % 2147483587) % :shard_count = :shard_index ORDER BY ls.id"

// Values are read as text where SOCI's SQLite backend would read a column
// declared INT through a 32-bit int (CAST(... AS TEXT), NULL kept).
constexpr SqlText kStatements[] = {
    // --- A new connection ---
    {Sql::set_utc_time_zone, kNoStatement},      // the clock is UTC already
    {Sql::set_lock_wait_timeout, kNoStatement},  // set_busy_timeout instead
    {Sql::ssl_cipher, kNoStatement},             // a file, no connection to encrypt
    // {milliseconds}: database.write_timeout (a PRAGMA binds no value).
    {Sql::set_busy_timeout, "PRAGMA busy_timeout = {milliseconds}"},
    // WAL: the site's readers never wait for a tick's write.
    {Sql::set_wal_journal, "PRAGMA journal_mode=WAL"},

    // --- The schema; :t table, :c column, :i index ---
    {Sql::count_columns, "SELECT COUNT(*) FROM pragma_table_info(:t) WHERE name = :c"},
    {Sql::count_tables, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t"},
    {Sql::count_unique_single_column_indexes,
     "SELECT COUNT(*) FROM pragma_index_list(:t) il"
     " WHERE il.\"unique\" = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1"
     " AND (SELECT name FROM pragma_index_info(il.name)) = :c"},
    {Sql::count_indexes,
     "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
     " AND name = :i"},
    // SQLite keeps any value in any column: nothing to clamp to or widen.
    {Sql::column_type, kNoStatement},
    {Sql::decimal_column, kNoStatement},
    {Sql::alter_decimal, kNoStatement},
    {Sql::create_version_table,
     "CREATE TABLE IF NOT EXISTS engagementd_schema_version ("
     " version INTEGER NOT NULL PRIMARY KEY,"
     " name TEXT NOT NULL,"
     " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"},
    // No server, no accounts.
    {Sql::server_settings, kNoStatement},
    {Sql::current_database, kNoStatement},
    {Sql::own_grants, kNoStatement},
    {Sql::current_roles, kNoStatement},
    {Sql::role_grants, kNoStatement},

    // --- The tick's reads (see sql_mysql.cpp for what each reads) ---
    {Sql::now_ms,
     "SELECT CAST(strftime('%s','now') AS INTEGER) * 1000"
     " + CAST(substr(strftime('%f','now'), 4) AS INTEGER)"},
    {Sql::global_settings,
     "SELECT setting_key, substr(setting_value, 1, 257) FROM global_stream_settings"
     " WHERE setting_key IN ('fake_viewers_enabled', 'fake_likes_enabled',"
     " 'min_fake_viewers', 'max_fake_viewers', 'viewer_increase_rate',"
     " 'viewer_decrease_rate', 'like_rate', 'engagement_multiplier',"
     " 'simulation_enabled', 'sim_watch_minutes')"},
    // The live-stream reads, as MariaDB's (every value as text, see above).
    {Sql::live_streams,
     LIVE_STREAMS_SELECT("rc") " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto"
     LIVE_STREAMS_SHARD_ORDER},
    {Sql::live_streams_heartbeat,
     LIVE_STREAMS_SELECT("rv") LIVE_STREAMS_FRESH_VIEWERS("lv.id > :after_v AND lv.id <= :upto_v")
     " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto" LIVE_STREAMS_SHARD_ORDER},
    {Sql::named_live_streams,
     LIVE_STREAMS_SELECT("rc") " WHERE ls.status = 'live' AND ls.id IN ({ids})"
     LIVE_STREAMS_SHARD_ORDER},
    {Sql::named_live_streams_heartbeat,
     LIVE_STREAMS_SELECT("rv") LIVE_STREAMS_FRESH_VIEWERS("lv.id IN ({ids_v})")
     " WHERE ls.status = 'live' AND ls.id IN ({ids})" LIVE_STREAMS_SHARD_ORDER},
    {Sql::ended_streams,
     "SELECT st.stream_id, CASE WHEN ls.id IS NULL THEN 0 ELSE 1 END,"
     " substr(COALESCE(ls.status, ''), 1, 257),"
     " st.sim_viewers, st.sim_joins, st.sim_likes, st.peak_viewers, st.first_tick_ms,"
     " st.last_tick_ms, st.real_peak, st.sim_peak,"
     " (SELECT COUNT(DISTINCT sv.session_id) FROM stream_viewers sv"
     "   WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = st.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = st.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = st.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'comment'),"
     " COALESCE(CAST(ROUND((julianday(COALESCE(ls.ended_at, 'now'))"
     " - julianday(ls.started_at)) * 86400) AS INTEGER), -1)"
     " FROM engagementd_stream_state st LEFT JOIN live_streams ls ON ls.id = st.stream_id"
     " WHERE st.finalized_ms IS NULL AND (ls.id IS NULL OR ls.status <> 'live')"
     " AND ((((st.stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)" 
     " % 2147483587) % :shard_count = :shard_index ORDER BY st.stream_id"},
    {Sql::named_ended_streams,
     "SELECT st.stream_id, CASE WHEN ls.id IS NULL THEN 0 ELSE 1 END,"
     " substr(COALESCE(ls.status, ''), 1, 257),"
     " st.sim_viewers, st.sim_joins, st.sim_likes, st.peak_viewers, st.first_tick_ms,"
     " st.last_tick_ms, st.real_peak, st.sim_peak,"
     " (SELECT COUNT(DISTINCT sv.session_id) FROM stream_viewers sv"
     "   WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = st.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = st.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = st.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'comment'),"
     " COALESCE(CAST(ROUND((julianday(COALESCE(ls.ended_at, 'now'))"
     " - julianday(ls.started_at)) * 86400) AS INTEGER), -1)"
     " FROM engagementd_stream_state st LEFT JOIN live_streams ls ON ls.id = st.stream_id"
     " WHERE st.finalized_ms IS NULL AND (ls.id IS NULL OR ls.status <> 'live')"
     " AND st.stream_id IN ({ids})"
     " AND ((((st.stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)" 
     " % 2147483587) % :shard_count = :shard_index ORDER BY st.stream_id"},
    {Sql::live_rows,
     "SELECT CAST(ls.id AS TEXT), CAST(ls.viewer_count AS TEXT), CAST(ls.max_viewers AS TEXT),"
     " CAST(ls.like_count AS TEXT), CAST(ls.dislike_count AS TEXT),"
     " CAST(ls.comment_count AS TEXT), CAST(ls.includes_simulated AS TEXT)"
     " FROM live_streams ls"
     " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto"
     " AND ((((ls.id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)" 
     " % 2147483587) % :shard_count = :shard_index ORDER BY ls.id"},
    {Sql::fresh_viewers,
     // A range of stream ids on the site's (stream_id, is_fake, left_at)
     // index; the rows of streams that are not live (or not kept) are left
     // aside by the caller. :cutoff in Unix seconds.
     "SELECT CAST(stream_id AS TEXT), COUNT(*) FROM stream_viewers"
     " WHERE stream_id > :after AND stream_id <= :upto AND is_fake = 0 AND left_at IS NULL"
     " AND COALESCE(last_seen_at, joined_at) >= datetime(:cutoff, 'unixepoch') AND "
     "((((stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index GROUP BY stream_id ORDER BY stream_id"},
    // The appended deltas summed per stream and seen_s (only a viewer's
    // leave has one: schema 012).
    {Sql::real_deltas,
     "SELECT CAST(stream_id AS TEXT), CAST(seen_s AS TEXT), CAST(SUM(viewers) AS TEXT),"
     " CAST(SUM(likes) AS TEXT), CAST(SUM(dislikes) AS TEXT), CAST(SUM(comments) AS TEXT)"
     " FROM engagementd_real_deltas WHERE "
     "((((stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index GROUP BY stream_id, seen_s ORDER BY stream_id"},
    // The same rows' ids as runs of consecutive ids (first, last):
    // consecutive ids have the same id - ROW_NUMBER().
    {Sql::real_delta_runs,
     "SELECT CAST(MIN(id) AS TEXT), CAST(MAX(id) AS TEXT)"
     " FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run"
     " FROM engagementd_real_deltas WHERE "
     "((((stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index) r GROUP BY run ORDER BY 1"},

    // --- Real counts ---
    {Sql::add_real_deltas,
     "UPDATE engagementd_real_counts SET viewers = viewers + d.column2, likes = likes +"
     " d.column3, dislikes = dislikes + d.column4, comments = comments + d.column5 FROM"
     " (VALUES {rows}) AS d WHERE engagementd_real_counts.stream_id = d.column1",
     RowsForm::values, "stream_id, viewers, likes, dislikes, comments"},
    {Sql::delete_real_deltas, "DELETE FROM engagementd_real_deltas WHERE id IN ({rows})",
     RowsForm::list, "id"},
    {Sql::count_interactions,
     "SELECT stream_id, interaction_type, COUNT(*) FROM stream_interactions"
     " WHERE stream_id IN ({ids}) AND is_fake = 0"
     " AND interaction_type IN ('like', 'dislike', 'comment')"
     " GROUP BY stream_id, interaction_type"},
    {Sql::upsert_real_counts,
     "INSERT INTO engagementd_real_counts (stream_id, viewers, likes, dislikes, comments)"
     " VALUES {rows} ON CONFLICT(stream_id) DO UPDATE SET viewers = excluded.viewers,"
     " likes = excluded.likes, dislikes = excluded.dislikes,"
     " comments = excluded.comments",
     RowsForm::values, "stream_id, viewers, likes, dislikes, comments"},

    // --- Stream changes ---
    {Sql::delete_stream_changes, "DELETE FROM engagementd_stream_changes WHERE id IN ({rows})",
     RowsForm::list, "id"},

    // --- The tick's writes ---
    // The admin panel may create the row at the same moment: theirs wins.
    {Sql::insert_configs,
     "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled,"
     " fake_likes_enabled, min_fake_viewers, max_fake_viewers, viewer_increase_rate,"
     " viewer_decrease_rate, like_rate, engagement_multiplier) VALUES {rows}"
     " ON CONFLICT(stream_id) DO NOTHING",
     RowsForm::values,
     "stream_id, fake_viewers_enabled, fake_likes_enabled, min_fake_viewers, max_fake_viewers,"
     " viewer_increase_rate, viewer_decrease_rate, like_rate, engagement_multiplier"},
    {Sql::upsert_states,
     "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins, sim_likes,"
     " peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak, sim_peak,"
     " config_json) VALUES {rows}"
     " ON CONFLICT(stream_id) DO UPDATE SET sim_viewers = excluded.sim_viewers,"
     " sim_joins = excluded.sim_joins, sim_likes = excluded.sim_likes,"
     " peak_viewers = excluded.peak_viewers, last_tick_ms = excluded.last_tick_ms,"
     " finalized_ms = NULL, real_peak = excluded.real_peak, sim_peak = excluded.sim_peak,"
     " config_json = COALESCE(excluded.config_json, engagementd_stream_state.config_json)",
     RowsForm::values,
     "stream_id, sim_viewers, sim_joins, sim_likes, peak_viewers, first_tick_ms, last_tick_ms,"
     " finalized_ms, real_peak, sim_peak, config_json"},
    // The rows d (column1 the id); updated_at kept as the other dialect
    // does (a no-op here: SQLite has no ON UPDATE clause).
    {Sql::update_live_displays,
     "UPDATE live_streams SET viewer_count = d.column2, max_viewers = d.column3,"
     " like_count = d.column4, dislike_count = d.column5, comment_count = d.column6,"
     " includes_simulated = d.column7 FROM (VALUES {rows}) AS d"
     " WHERE live_streams.id = d.column1 AND live_streams.status = 'live'",
     RowsForm::values,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},
    {Sql::update_live_displays_keep_updated_at,
     "UPDATE live_streams SET viewer_count = d.column2, max_viewers = d.column3,"
     " like_count = d.column4, dislike_count = d.column5, comment_count = d.column6,"
     " includes_simulated = d.column7, updated_at = updated_at"
     " FROM (VALUES {rows}) AS d"
     " WHERE live_streams.id = d.column1 AND live_streams.status = 'live'",
     RowsForm::values,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},
    {Sql::update_ended_displays,
     "UPDATE live_streams SET viewer_count = d.column2, max_viewers = d.column3,"
     " like_count = d.column4, dislike_count = d.column5, comment_count = d.column6,"
     " includes_simulated = d.column7 FROM (VALUES {rows}) AS d"
     " WHERE live_streams.id = d.column1 AND live_streams.status <> 'live'",
     RowsForm::values,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},
    {Sql::update_ended_displays_keep_updated_at,
     "UPDATE live_streams SET viewer_count = d.column2, max_viewers = d.column3,"
     " like_count = d.column4, dislike_count = d.column5, comment_count = d.column6,"
     " includes_simulated = d.column7, updated_at = updated_at"
     " FROM (VALUES {rows}) AS d"
     " WHERE live_streams.id = d.column1 AND live_streams.status <> 'live'",
     RowsForm::values,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},

    // --- No bulk writer: the tick's rows go by the multi-row statements ---
    {Sql::raise_heap_table_size, kNoStatement},
    {Sql::create_tick_state, kNoStatement},
    {Sql::create_tick_config, kNoStatement},
    {Sql::create_tick_display, kNoStatement},
    {Sql::clear_tick_state, kNoStatement},
    {Sql::clear_tick_config, kNoStatement},
    {Sql::clear_tick_display, kNoStatement},
    {Sql::load_tick_state, kNoStatement},
    {Sql::load_tick_config, kNoStatement},
    {Sql::load_tick_display, kNoStatement},
    {Sql::update_staged_states, kNoStatement},
    {Sql::update_staged_state_configs, kNoStatement},
    {Sql::insert_staged_states, kNoStatement},
    {Sql::insert_staged_states_with_configs, kNoStatement},
    {Sql::update_staged_displays, kNoStatement},
    {Sql::update_staged_displays_keep_updated_at, kNoStatement},

    // --- Finalization ---
    // :limit_* as in MariaDB's text (SQLite's limit: no clamping).
    {Sql::sync_saved_migration,
     "UPDATE saved_streams AS sv SET viewer_count = s.final_viewer_count,"
     " like_count = s.final_like_count"
     " FROM (SELECT stream_id, MIN(final_viewer_count, :limit_viewers) AS final_viewer_count,"
     " MIN(final_like_count, :limit_likes) AS final_like_count,"
     " MIN(real_dislikes, :limit_dislikes) AS real_dislikes"
     " FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
     " WHERE s.stream_id = sv.stream_id"
     " AND (sv.viewer_count <> s.final_viewer_count OR sv.like_count <> s.final_like_count)"},
    {Sql::sync_saved_dump,
     "UPDATE saved_streams AS sv SET views = s.final_viewer_count,"
     " likes = s.final_like_count, dislikes = s.real_dislikes"
     " FROM (SELECT stream_id, MIN(final_viewer_count, :limit_viewers) AS final_viewer_count,"
     " MIN(final_like_count, :limit_likes) AS final_like_count,"
     " MIN(real_dislikes, :limit_dislikes) AS real_dislikes"
     " FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
     " WHERE s.stream_id = sv.stream_id"
     " AND (sv.views IS NULL OR sv.likes IS NULL OR sv.dislikes IS NULL"
     " OR sv.views <> s.final_viewer_count OR sv.likes <> s.final_like_count"
     " OR sv.dislikes <> s.real_dislikes)"},
    {Sql::summary_follow_status,
     "UPDATE engagementd_stream_summary SET final_status = (SELECT ls.status FROM live_streams"
     " ls WHERE ls.id = engagementd_stream_summary.stream_id)"
     " WHERE stream_id > :after AND stream_id <= :upto AND EXISTS (SELECT 1 FROM live_streams"
     " ls WHERE ls.id = engagementd_stream_summary.stream_id"
     " AND ls.status IN ('scheduled', 'ended', 'archived', 'cancelled')"
     " AND ls.status <> engagementd_stream_summary.final_status)"},

    // --- The lease ---
    // No row locks: the lease row's write takes the database's write lock
    // for the transaction, which serializes instances just the same.
    {Sql::lock_lease, kNoStatement},
    {Sql::stamp_lease_lock, kNoStatement},
    // Taken before reading the row: the write lock for the whole transaction.
    {Sql::create_lease,
     "INSERT OR IGNORE INTO engagementd_leader (shard, holder, token, expires_ms)"
     " VALUES (:s, '', 0, 0)"},
    {Sql::upsert_instance,
     "INSERT INTO engagementd_instances (holder, shard_count, seen_ms) VALUES (:h, :c, :n)"
     " ON CONFLICT(holder) DO UPDATE SET shard_count = excluded.shard_count,"
     " seen_ms = excluded.seen_ms"},
    // No server sessions.
    {Sql::read_uncommitted, kNoStatement},
    {Sql::repeatable_read, kNoStatement},
    {Sql::read_lease_stamp, kNoStatement},
    {Sql::read_lease_nonce, kNoStatement},
    {Sql::current_user, kNoStatement},
    {Sql::server_identity, kNoStatement},
    {Sql::server_uptime, kNoStatement},
    {Sql::connection_id, kNoStatement},
    {Sql::kill_connection, kNoStatement},

    // --- No cluster; DDL is transactional, no lock for migrate ---
    {Sql::cluster_variables, kNoStatement},
    {Sql::cluster_status, kNoStatement},
    {Sql::wsrep_on, kNoStatement},
    {Sql::causal_reads, kNoStatement},
    {Sql::create_migration_lock, kNoStatement},
    {Sql::read_migration_lock, kNoStatement},
    {Sql::migration_lock_holder, kNoStatement},
    {Sql::claim_migration_lock, kNoStatement},
    {Sql::stale_migration_lock, kNoStatement},
    {Sql::take_over_migration_lock, kNoStatement},
    {Sql::renew_migration_lock, kNoStatement},
    {Sql::drop_migration_lock, kNoStatement},
    {Sql::named_lock_used, kNoStatement},
    {Sql::get_named_lock, kNoStatement},
    {Sql::release_named_lock, kNoStatement},

    // --- The operator's commands (see sql_mysql.cpp) ---
    {Sql::read_stream_config,
     "SELECT CAST(fake_viewers_enabled AS TEXT), CAST(fake_likes_enabled AS TEXT),"
     " CAST(min_fake_viewers AS TEXT), CAST(max_fake_viewers AS TEXT),"
     " CAST(viewer_increase_rate AS TEXT), CAST(viewer_decrease_rate AS TEXT),"
     " CAST(like_rate AS TEXT), CAST(engagement_multiplier AS TEXT)"
     " FROM stream_engagement_config WHERE stream_id = :id"},
    {Sql::write_stream_config,
     "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, fake_likes_enabled,"
     " min_fake_viewers, max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate,"
     " engagement_multiplier)"
     " VALUES (:stream_id, :fake_viewers_enabled, :fake_likes_enabled, :min_fake_viewers,"
     " :max_fake_viewers, :viewer_increase_rate, :viewer_decrease_rate, :like_rate,"
     " :engagement_multiplier)"
     " ON CONFLICT(stream_id) DO UPDATE SET fake_viewers_enabled = excluded.fake_viewers_enabled,"
     " fake_likes_enabled = excluded.fake_likes_enabled,"
     " min_fake_viewers = excluded.min_fake_viewers, max_fake_viewers = excluded.max_fake_viewers,"
     " viewer_increase_rate = excluded.viewer_increase_rate,"
     " viewer_decrease_rate = excluded.viewer_decrease_rate, like_rate = excluded.like_rate,"
     " engagement_multiplier = excluded.engagement_multiplier"},
    {Sql::write_global_setting,
     "INSERT INTO global_stream_settings (setting_key, setting_value, updated_at)"
     " VALUES (:key, :value, CURRENT_TIMESTAMP)"
     " ON CONFLICT(setting_key) DO UPDATE SET setting_value = excluded.setting_value,"
     " updated_at = excluded.updated_at"},
    {Sql::report,
     "SELECT CAST(st.stream_id AS INTEGER), COALESCE(ls.status, 'deleted'),"
     " CAST(st.first_tick_ms AS INTEGER),"
     " CASE WHEN sm.stream_id IS NULL THEN 0 ELSE 1 END,"
     " CAST(COALESCE(sm.duration_seconds, (st.last_tick_ms - st.first_tick_ms) / 1000) AS INTEGER),"
     " CAST(COALESCE(sm.real_peak, st.real_peak) AS INTEGER),"
     " CAST(COALESCE(sm.sim_peak, st.sim_peak) AS INTEGER),"
     " CAST(COALESCE(sm.peak_viewers, st.peak_viewers) AS INTEGER),"
     " CAST(COALESCE(sm.real_viewers_total, (SELECT COUNT(DISTINCT sv.session_id) FROM"
     " stream_viewers sv WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0)) AS INTEGER),"
     " CAST(COALESCE(sm.sim_viewers_total, st.sim_joins) AS INTEGER),"
     " CAST(COALESCE(sm.real_likes, (SELECT COUNT(*) FROM stream_interactions si WHERE"
     " si.stream_id = st.stream_id AND si.is_fake = 0"
     " AND si.interaction_type = 'like')) AS INTEGER),"
     " CAST(COALESCE(sm.sim_likes, st.sim_likes) AS INTEGER)"
     " FROM engagementd_stream_state st"
     " LEFT JOIN engagementd_stream_summary sm ON sm.stream_id = st.stream_id"
     "   AND st.finalized_ms IS NOT NULL"
     " LEFT JOIN live_streams ls ON ls.id = st.stream_id"
     " WHERE st.first_tick_ms >= :since AND st.stream_id BETWEEN :first AND :last"
     " ORDER BY st.stream_id"},

    // --- doctor; :settled in seconds ---
    {Sql::settled_sessions,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
     " AND joined_at >= datetime('now', '-1 hour')"
     " AND joined_at < datetime('now', '-' || :settled || ' seconds')"},
    {Sql::settled_sessions_beating,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
     " AND last_seen_at IS NOT NULL"
     " AND joined_at >= datetime('now', '-1 hour')"
     " AND joined_at < datetime('now', '-' || :settled || ' seconds')"},
    {Sql::recent_fake_viewers,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 1"
     " AND joined_at >= datetime('now', '-1 hour')"},
    {Sql::recent_fake_interactions,
     "SELECT COUNT(*) FROM stream_interactions WHERE is_fake = 1"
     " AND created_at >= datetime('now', '-1 hour')"},

    // --- uninstall ---
    {Sql::has_trigger, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = :name"},
    {Sql::has_index,
     "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
     " AND name = :name"},
    {Sql::column_comment, kNoStatement},  // SQLite keeps no column comments
    {Sql::drop_account, kNoStatement},    // no accounts
    {Sql::drop_index, "DROP INDEX {index}"},
    {Sql::show_fresh_real_numbers,
     "UPDATE live_streams SET"
     " viewer_count = (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id ="
     "   live_streams.id AND sv.is_fake = 0 AND sv.left_at IS NULL"
     "   AND COALESCE(sv.last_seen_at, sv.joined_at) >= datetime('now', '-' || :ttl || ' seconds')),"
     " like_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " dislike_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " comment_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'comment')"
     " WHERE status = 'live'"},
    {Sql::show_fresh_real_numbers_badged,
     "UPDATE live_streams SET"
     " viewer_count = (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id ="
     "   live_streams.id AND sv.is_fake = 0 AND sv.left_at IS NULL"
     "   AND COALESCE(sv.last_seen_at, sv.joined_at) >= datetime('now', '-' || :ttl || ' seconds')),"
     " like_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " dislike_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " comment_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'comment')"
     " WHERE status = 'live' AND includes_simulated <> 0"},
    {Sql::show_real_peak,
     "UPDATE live_streams SET max_viewers = MAX(viewer_count, COALESCE((SELECT"
     " st.real_peak FROM engagementd_stream_state st WHERE st.stream_id = live_streams.id"
     " AND st.finalized_ms IS NULL), 0)) WHERE status = 'live'"},
    {Sql::show_real_peak_badged,
     "UPDATE live_streams SET max_viewers = MAX(viewer_count, COALESCE((SELECT"
     " st.real_peak FROM engagementd_stream_state st WHERE st.stream_id = live_streams.id"
     " AND st.finalized_ms IS NULL), 0)) WHERE status = 'live' AND includes_simulated <> 0"},
    {Sql::show_viewers_as_peak,
     "UPDATE live_streams SET max_viewers = MAX(viewer_count, 0) WHERE status = 'live'"},
    {Sql::show_viewers_as_peak_badged,
     "UPDATE live_streams SET max_viewers = MAX(viewer_count, 0) WHERE status = 'live'"
     " AND includes_simulated <> 0"},

    // --- Triggers have no definer, and there are no accounts ---
    {Sql::list_triggers, kNoStatement},
    {Sql::count_accounts_named, kNoStatement},
    {Sql::count_accounts, kNoStatement},
    {Sql::create_account, kNoStatement},
    {Sql::lock_account, kNoStatement},
    {Sql::grant, kNoStatement},
    {Sql::show_create_trigger, kNoStatement},
    {Sql::save_sql_mode, kNoStatement},
    {Sql::set_sql_mode, kNoStatement},
    {Sql::lock_table, kNoStatement},
    {Sql::unlock_tables, kNoStatement},
    {Sql::restore_sql_mode, kNoStatement},
};

#undef LIVE_STREAMS_SELECT
#undef LIVE_STREAMS_FRESH_VIEWERS
#undef LIVE_STREAMS_SHARD_ORDER

std::unique_ptr<soci::session> connect_sqlite(const DatabaseConfig& db, const std::string&,
                                              InfileSource*) {
  // SOCI takes a connection string without '=' as the plain file name.
  if (db.path.find('=') != std::string::npos) {
    throw std::runtime_error("the sqlite3 path must not contain '='");
  }
  const SqlDialect& d = sqlite_dialect();
  auto sql = std::make_unique<soci::session>();
  sql->open(soci::sqlite3, db.path);
  *sql << with_names(d[Sql::set_busy_timeout],
                     {{"{milliseconds}", std::to_string(db.write_timeout.count())}});
  std::string mode;
  *sql << d[Sql::set_wal_journal], soci::into(mode);
  return sql;
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = parse_migrations(embedded_migrations_sqlite());
  return all;
}

SqlDialect make() {
  SqlDialect d;
  d.transactional_ddl = true;
  // SQLite keeps any value in any column: nothing to clamp to or widen.
  d.typed_columns = false;
  // No row locks: the lease row's write takes the database's write lock
  // for the transaction, which serializes instances just the same.
  d.row_locks = false;
  d.server_sessions = false;
  d.bulk_writer = false;
  d.connect = &connect_sqlite;
  d.migrations = &migrations;
  d.fill({std::begin(kStatements), std::end(kStatements)}, common_statements());
  return d;
}

}  // namespace

const SqlDialect& sqlite_dialect() {
  static const SqlDialect d = make();
  return d;
}

}  // namespace engagementd
