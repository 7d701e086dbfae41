// Every statement the store runs on MariaDB/MySQL whose text is MariaDB's
// own (see statements.hpp; the texts both databases share are in
// sql_common.cpp).

#include <iterator>
#include <string>

#include "store/mysql_connect.hpp"
#include "store/sql_dialect.hpp"

namespace engagementd {
namespace {

// The four reads of live streams (a chunk or the named ones, with or
// without a heartbeat column) share their columns, joins and shard filter:
// written once here, each statement below is still one constant text (the
// compiler joins the literals). VIEWERS names the real viewers' table:
// rc (the kept counts) or rv (the sessions seen within the TTL).
#define LIVE_STREAMS_SELECT(VIEWERS)                                                           \
  "SELECT ls.id, ls.viewer_count, ls.max_viewers, ls.like_count, ls.dislike_count,"           \
  " ls.comment_count, ls.includes_simulated, c.stream_id, c.fake_viewers_enabled,"            \
  " c.fake_likes_enabled, c.min_fake_viewers, c.max_fake_viewers, c.viewer_increase_rate,"    \
  " c.viewer_decrease_rate, c.like_rate, c.engagement_multiplier,"                            \
  " st.stream_id, st.sim_viewers, st.sim_joins, st.sim_likes, st.peak_viewers,"              \
  " st.first_tick_ms, st.last_tick_ms, st.finalized_ms, st.real_peak, st.sim_peak,"          \
  " st.config_json, " VIEWERS ".viewers, rc.likes, rc.dislikes, rc.comments, rc.stream_id"    \
  " FROM live_streams ls"                                                                     \
  " LEFT JOIN stream_engagement_config c ON c.stream_id = ls.id"                              \
  " LEFT JOIN engagementd_stream_state st ON st.stream_id = ls.id"                            \
  " LEFT JOIN engagementd_real_counts rc ON rc.stream_id = ls.id"
// rv: the open sessions seen within :ttl seconds of the STREAMS' live rows.
#define LIVE_STREAMS_FRESH_VIEWERS(STREAMS)                                        \
  " LEFT JOIN (SELECT sv.stream_id, COUNT(*) AS viewers FROM live_streams lv"      \
  "   JOIN stream_viewers sv ON sv.stream_id = lv.id"                              \
  "   WHERE lv.status = 'live' AND " STREAMS                                       \
  "   AND sv.is_fake = 0 AND sv.left_at IS NULL"                                   \
  "   AND COALESCE(sv.last_seen_at, sv.joined_at) >= NOW() - INTERVAL :ttl SECOND" \
  "   AND ((((lv.id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)" \
  " % 2147483587) % :shard_count_v = :shard_index_v"                               \
  "   GROUP BY sv.stream_id) rv ON rv.stream_id = ls.id"
#define LIVE_STREAMS_SHARD_ORDER                                                 \
  " AND ((((ls.id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)" \
  " % 2147483587) % :shard_count = :shard_index ORDER BY ls.id"

constexpr SqlText kStatements[] = {
    // --- A new connection ---
    // The database clock in UTC, whatever the server's time_zone: in a
    // zone with daylight saving time NOW() repeats an hour at the change
    // back, and UNIX_TIMESTAMP(NOW()) with it (now_ms below). TIMESTAMP
    // columns are stored in UTC and converted to the session's zone, so
    // comparing them with NOW() stays right whatever zone the site's own
    // sessions use.
    {Sql::set_utc_time_zone, "SET SESSION time_zone = '+00:00'"},
    // A row lock held by the site (or a stalled instance) fails the tick
    // after 5 s instead of holding it for the server's default 50 s; the
    // tick is then retried.
    {Sql::set_lock_wait_timeout, "SET SESSION innodb_lock_wait_timeout = 5"},
    // Whether the connection is encrypted (an empty cipher: it is not).
    {Sql::ssl_cipher, "SHOW SESSION STATUS LIKE 'Ssl_cipher'"},
    {Sql::set_busy_timeout, kNoStatement},  // SQLite's
    {Sql::set_wal_journal, kNoStatement},   // SQLite's

    // --- The schema; :t table, :c column, :i index ---
    {Sql::count_columns,
     "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()"
     " AND table_name = :t AND column_name = :c"},
    {Sql::count_tables,
     "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
     " AND table_name = :t"},
    // An index whose only column is :c, unique (the primary key too).
    {Sql::count_unique_single_column_indexes,
     "SELECT COUNT(*) FROM (SELECT index_name FROM information_schema.statistics"
     " WHERE table_schema = DATABASE() AND table_name = :t AND non_unique = 0"
     " GROUP BY index_name HAVING COUNT(*) = 1 AND MAX(column_name) = :c) u"},
    {Sql::count_indexes,
     "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()"
     " AND table_name = :t AND index_name = :i"},
    {Sql::column_type,
     "SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE()"
     " AND table_name = :t AND column_name = :c"},
    // data_type, column_type, is_nullable, column_default, precision,
    // scale and the quoted comment.
    {Sql::decimal_column,
     "SELECT data_type, column_type, is_nullable, column_default,"
     " COALESCE(numeric_precision, 0), COALESCE(numeric_scale, 0), QUOTE(column_comment)"
     " FROM information_schema.columns WHERE table_schema = DATABASE()"
     " AND table_name = :t AND column_name = :c"},
    // The same column made DECIMAL(precision, scale), otherwise as it is:
    // its sign ({unsigned}: " UNSIGNED" or nothing), nullability ({null}:
    // " NULL" or " NOT NULL"), default ({default}: " DEFAULT value" or
    // nothing) and comment ({comment}: " COMMENT 'text'" or nothing), as
    // decimal_column read them (a MODIFY restates them all).
    {Sql::alter_decimal,
     "ALTER TABLE {table} MODIFY {column} DECIMAL({precision},{scale})"
     "{unsigned}{null}{default}{comment}"},
    {Sql::create_version_table,
     "CREATE TABLE IF NOT EXISTS engagementd_schema_version ("
     " version INT NOT NULL PRIMARY KEY,"
     " name VARCHAR(255) NOT NULL,"
     " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
     ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"},
    // The server's facts and this account's grants.
    {Sql::server_settings,
     "SELECT VERSION(), @@version_comment, @@log_bin, @@binlog_format,"
     " @@log_bin_trust_function_creators"},
    {Sql::current_database, "SELECT DATABASE()"},
    {Sql::own_grants, "SHOW GRANTS"},
    {Sql::current_roles, "SELECT CURRENT_ROLE()"},
    // {role}: the role's name, quoted.
    {Sql::role_grants, "SHOW GRANTS FOR {role}"},

    // --- The tick's reads ---
    // The session's zone is UTC (set_utc_time_zone): no hour repeats.
    {Sql::now_ms, "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"},
    // One character past the longest setting text (kSettingTextMax): a
    // longer value is seen to be too long without being read whole on
    // every tick.
    {Sql::global_settings,
     "SELECT setting_key, LEFT(setting_value, 257) FROM global_stream_settings"
     " WHERE setting_key IN ('fake_viewers_enabled', 'fake_likes_enabled',"
     " 'min_fake_viewers', 'max_fake_viewers', 'viewer_increase_rate',"
     " 'viewer_decrease_rate', 'like_rate', 'engagement_multiplier',"
     " 'simulation_enabled', 'sim_watch_minutes')"},
    // One chunk of live streams (:after < id <= :upto) of the shard, with
    // their settings, state and real counts. Real counts come from
    // engagementd_real_counts, kept by the triggers of migration 006 as
    // the site writes: one primary-key read per live stream, whatever the
    // length of its history. Plain columns, NULL for a missing row of a
    // LEFT JOIN: no expression per value (COALESCE, CASE and CAST measured
    // twice the server's time).
    {Sql::live_streams,
     LIVE_STREAMS_SELECT("rc") " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto"
     LIVE_STREAMS_SHARD_ORDER},
    // The same with a heartbeat column (time-based, no trigger can follow
    // it): open sessions seen within :ttl seconds counted here instead,
    // in a derived table over the chunk's live streams' own rows (a range
    // read per stream on the (stream_id, is_fake, left_at) index).
    {Sql::live_streams_heartbeat,
     LIVE_STREAMS_SELECT("rv") LIVE_STREAMS_FRESH_VIEWERS("lv.id > :after_v AND lv.id <= :upto_v")
     " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto" LIVE_STREAMS_SHARD_ORDER},
    // The two above for the named streams of the batch ({ids}).
    {Sql::named_live_streams,
     LIVE_STREAMS_SELECT("rc") " WHERE ls.status = 'live' AND ls.id IN ({ids})"
     LIVE_STREAMS_SHARD_ORDER},
    {Sql::named_live_streams_heartbeat,
     LIVE_STREAMS_SELECT("rv") LIVE_STREAMS_FRESH_VIEWERS("lv.id IN ({ids_v})")
     " WHERE ls.status = 'live' AND ls.id IN ({ids})" LIVE_STREAMS_SHARD_ORDER},
    // The ended streams to finalize, the status bounded like a setting's
    // text (it is only compared, or shown in a message when unknown).
    {Sql::ended_streams,
     "SELECT st.stream_id, CASE WHEN ls.id IS NULL THEN 0 ELSE 1 END,"
     " LEFT(COALESCE(ls.status, ''), 257),"
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
     " COALESCE(TIMESTAMPDIFF(SECOND, ls.started_at, COALESCE(ls.ended_at, NOW())), -1)"
     " FROM engagementd_stream_state st LEFT JOIN live_streams ls ON ls.id = st.stream_id"
     " WHERE st.finalized_ms IS NULL AND (ls.id IS NULL OR ls.status <> 'live')"
     " AND ((((st.stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index ORDER BY st.stream_id"},
    {Sql::named_ended_streams,
     "SELECT st.stream_id, CASE WHEN ls.id IS NULL THEN 0 ELSE 1 END,"
     " LEFT(COALESCE(ls.status, ''), 257),"
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
     " COALESCE(TIMESTAMPDIFF(SECOND, ls.started_at, COALESCE(ls.ended_at, NOW())), -1)"
     " FROM engagementd_stream_state st LEFT JOIN live_streams ls ON ls.id = st.stream_id"
     " WHERE st.finalized_ms IS NULL AND (ls.id IS NULL OR ls.status <> 'live')"
     " AND st.stream_id IN ({ids})"
     " AND ((((st.stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index ORDER BY st.stream_id"},
    // The ids and display columns of the live streams of :after < id <= :upto.
    {Sql::live_rows,
     "SELECT ls.id, ls.viewer_count, ls.max_viewers, ls.like_count, ls.dislike_count,"
     " ls.comment_count, ls.includes_simulated FROM live_streams ls"
     " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto"
     " AND ((((ls.id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index ORDER BY ls.id"},
    // The real-viewer sweep (a heartbeat column): the open real sessions
    // last seen at or after :cutoff per stream of :after < stream_id <= :upto.
    {Sql::fresh_viewers,
     // A range of stream ids on the site's (stream_id, is_fake, left_at)
     // index; the rows of streams that are not live (or not kept) are left
     // aside by the caller. :cutoff in Unix seconds.
     "SELECT stream_id, COUNT(*) FROM stream_viewers"
     " WHERE stream_id > :after AND stream_id <= :upto AND is_fake = 0 AND left_at IS NULL"
     " AND COALESCE(last_seen_at, joined_at) >= FROM_UNIXTIME(:cutoff) AND "
     "((((stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index GROUP BY stream_id ORDER BY stream_id"},
    // The appended deltas summed per stream and seen_s (only a viewer's
    // leave has one: schema 012).
    {Sql::real_deltas,
     "SELECT stream_id, seen_s, CAST(SUM(viewers) AS SIGNED), CAST(SUM(likes) AS SIGNED),"
     " CAST(SUM(dislikes) AS SIGNED), CAST(SUM(comments) AS SIGNED)"
     " FROM engagementd_real_deltas WHERE "
     "((((stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index GROUP BY stream_id, seen_s ORDER BY stream_id"},
    // The same rows' ids as runs of consecutive ids (first, last):
    // consecutive ids have the same id - ROW_NUMBER().
    {Sql::real_delta_runs,
     "SELECT MIN(id), MAX(id) FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run"
     " FROM engagementd_real_deltas WHERE "
     "((((stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index) r GROUP BY run ORDER BY 1"},

    // --- Real counts ---
    {Sql::add_real_deltas,
     "UPDATE engagementd_real_counts rc JOIN ({rows}) d ON rc.stream_id = d.stream_id"
     " SET rc.viewers = rc.viewers + d.viewers, rc.likes = rc.likes + d.likes,"
     " rc.dislikes = rc.dislikes + d.dislikes, rc.comments = rc.comments + d.comments",
     RowsForm::derived_table, "stream_id, viewers, likes, dislikes, comments"},
    // By primary key, one point each: a scan (the optimizer's choice when
    // the list covers most of the table) would lock the gaps up to the
    // table's end until the tick commits, and the triggers' inserts would
    // wait for it; a point on a unique key locks that row alone. A join on
    // the primary key (eq_ref), not `IN (...)`: a multi-row IN takes
    // next-key locks, i.e. the gap below each row too, and on a Galera
    // cluster, where each node's ids interleave (auto-increment step =
    // cluster size), the site's rows from other nodes land in exactly
    // those gaps: their replication aborted the tick (measured,
    // tests/galera).
    {Sql::delete_real_deltas, "DELETE d FROM engagementd_real_deltas d JOIN ({rows}) k ON d.id = k.id",
     RowsForm::derived_table, "id"},
    {Sql::count_interactions,
     "SELECT stream_id, CAST(interaction_type AS CHAR), COUNT(*) FROM stream_interactions"
     " WHERE stream_id IN ({ids}) AND is_fake = 0"
     " AND interaction_type IN ('like', 'dislike', 'comment')"
     " GROUP BY stream_id, interaction_type"},
    {Sql::upsert_real_counts,
     "INSERT INTO engagementd_real_counts (stream_id, viewers, likes, dislikes, comments)"
     " VALUES {rows} ON DUPLICATE KEY UPDATE viewers = VALUES(viewers), likes = VALUES(likes),"
     " dislikes = VALUES(dislikes), comments = VALUES(comments)",
     RowsForm::values, "stream_id, viewers, likes, dislikes, comments"},

    // --- Stream changes ---
    // Exactly the rows read, by primary key in a join (see
    // delete_real_deltas: no gap locks the triggers' inserts would wait for).
    {Sql::delete_stream_changes,
     "DELETE c FROM engagementd_stream_changes c JOIN ({rows}) k ON c.id = k.id",
     RowsForm::derived_table, "id"},

    // --- The tick's writes ---
    // The admin panel may create the row at the same moment: theirs wins.
    // (INSERT IGNORE needs only the INSERT privilege; see schema/mysql/grants.sql.)
    {Sql::insert_configs,
     "INSERT IGNORE INTO stream_engagement_config (stream_id, fake_viewers_enabled,"
     " fake_likes_enabled, min_fake_viewers, max_fake_viewers, viewer_increase_rate,"
     " viewer_decrease_rate, like_rate, engagement_multiplier) VALUES {rows}",
     RowsForm::values,
     "stream_id, fake_viewers_enabled, fake_likes_enabled, min_fake_viewers, max_fake_viewers,"
     " viewer_increase_rate, viewer_decrease_rate, like_rate, engagement_multiplier"},
    // The state row's upsert: every column the tick changes; finalized_ms
    // cleared (a finalized stream live again); the settings kept when
    // none are given.
    {Sql::upsert_states,
     "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins, sim_likes,"
     " peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak, sim_peak,"
     " config_json) VALUES {rows}"
     " ON DUPLICATE KEY UPDATE sim_viewers = VALUES(sim_viewers),"
     " sim_joins = VALUES(sim_joins), sim_likes = VALUES(sim_likes),"
     " peak_viewers = VALUES(peak_viewers), last_tick_ms = VALUES(last_tick_ms),"
     " finalized_ms = NULL, real_peak = VALUES(real_peak),"
     " sim_peak = VALUES(sim_peak), config_json = COALESCE(VALUES(config_json),"
     " engagementd_stream_state.config_json)",
     RowsForm::values,
     "stream_id, sim_viewers, sim_joins, sim_likes, peak_viewers, first_tick_ms, last_tick_ms,"
     " finalized_ms, real_peak, sim_peak, config_json"},
    // The display columns of live streams (the tick), or of streams no
    // longer live (finalization). _keep_updated_at: display numbers are
    // not an edit of the stream, updated_at kept (ON UPDATE
    // CURRENT_TIMESTAMP would set it otherwise).
    {Sql::update_live_displays,
     "UPDATE live_streams ls JOIN ({rows}) d ON ls.id = d.stream_id SET"
     " ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
     " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
     " ls.comment_count = d.comment_count, ls.includes_simulated = d.includes_simulated"
     " WHERE ls.status = 'live'",
     RowsForm::derived_table,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},
    {Sql::update_live_displays_keep_updated_at,
     "UPDATE live_streams ls JOIN ({rows}) d ON ls.id = d.stream_id SET"
     " ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
     " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
     " ls.comment_count = d.comment_count, ls.includes_simulated = d.includes_simulated,"
     " ls.updated_at = ls.updated_at WHERE ls.status = 'live'",
     RowsForm::derived_table,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},
    {Sql::update_ended_displays,
     "UPDATE live_streams ls JOIN ({rows}) d ON ls.id = d.stream_id SET"
     " ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
     " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
     " ls.comment_count = d.comment_count, ls.includes_simulated = d.includes_simulated"
     " WHERE ls.status <> 'live'",
     RowsForm::derived_table,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},
    {Sql::update_ended_displays_keep_updated_at,
     "UPDATE live_streams ls JOIN ({rows}) d ON ls.id = d.stream_id SET"
     " ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
     " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
     " ls.comment_count = d.comment_count, ls.includes_simulated = d.includes_simulated,"
     " ls.updated_at = ls.updated_at WHERE ls.status <> 'live'",
     RowsForm::derived_table,
     "stream_id, viewer_count, max_viewers, like_count, dislike_count, comment_count,"
     " includes_simulated"},

    // --- The bulk writer ---
    // MEMORY tables, one set per connection (temporary): whole numbers as
    // BIGINT, so a value is never clipped on the way; the real columns
    // check them when the rows are applied. The size limit is raised for
    // this session only; the tables hold one tick's changed rows.
    {Sql::raise_heap_table_size, "SET SESSION max_heap_table_size = 4294967296"},
    {Sql::create_tick_state,
     "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_state ("
     " stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, is_new TINYINT NOT NULL,"
     " sim_viewers BIGINT NOT NULL, sim_joins BIGINT NOT NULL, sim_likes BIGINT NOT NULL,"
     " peak_viewers BIGINT NOT NULL, first_tick_ms BIGINT NOT NULL,"
     " last_tick_ms BIGINT NOT NULL, real_peak BIGINT NOT NULL,"
     " sim_peak BIGINT NOT NULL, config_id INT NOT NULL) ENGINE=MEMORY"},
    // The settings as JSON, each distinct text once (InnoDB: any length).
    {Sql::create_tick_config,
     "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_config ("
     " config_id INT NOT NULL PRIMARY KEY, config_json TEXT NOT NULL)"
     " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"},
    {Sql::create_tick_display,
     "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_display ("
     " stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, viewer_count BIGINT NOT NULL,"
     " max_viewers BIGINT NOT NULL, like_count BIGINT NOT NULL,"
     " dislike_count BIGINT NOT NULL, comment_count BIGINT NOT NULL,"
     " includes_simulated TINYINT NOT NULL) ENGINE=MEMORY"},
    {Sql::clear_tick_state, "DELETE FROM engagementd_tick_state"},
    {Sql::clear_tick_config, "DELETE FROM engagementd_tick_config"},
    {Sql::clear_tick_display, "DELETE FROM engagementd_tick_display"},
    // The file is the table's name: the client's LOAD DATA LOCAL handler
    // (InfileSource) serves only the name it was given, from memory.
    {Sql::load_tick_state,
     "LOAD DATA LOCAL INFILE 'engagementd_tick_state' INTO TABLE engagementd_tick_state"
     " CHARACTER SET utf8mb4"},
    {Sql::load_tick_config,
     "LOAD DATA LOCAL INFILE 'engagementd_tick_config' INTO TABLE engagementd_tick_config"
     " CHARACTER SET utf8mb4"},
    {Sql::load_tick_display,
     "LOAD DATA LOCAL INFILE 'engagementd_tick_display' INTO TABLE engagementd_tick_display"
     " CHARACTER SET utf8mb4"},
    // The staged rows applied, for the streams of :lo <= id <= :hi (all
    // of them, or a part when a failing stream is looked for). Only the
    // columns that change every tick: assigning a text column to itself
    // in the same statement measured 5 times slower.
    {Sql::update_staged_states,
     "UPDATE engagementd_stream_state st JOIN engagementd_tick_state t"
     " ON t.stream_id = st.stream_id"
     " SET st.sim_viewers = t.sim_viewers, st.sim_joins = t.sim_joins,"
     " st.sim_likes = t.sim_likes, st.peak_viewers = t.peak_viewers,"
     " st.last_tick_ms = t.last_tick_ms, st.real_peak = t.real_peak,"
     " st.sim_peak = t.sim_peak WHERE t.is_new = 0 AND t.stream_id BETWEEN :lo AND :hi"},
    {Sql::update_staged_state_configs,
     "UPDATE engagementd_stream_state st JOIN engagementd_tick_state t"
     " ON t.stream_id = st.stream_id JOIN engagementd_tick_config j"
     " ON j.config_id = t.config_id SET st.config_json = j.config_json"
     " WHERE t.is_new = 0 AND t.stream_id BETWEEN :lo AND :hi"},
    // New streams, and finalized ones live again (the upsert of upsert_states).
    {Sql::insert_staged_states,
     "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins,"
     " sim_likes, peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak,"
     " sim_peak, config_json) SELECT t.stream_id, t.sim_viewers, t.sim_joins,"
     " t.sim_likes, t.peak_viewers, t.first_tick_ms, t.last_tick_ms, NULL,"
     " t.real_peak, t.sim_peak, NULL FROM engagementd_tick_state t"
     " WHERE t.is_new = 1 AND t.stream_id BETWEEN :lo AND :hi"
     " ON DUPLICATE KEY UPDATE sim_viewers = VALUES(sim_viewers),"
     " sim_joins = VALUES(sim_joins), sim_likes = VALUES(sim_likes),"
     " peak_viewers = VALUES(peak_viewers), last_tick_ms = VALUES(last_tick_ms),"
     " finalized_ms = NULL, real_peak = VALUES(real_peak),"
     " sim_peak = VALUES(sim_peak), config_json = COALESCE(VALUES(config_json),"
     " engagementd_stream_state.config_json)"},
    {Sql::insert_staged_states_with_configs,
     "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins,"
     " sim_likes, peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak,"
     " sim_peak, config_json) SELECT t.stream_id, t.sim_viewers, t.sim_joins,"
     " t.sim_likes, t.peak_viewers, t.first_tick_ms, t.last_tick_ms, NULL,"
     " t.real_peak, t.sim_peak, j.config_json FROM engagementd_tick_state t"
     " LEFT JOIN engagementd_tick_config j ON j.config_id = t.config_id"
     " WHERE t.is_new = 1 AND t.stream_id BETWEEN :lo AND :hi"
     " ON DUPLICATE KEY UPDATE sim_viewers = VALUES(sim_viewers),"
     " sim_joins = VALUES(sim_joins), sim_likes = VALUES(sim_likes),"
     " peak_viewers = VALUES(peak_viewers), last_tick_ms = VALUES(last_tick_ms),"
     " finalized_ms = NULL, real_peak = VALUES(real_peak),"
     " sim_peak = VALUES(sim_peak), config_json = COALESCE(VALUES(config_json),"
     " engagementd_stream_state.config_json)"},
    {Sql::update_staged_displays,
     "UPDATE live_streams ls JOIN engagementd_tick_display d ON ls.id = d.stream_id SET"
     " ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
     " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
     " ls.comment_count = d.comment_count, ls.includes_simulated = d.includes_simulated"
     " WHERE ls.status = 'live' AND d.stream_id BETWEEN :lo AND :hi"},
    {Sql::update_staged_displays_keep_updated_at,
     "UPDATE live_streams ls JOIN engagementd_tick_display d ON ls.id = d.stream_id SET"
     " ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
     " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
     " ls.comment_count = d.comment_count, ls.includes_simulated = d.includes_simulated,"
     " ls.updated_at = ls.updated_at WHERE ls.status = 'live'"
     " AND d.stream_id BETWEEN :lo AND :hi"},

    // --- Finalization ---
    // The replay rows of the streams finalized since :since, in the
    // migration layout and the linked dump layout, each number clamped
    // to what the display columns hold (:limit_*, display_limit()).
    {Sql::sync_saved_migration,
     "UPDATE saved_streams sv JOIN (SELECT stream_id,"
     " LEAST(final_viewer_count, :limit_viewers) AS final_viewer_count,"
     " LEAST(final_like_count, :limit_likes) AS final_like_count,"
     " LEAST(real_dislikes, :limit_dislikes) AS real_dislikes"
     " FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
     " ON s.stream_id = sv.stream_id"
     " SET sv.viewer_count = s.final_viewer_count, sv.like_count = s.final_like_count"
     " WHERE sv.stream_id IS NOT NULL"
     " AND (sv.viewer_count <> s.final_viewer_count OR sv.like_count <> s.final_like_count)"},
    {Sql::sync_saved_dump,
     "UPDATE saved_streams sv JOIN (SELECT stream_id,"
     " LEAST(final_viewer_count, :limit_viewers) AS final_viewer_count,"
     " LEAST(final_like_count, :limit_likes) AS final_like_count,"
     " LEAST(real_dislikes, :limit_dislikes) AS real_dislikes"
     " FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
     " ON s.stream_id = sv.stream_id"
     " SET sv.views = s.final_viewer_count, sv.likes = s.final_like_count,"
     " sv.dislikes = s.real_dislikes WHERE sv.stream_id IS NOT NULL"
     " AND (sv.views IS NULL OR sv.likes IS NULL OR sv.dislikes IS NULL"
     " OR sv.views <> s.final_viewer_count OR sv.likes <> s.final_like_count"
     " OR sv.dislikes <> s.real_dislikes)"},
    {Sql::summary_follow_status,
     "UPDATE engagementd_stream_summary s JOIN live_streams ls ON ls.id = s.stream_id"
     " SET s.final_status = ls.status"
     " WHERE s.stream_id > :after AND s.stream_id <= :upto"
     " AND ls.status IN ('scheduled', 'ended', 'archived', 'cancelled')"
     " AND s.final_status <> ls.status"},

    // --- The lease ---
    // read_lease locking the row.
    {Sql::lock_lease,
     "SELECT holder, token, connection_id, expires_ms, last_tick_ms, server_host,"
     " server_started_s FROM engagementd_leader WHERE shard = :s FOR UPDATE NOWAIT"},
    // A shard seen for the first time: an empty, expired row to lock.
    {Sql::create_lease,
     "INSERT IGNORE INTO engagementd_leader (shard, holder, token, expires_ms)"
     " VALUES (:s, '', 0, 0)"},
    // The stamp of the lock's holder (lease_lock_holder): uncommitted until
    // the tick commits, visible to a standby's dirty read only while this
    // transaction holds the row. With the node: connection ids are per node
    // on a cluster (migration 010). The nonce is new (above the committed
    // one) and is the time the row was locked, on the database clock: a
    // standby ends only a holder that has kept the lock past a lease, never
    // one whose tick has just begun (another instance taking over).
    {Sql::stamp_lease_lock,
     "UPDATE engagementd_leader SET connection_id = CONNECTION_ID(),"
     " lock_account = CURRENT_USER(),"
     " lock_nonce = GREATEST(lock_nonce + 1, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)),"
     " lock_node = :node WHERE shard = :s"},
    {Sql::upsert_instance,
     "INSERT INTO engagementd_instances (holder, shard_count, seen_ms) VALUES (:h, :c, :n)"
     " ON DUPLICATE KEY UPDATE shard_count = VALUES(shard_count), seen_ms = VALUES(seen_ms)"},
    {Sql::read_uncommitted, "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED"},
    // Also set on every new connection: one snapshot for the whole tick,
    // whatever the server's default: folding the appended real-count rows
    // and a stream's first count rely on it (Store::fold_real_deltas,
    // Store::count_real).
    {Sql::repeatable_read, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"},
    {Sql::read_lease_stamp,
     "SELECT connection_id, lock_nonce, lock_account, lock_node FROM engagementd_leader"
     " WHERE shard = :s"},
    {Sql::read_lease_nonce, "SELECT lock_nonce FROM engagementd_leader WHERE shard = :s"},
    {Sql::current_user, "SELECT CURRENT_USER()"},
    {Sql::server_identity, "SELECT @@hostname, @@port, UNIX_TIMESTAMP()"},
    // SHOW STATUS: the one form MariaDB and MySQL 8 both have, no privilege needed.
    {Sql::server_uptime, "SHOW GLOBAL STATUS LIKE 'Uptime'"},
    {Sql::connection_id, "SELECT CONNECTION_ID()"},
    // The id bound as a number (SOCI's MySQL client writes it into the text).
    {Sql::kill_connection, "KILL CONNECTION :id"},

    // --- A cluster and migrate's lock ---
    {Sql::cluster_variables,
     "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_node_name',"
     " 'wsrep_sync_wait', 'auto_increment_increment', 'auto_increment_offset',"
     " 'wsrep_auto_increment_control', 'log_bin_trust_function_creators', 'log_bin',"
     " 'hostname', 'port')"},
    {Sql::cluster_status,
     "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size',"
     " 'wsrep_local_state_comment', 'wsrep_cluster_status')"},
    {Sql::wsrep_on, "SHOW VARIABLES WHERE Variable_name = 'wsrep_on'"},
    {Sql::causal_reads, "SET SESSION wsrep_sync_wait = 1"},
    // Its own table, created by whoever comes first (CREATE TABLE is
    // applied on every node in the same order, so IF NOT EXISTS holds on
    // a cluster).
    {Sql::create_migration_lock,
     "CREATE TABLE IF NOT EXISTS engagementd_migration_lock ("
     " name VARCHAR(32) NOT NULL PRIMARY KEY,"
     " holder VARCHAR(255) NOT NULL,"
     " claimed_ms BIGINT NOT NULL,"
     " renewed_ms BIGINT NOT NULL"
     ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"},
    {Sql::read_migration_lock,
     "SELECT holder, claimed_ms, renewed_ms, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
     " FROM engagementd_migration_lock WHERE name = 'migrate'"},
    {Sql::migration_lock_holder,
     "SELECT holder FROM engagementd_migration_lock WHERE name = 'migrate'"},
    {Sql::claim_migration_lock,
     "INSERT INTO engagementd_migration_lock (name, holder, claimed_ms, renewed_ms)"
     " VALUES ('migrate', :h, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED),"
     " CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED))"},
    // A holder that stopped renewing for :stale ms.
    {Sql::stale_migration_lock,
     "SELECT holder FROM engagementd_migration_lock WHERE name = 'migrate'"
     " AND renewed_ms < CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - :stale"},
    {Sql::take_over_migration_lock,
     "UPDATE engagementd_migration_lock SET holder = :h,"
     " claimed_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED),"
     " renewed_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
     " WHERE name = 'migrate' AND holder = :old"},
    {Sql::renew_migration_lock,
     "UPDATE engagementd_migration_lock"
     " SET renewed_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
     " WHERE name = 'migrate' AND holder = :h"},
    {Sql::drop_migration_lock,
     "DELETE FROM engagementd_migration_lock WHERE name = 'migrate' AND holder = :h"},
    {Sql::named_lock_used, "SELECT IS_USED_LOCK(:n)"},
    {Sql::get_named_lock, "SELECT GET_LOCK(:n, 0)"},
    {Sql::release_named_lock, "SELECT RELEASE_LOCK(:n)"},

    // --- The operator's commands ---
    // The columns in kConfigKeys' order, as text: the read-back compares
    // what the column holds, not what the client library makes of its type.
    {Sql::read_stream_config,
     "SELECT CAST(fake_viewers_enabled AS CHAR), CAST(fake_likes_enabled AS CHAR),"
     " CAST(min_fake_viewers AS CHAR), CAST(max_fake_viewers AS CHAR),"
     " CAST(viewer_increase_rate AS CHAR), CAST(viewer_decrease_rate AS CHAR),"
     " CAST(like_rate AS CHAR), CAST(engagement_multiplier AS CHAR)"
     " FROM stream_engagement_config WHERE stream_id = :id"},
    // :stream_id, then the columns in kConfigKeys' order.
    {Sql::write_stream_config,
     "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, fake_likes_enabled,"
     " min_fake_viewers, max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate,"
     " engagement_multiplier)"
     " VALUES (:stream_id, :fake_viewers_enabled, :fake_likes_enabled, :min_fake_viewers,"
     " :max_fake_viewers, :viewer_increase_rate, :viewer_decrease_rate, :like_rate,"
     " :engagement_multiplier)"
     " ON DUPLICATE KEY UPDATE fake_viewers_enabled = VALUES(fake_viewers_enabled),"
     " fake_likes_enabled = VALUES(fake_likes_enabled),"
     " min_fake_viewers = VALUES(min_fake_viewers), max_fake_viewers = VALUES(max_fake_viewers),"
     " viewer_increase_rate = VALUES(viewer_increase_rate),"
     " viewer_decrease_rate = VALUES(viewer_decrease_rate), like_rate = VALUES(like_rate),"
     " engagement_multiplier = VALUES(engagement_multiplier)"},
    {Sql::write_global_setting,
     "INSERT INTO global_stream_settings (setting_key, setting_value, updated_at)"
     " VALUES (:key, :value, NOW())"
     " ON DUPLICATE KEY UPDATE setting_value = VALUES(setting_value),"
     " updated_at = VALUES(updated_at)"},
    // Whole numbers, whatever type the database gives a COALESCE of mixed
    // columns (MariaDB makes BIGINT and BIGINT UNSIGNED a DECIMAL).
    // :since, then the range of stream ids (one stream: first = last).
    {Sql::report,
     "SELECT CAST(st.stream_id AS SIGNED), COALESCE(ls.status, 'deleted'),"
     " CAST(st.first_tick_ms AS SIGNED),"
     " CASE WHEN sm.stream_id IS NULL THEN 0 ELSE 1 END,"
     " CAST(COALESCE(sm.duration_seconds, (st.last_tick_ms - st.first_tick_ms) / 1000)"
     " AS SIGNED),"
     " CAST(COALESCE(sm.real_peak, st.real_peak) AS SIGNED),"
     " CAST(COALESCE(sm.sim_peak, st.sim_peak) AS SIGNED),"
     " CAST(COALESCE(sm.peak_viewers, st.peak_viewers) AS SIGNED),"
     " CAST(COALESCE(sm.real_viewers_total, (SELECT COUNT(DISTINCT sv.session_id) FROM"
     " stream_viewers sv WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0)) AS SIGNED),"
     " CAST(COALESCE(sm.sim_viewers_total, st.sim_joins) AS SIGNED),"
     " CAST(COALESCE(sm.real_likes, (SELECT COUNT(*) FROM stream_interactions si WHERE"
     " si.stream_id = st.stream_id AND si.is_fake = 0"
     " AND si.interaction_type = 'like')) AS SIGNED),"
     " CAST(COALESCE(sm.sim_likes, st.sim_likes) AS SIGNED)"
     " FROM engagementd_stream_state st"
     " LEFT JOIN engagementd_stream_summary sm ON sm.stream_id = st.stream_id"
     "   AND st.finalized_ms IS NOT NULL"
     " LEFT JOIN live_streams ls ON ls.id = st.stream_id"
     " WHERE st.first_tick_ms >= :since AND st.stream_id BETWEEN :first AND :last"
     " ORDER BY st.stream_id"},

    // --- doctor; :settled in seconds ---
    {Sql::settled_sessions,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
     " AND joined_at >= NOW() - INTERVAL 1 HOUR"
     " AND joined_at < NOW() - INTERVAL :settled SECOND"},
    {Sql::settled_sessions_beating,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
     " AND last_seen_at IS NOT NULL"
     " AND joined_at >= NOW() - INTERVAL 1 HOUR"
     " AND joined_at < NOW() - INTERVAL :settled SECOND"},
    {Sql::recent_fake_viewers,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 1"
     " AND joined_at >= NOW() - INTERVAL 1 HOUR"},
    {Sql::recent_fake_interactions,
     "SELECT COUNT(*) FROM stream_interactions WHERE is_fake = 1"
     " AND created_at >= NOW() - INTERVAL 1 HOUR"},

    // --- uninstall ---
    {Sql::has_trigger,
     "SELECT COUNT(*) FROM information_schema.triggers"
     " WHERE trigger_schema = DATABASE() AND trigger_name = :name"},
    {Sql::has_index,
     "SELECT COUNT(*) FROM information_schema.statistics"
     " WHERE table_schema = DATABASE() AND table_name = :table AND index_name = :name"},
    {Sql::column_comment,
     "SELECT column_comment FROM information_schema.columns"
     " WHERE table_schema = DATABASE() AND table_name = :table AND column_name = :column"},
    {Sql::drop_account, "DROP USER IF EXISTS {account}"},
    {Sql::drop_index, "DROP INDEX {index} ON {table}"},
    // show_real_numbers with a heartbeat column: open sessions seen
    // within :ttl seconds.
    {Sql::show_fresh_real_numbers,
     "UPDATE live_streams SET"
     " viewer_count = (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id ="
     "   live_streams.id AND sv.is_fake = 0 AND sv.left_at IS NULL"
     "   AND COALESCE(sv.last_seen_at, sv.joined_at) >= NOW() - INTERVAL :ttl SECOND),"
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
     "   AND COALESCE(sv.last_seen_at, sv.joined_at) >= NOW() - INTERVAL :ttl SECOND),"
     " like_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " dislike_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " comment_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'comment')"
     " WHERE status = 'live' AND includes_simulated <> 0"},
    // Then max_viewers: the real peak the daemon kept (its state row), at
    // least the viewers now; without a kept peak, the viewers now.
    {Sql::show_real_peak,
     "UPDATE live_streams SET max_viewers = GREATEST(viewer_count, COALESCE((SELECT"
     " st.real_peak FROM engagementd_stream_state st WHERE st.stream_id = live_streams.id"
     " AND st.finalized_ms IS NULL), 0)) WHERE status = 'live'"},
    {Sql::show_real_peak_badged,
     "UPDATE live_streams SET max_viewers = GREATEST(viewer_count, COALESCE((SELECT"
     " st.real_peak FROM engagementd_stream_state st WHERE st.stream_id = live_streams.id"
     " AND st.finalized_ms IS NULL), 0)) WHERE status = 'live' AND includes_simulated <> 0"},
    {Sql::show_viewers_as_peak,
     "UPDATE live_streams SET max_viewers = GREATEST(viewer_count, 0) WHERE status = 'live'"},
    {Sql::show_viewers_as_peak_badged,
     "UPDATE live_streams SET max_viewers = GREATEST(viewer_count, 0) WHERE status = 'live'"
     " AND includes_simulated <> 0"},

    // --- The triggers' own account; {account} 'user'@'host' ---
    {Sql::list_triggers,
     "SELECT trigger_name, event_object_table, definer FROM information_schema.triggers"
     " WHERE trigger_schema = DATABASE() AND"
     " (trigger_name LIKE 'engagementd%' OR trigger_name = 'live_streams_stream_key')"
     " ORDER BY trigger_name"},
    {Sql::count_accounts_named,
     "SELECT COUNT(*) FROM mysql.user WHERE CONVERT(user USING utf8mb4) = :user"},
    // mysql.user's columns are utf8mb3: compared in the connection's set.
    {Sql::count_accounts,
     "SELECT COUNT(*) FROM mysql.user WHERE CONVERT(user USING utf8mb4) = :user"
     " AND CONVERT(host USING utf8mb4) = :host"},
    {Sql::create_account, "CREATE USER IF NOT EXISTS {account} ACCOUNT LOCK"},
    {Sql::lock_account, "ALTER USER {account} ACCOUNT LOCK"},
    {Sql::grant, "GRANT {privileges} ON {database}.{table} TO {account}"},
    // Its columns 1 and 2: sql_mode and the trigger's text.
    {Sql::show_create_trigger, "SHOW CREATE TRIGGER {trigger}"},
    {Sql::save_sql_mode, "SET @engagementd_sql_mode = @@session.sql_mode"},
    {Sql::set_sql_mode, "SET SESSION sql_mode = :mode"},
    {Sql::lock_table, "LOCK TABLES {table} WRITE"},
    {Sql::unlock_tables, "UNLOCK TABLES"},
    {Sql::restore_sql_mode, "SET SESSION sql_mode = @engagementd_sql_mode"},
};

#undef LIVE_STREAMS_SELECT
#undef LIVE_STREAMS_FRESH_VIEWERS
#undef LIVE_STREAMS_SHARD_ORDER

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = parse_migrations(embedded_migrations_mysql());
  return all;
}

SqlDialect make() {
  SqlDialect d;
  d.transactional_ddl = false;
  d.typed_columns = true;
  d.row_locks = true;
  d.server_sessions = true;
  d.bulk_writer = true;
  d.connect = &connect_mysql;
  d.migrations = &migrations;
  d.session_setup = {Sql::set_utc_time_zone, Sql::set_lock_wait_timeout, Sql::repeatable_read};
  d.fill({std::begin(kStatements), std::end(kStatements)}, common_statements());
  return d;
}

}  // namespace

const SqlDialect& mysql_dialect() {
  static const SqlDialect d = make();
  return d;
}

}  // namespace engagementd
