// Every statement the store runs on MariaDB/MySQL (see sql_dialect.hpp).

#include <string>

#include "core/engagement.hpp"
#include "core/setting_text.hpp"
#include "store/mysql_connect.hpp"
#include "store/shard_hash.hpp"
#include "store/sql_dialect.hpp"

namespace engagementd {
namespace {

// Three subqueries counting a stream's real likes, dislikes and comments
// (rows with is_fake = 0), for the stream whose id is in `stream`.
std::string real_interaction_counts(const std::string& stream) {
  return " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = " + stream +
         " AND si.is_fake = 0 AND si.interaction_type = 'like'),"
         " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = " +
         stream +
         " AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
         " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = " +
         stream + " AND si.is_fake = 0 AND si.interaction_type = 'comment')";
}

// The display columns of live_streams from a row source d with the same
// column names, written once for every statement that sets them.
const std::string kDisplaySet =
    "ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
    " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
    " ls.comment_count = d.comment_count, ls.includes_simulated = d.includes_simulated";
// Display numbers are not an edit of the stream: keep updated_at (ON UPDATE
// CURRENT_TIMESTAMP would set it otherwise).
const std::string kKeepUpdatedAt = ", ls.updated_at = ls.updated_at";

// The state row's upsert: every column the tick changes; finalized_ms
// cleared (a finalized stream live again); the settings kept when none are
// given.
const std::string kStateUpsertTail =
    " ON DUPLICATE KEY UPDATE sim_viewers = VALUES(sim_viewers),"
    " sim_joins = VALUES(sim_joins), sim_likes = VALUES(sim_likes),"
    " peak_viewers = VALUES(peak_viewers), last_tick_ms = VALUES(last_tick_ms),"
    " finalized_ms = NULL, real_peak = VALUES(real_peak),"
    " sim_peak = VALUES(sim_peak), config_json = COALESCE(VALUES(config_json),"
    " engagementd_stream_state.config_json)";

std::string live_streams(bool heartbeat_column, const Shard& shard,
                         const std::vector<std::int64_t>& ids) {
  // The chunk's id range, or the named streams.
  const auto which = [&](const char* column, const char* name) {
    if (!ids.empty()) return std::string(" AND ") + column + " IN (" + literal_ids(ids) + ")";
    return std::string(" AND ") + column + " > :after" + name + " AND " + column + " <= :upto" +
           name;
  };
  std::string config_columns;
  for (const std::string_view key : kConfigKeys) config_columns += ", c." + std::string(key);
  // Real counts come from engagementd_real_counts, kept by the triggers of
  // migration 006 as the site writes: one primary-key read per live stream,
  // whatever the length of its history. A heartbeat column (time-based, no
  // trigger can follow it) has open sessions counted here instead, in a
  // derived table over the chunk's live streams' own rows (a range read per
  // stream on the (stream_id, is_fake, left_at) index).
  std::string viewers = "rc.viewers";
  std::string heartbeat_join;
  if (heartbeat_column) {
    viewers = "rv.viewers";
    heartbeat_join =
        " LEFT JOIN (SELECT sv.stream_id, COUNT(*) AS viewers FROM live_streams lv"
        "   JOIN stream_viewers sv ON sv.stream_id = lv.id"
        "   WHERE lv.status = 'live'" +
        which("lv.id", "_v") +
        "   AND sv.is_fake = 0 AND sv.left_at IS NULL"
        " AND COALESCE(sv.last_seen_at, sv.joined_at) >= NOW() - INTERVAL :ttl SECOND" +
        shard_filter("lv.id", shard, "_v") + "   GROUP BY sv.stream_id) rv ON rv.stream_id = ls.id";
  }
  // Plain columns, NULL for a missing row of a LEFT JOIN: no expression per
  // value (COALESCE, CASE and CAST measured twice the server's time).
  return "SELECT ls.id, ls.viewer_count, ls.max_viewers, ls.like_count, ls.dislike_count,"
         " ls.comment_count, ls.includes_simulated, c.stream_id" +
         config_columns +
         ", st.stream_id, st.sim_viewers, st.sim_joins, st.sim_likes, st.peak_viewers,"
         " st.first_tick_ms, st.last_tick_ms, st.finalized_ms, st.real_peak, st.sim_peak,"
         " st.config_json, " +
         viewers +
         ", rc.likes, rc.dislikes, rc.comments, rc.stream_id"
         " FROM live_streams ls"
         " LEFT JOIN stream_engagement_config c ON c.stream_id = ls.id"
         " LEFT JOIN engagementd_stream_state st ON st.stream_id = ls.id"
         " LEFT JOIN engagementd_real_counts rc ON rc.stream_id = ls.id" +
         heartbeat_join + " WHERE ls.status = 'live'" + which("ls.id", "") +
         shard_filter("ls.id", shard) + " ORDER BY ls.id";
}

std::string chunk_end(const Shard& shard, std::size_t chunk) {
  return "SELECT id FROM live_streams WHERE status = 'live' AND id > :after" +
         shard_filter("id", shard) + " ORDER BY id LIMIT 1 OFFSET " + std::to_string(chunk - 1);
}

std::string ended_streams(const Shard& shard, const std::vector<std::int64_t>& ids) {
  // The status bounded like a setting's text (it is only compared, or
  // shown in a message when unknown).
  return "SELECT st.stream_id, CASE WHEN ls.id IS NULL THEN 0 ELSE 1 END, LEFT(COALESCE(ls.status, "
         "''), " +
         std::to_string(kSettingTextMax + 1) +
         "),"
         " st.sim_viewers, st.sim_joins, st.sim_likes, st.peak_viewers, st.first_tick_ms,"
         " st.last_tick_ms, st.real_peak, st.sim_peak,"
         " (SELECT COUNT(DISTINCT sv.session_id) FROM stream_viewers sv"
         "   WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0)," +
         real_interaction_counts("st.stream_id") +
         ", COALESCE(TIMESTAMPDIFF(SECOND, ls.started_at, COALESCE(ls.ended_at, NOW())), -1)"
         " FROM engagementd_stream_state st LEFT JOIN live_streams ls ON ls.id = st.stream_id"
         " WHERE st.finalized_ms IS NULL AND (ls.id IS NULL OR ls.status <> 'live')" +
         (ids.empty() ? std::string() : " AND st.stream_id IN (" + literal_ids(ids) + ")") +
         shard_filter("st.stream_id", shard) + " ORDER BY st.stream_id";
}

std::string live_rows(const Shard& shard) {
  return "SELECT ls.id, ls.viewer_count, ls.max_viewers, ls.like_count, ls.dislike_count,"
         " ls.comment_count, ls.includes_simulated FROM live_streams ls"
         " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto" +
         shard_filter("ls.id", shard) + " ORDER BY ls.id";
}

std::string fresh_viewers(const Shard& shard) {
  // A range of stream ids on the (stream_id, is_fake, left_at) index; the
  // rows of streams that are not live (or not kept) are left aside by the
  // caller.
  return "SELECT stream_id, COUNT(*) FROM stream_viewers"
         " WHERE stream_id > :after AND stream_id <= :upto AND is_fake = 0 AND left_at IS NULL"
         " AND COALESCE(last_seen_at, joined_at) >= FROM_UNIXTIME(:cutoff)" +
         shard_filter("stream_id", shard) + " GROUP BY stream_id ORDER BY stream_id";
}

std::string real_deltas(const Shard& shard) {
  return "SELECT stream_id, seen_s, CAST(SUM(viewers) AS SIGNED), CAST(SUM(likes) AS SIGNED),"
         " CAST(SUM(dislikes) AS SIGNED), CAST(SUM(comments) AS SIGNED)"
         " FROM engagementd_real_deltas WHERE 1 = 1" +
         shard_filter("stream_id", shard) + " GROUP BY stream_id, seen_s ORDER BY stream_id";
}

std::string real_delta_runs(const Shard& shard) {
  // Consecutive ids have the same id - ROW_NUMBER().
  return "SELECT MIN(id), MAX(id) FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run"
         " FROM engagementd_real_deltas WHERE 1 = 1" +
         shard_filter("stream_id", shard) + ") r GROUP BY run ORDER BY 1";
}

std::string stream_changes(const Shard& shard) {
  return "SELECT id, stream_id FROM engagementd_stream_changes WHERE 1 = 1" +
         shard_filter("stream_id", shard) + " ORDER BY id";
}

std::string count_open_viewers(const std::string& placeholders) {
  return "SELECT stream_id, 'viewers', COUNT(*) FROM stream_viewers WHERE stream_id IN (" +
         placeholders + ") AND is_fake = 0 AND left_at IS NULL GROUP BY stream_id";
}

std::string count_interactions(const std::string& placeholders) {
  return "SELECT stream_id, CAST(interaction_type AS CHAR), COUNT(*) FROM stream_interactions"
         " WHERE stream_id IN (" +
         placeholders +
         ") AND is_fake = 0 AND interaction_type IN ('like', 'dislike', 'comment')"
         " GROUP BY stream_id, interaction_type";
}

std::string check_real_counts(bool one_stream) {
  return "SELECT rc.stream_id, rc.viewers + COALESCE((SELECT SUM(d.viewers) FROM"
         " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.likes +"
         " COALESCE((SELECT SUM(d.likes) FROM engagementd_real_deltas d WHERE d.stream_id ="
         " rc.stream_id), 0), rc.dislikes + COALESCE((SELECT SUM(d.dislikes) FROM"
         " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.comments +"
         " COALESCE((SELECT SUM(d.comments) FROM engagementd_real_deltas d WHERE d.stream_id ="
         " rc.stream_id), 0),"
         " (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id = rc.stream_id"
         "   AND sv.is_fake = 0 AND sv.left_at IS NULL)," +
         real_interaction_counts("rc.stream_id") + " FROM engagementd_real_counts rc" +
         (one_stream ? " WHERE rc.stream_id = :id" : "") + " ORDER BY rc.stream_id";
}

// The multi-row UPDATE ... JOIN of display rows (also one row, at
// finalization).
RowsStatement update_displays(bool keep_updated_at, bool live) {
  return {"UPDATE live_streams ls JOIN (",
          RowsForm::derived_table,
          {"stream_id", "viewer_count", "max_viewers", "like_count", "dislike_count",
           "comment_count", "includes_simulated"},
          ") d ON ls.id = d.stream_id SET " + kDisplaySet +
              (keep_updated_at ? kKeepUpdatedAt : std::string()) +
              (live ? " WHERE ls.status = 'live'" : " WHERE ls.status <> 'live'")};
}

std::string sync_saved_streams(SavedStreamsLayout layout, long long display_limit) {
  std::string set, differs;
  if (layout == SavedStreamsLayout::migration) {
    set = "sv.viewer_count = s.final_viewer_count, sv.like_count = s.final_like_count";
    differs =
        " AND (sv.viewer_count <> s.final_viewer_count OR sv.like_count <> s.final_like_count)";
  } else if (layout == SavedStreamsLayout::dump_linked) {
    set =
        "sv.views = s.final_viewer_count, sv.likes = s.final_like_count,"
        " sv.dislikes = s.real_dislikes";
    differs =
        " AND (sv.views IS NULL OR sv.likes IS NULL OR sv.dislikes IS NULL"
        " OR sv.views <> s.final_viewer_count OR sv.likes <> s.final_like_count"
        " OR sv.dislikes <> s.real_dislikes)";
  } else {
    return {};
  }
  const std::string limit = std::to_string(display_limit);
  return "UPDATE saved_streams sv JOIN (SELECT stream_id, LEAST(final_viewer_count, " + limit +
         ") AS final_viewer_count, LEAST(final_like_count, " + limit +
         ") AS final_like_count, LEAST(real_dislikes, " + limit +
         ") AS real_dislikes FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
         " ON s.stream_id = sv.stream_id SET " +
         set + " WHERE sv.stream_id IS NOT NULL" + differs;
}

std::string alter_decimal(const SqlDialect::DecimalColumn& c, long long precision,
                          long long scale) {
  // The same column otherwise: its sign, nullability, default and comment
  // are the site's (a MODIFY restates them all, so each is written back).
  std::string text = "ALTER TABLE " + c.table + " MODIFY " + c.column + " DECIMAL(" +
                     std::to_string(precision) + "," + std::to_string(scale) + ")";
  if (c.column_type.find("unsigned") != std::string::npos) text += " UNSIGNED";
  text += c.nullable == "YES" ? " NULL" : " NOT NULL";
  if (c.default_value) text += " DEFAULT " + *c.default_value;
  if (c.comment_literal != "''") text += " COMMENT " + c.comment_literal;
  return text;
}

// --- The bulk writer's statements ---

std::string staged_range(const char* alias, const std::optional<StagedRange>& range) {
  if (!range) return {};
  return std::string(" AND ") + alias + ".stream_id BETWEEN " + std::to_string(range->lo) +
         " AND " + std::to_string(range->hi);
}

std::string load(const std::string& file, const std::string& table) {
  return "LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE " + table + " CHARACTER SET utf8mb4";
}

// Only the columns that change every tick: assigning a text column to
// itself in the same statement measured 5 times slower.
std::string update_staged_states(const std::optional<StagedRange>& range) {
  return "UPDATE engagementd_stream_state st JOIN engagementd_tick_state t"
         " ON t.stream_id = st.stream_id"
         " SET st.sim_viewers = t.sim_viewers, st.sim_joins = t.sim_joins,"
         " st.sim_likes = t.sim_likes, st.peak_viewers = t.peak_viewers,"
         " st.last_tick_ms = t.last_tick_ms, st.real_peak = t.real_peak,"
         " st.sim_peak = t.sim_peak WHERE t.is_new = 0" +
         staged_range("t", range);
}

std::string update_staged_state_configs(const std::optional<StagedRange>& range) {
  return "UPDATE engagementd_stream_state st JOIN engagementd_tick_state t"
         " ON t.stream_id = st.stream_id JOIN engagementd_tick_config j"
         " ON j.config_id = t.config_id SET st.config_json = j.config_json"
         " WHERE t.is_new = 0" +
         staged_range("t", range);
}

// New streams, and finalized ones live again.
std::string insert_staged_states(bool with_configs, const std::optional<StagedRange>& range) {
  return std::string(
             "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins,"
             " sim_likes, peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak,"
             " sim_peak, config_json) SELECT t.stream_id, t.sim_viewers, t.sim_joins,"
             " t.sim_likes, t.peak_viewers, t.first_tick_ms, t.last_tick_ms, NULL,"
             " t.real_peak, t.sim_peak, ") +
         (with_configs ? "j.config_json FROM engagementd_tick_state t"
                         " LEFT JOIN engagementd_tick_config j ON j.config_id = t.config_id"
                       : "NULL FROM engagementd_tick_state t") +
         " WHERE t.is_new = 1" + staged_range("t", range) + kStateUpsertTail;
}

std::string update_staged_displays(bool keep_updated_at, const std::optional<StagedRange>& range) {
  return "UPDATE live_streams ls JOIN engagementd_tick_display d ON ls.id = d.stream_id SET " +
         kDisplaySet + (keep_updated_at ? kKeepUpdatedAt : std::string()) +
         " WHERE ls.status = 'live'" + staged_range("d", range);
}

BulkSql bulk_sql() {
  BulkSql b;
  b.create_tables = {
      // MEMORY tables, one set per connection (temporary): whole numbers
      // as BIGINT, so a value is never clipped on the way; the real columns
      // check them when the rows are applied. The size limit is raised for
      // this session only; the tables hold one tick's changed rows.
      "SET SESSION max_heap_table_size = 4294967296",
      "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_state ("
      " stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, is_new TINYINT NOT NULL,"
      " sim_viewers BIGINT NOT NULL, sim_joins BIGINT NOT NULL, sim_likes BIGINT NOT NULL,"
      " peak_viewers BIGINT NOT NULL, first_tick_ms BIGINT NOT NULL,"
      " last_tick_ms BIGINT NOT NULL, real_peak BIGINT NOT NULL,"
      " sim_peak BIGINT NOT NULL, config_id INT NOT NULL) ENGINE=MEMORY",
      // The settings as JSON, each distinct text once (InnoDB: any length).
      "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_config ("
      " config_id INT NOT NULL PRIMARY KEY, config_json TEXT NOT NULL)"
      " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
      "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_display ("
      " stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, viewer_count BIGINT NOT NULL,"
      " max_viewers BIGINT NOT NULL, like_count BIGINT NOT NULL,"
      " dislike_count BIGINT NOT NULL, comment_count BIGINT NOT NULL,"
      " includes_simulated TINYINT NOT NULL) ENGINE=MEMORY"};
  b.clear_tables = {"DELETE FROM engagementd_tick_state", "DELETE FROM engagementd_tick_config",
                    "DELETE FROM engagementd_tick_display"};
  b.load = &load;
  b.update_states = &update_staged_states;
  b.update_state_configs = &update_staged_state_configs;
  b.insert_states = &insert_staged_states;
  b.update_displays = &update_staged_displays;
  return b;
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = parse_migrations(embedded_migrations_mysql());
  return all;
}

SqlDialect make() {
  static const BulkSql bulk = bulk_sql();
  SqlDialect d;
  d.transactional_ddl = false;
  d.typed_columns = true;
  d.row_locks = true;
  d.server_sessions = true;
  d.connect = &connect_mysql;
  d.migrations = &migrations;
  d.bulk = &bulk;
  d.session_setup = {
      // The database clock in UTC, whatever the server's time_zone: in a
      // zone with daylight saving time NOW() repeats an hour at the change
      // back, and UNIX_TIMESTAMP(NOW()) with it (now_ms below). TIMESTAMP
      // columns are stored in UTC and converted to the session's zone, so
      // comparing them with NOW() stays right whatever zone the site's own
      // sessions use.
      "SET SESSION time_zone = '+00:00'",
      // A row lock held by the site (or a stalled instance) fails the tick
      // after 5 s instead of holding it for the server's default 50 s; the
      // tick is then retried.
      "SET SESSION innodb_lock_wait_timeout = 5",
      // One snapshot for the whole tick, whatever the server's default:
      // folding the appended real-count rows and a stream's first count
      // rely on it (Store::fold_real_deltas, Store::count_real).
      "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
  };

  // --- Schema ---
  d.count_columns =
      "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() "
      "AND table_name = :t AND column_name = :c";
  d.count_tables =
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
      "AND table_name = :t";
  // An index whose only column is `column`, unique (the primary key too).
  d.count_unique_single_column_indexes =
      "SELECT COUNT(*) FROM (SELECT index_name FROM information_schema.statistics"
      " WHERE table_schema = DATABASE() AND table_name = :t AND non_unique = 0"
      " GROUP BY index_name HAVING COUNT(*) = 1 AND MAX(column_name) = :c) u";
  d.count_indexes =
      "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()"
      " AND table_name = :t AND index_name = :i";
  d.column_type =
      "SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE()"
      " AND table_name = :t AND column_name = :c";
  d.decimal_column =
      "SELECT data_type, column_type, is_nullable, column_default,"
      " COALESCE(numeric_precision, 0), COALESCE(numeric_scale, 0), QUOTE(column_comment)"
      " FROM information_schema.columns WHERE table_schema = DATABASE()"
      " AND table_name = :t AND column_name = :c";
  d.alter_decimal = &alter_decimal;
  d.create_version_table = std::string("CREATE TABLE IF NOT EXISTS ") + kVersionTable +
                           " ("
                           " version INT NOT NULL PRIMARY KEY,"
                           " name VARCHAR(255) NOT NULL,"
                           " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
                           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  d.max_schema_version = std::string("SELECT MAX(version) FROM ") + kVersionTable;
  d.insert_schema_version =
      std::string("INSERT INTO ") + kVersionTable + " (version, name) VALUES (:v, :n)";
  // Two migrators at once would interleave DDL: serialize them.
  d.server_settings =
      "SELECT VERSION(), @@version_comment, @@log_bin, @@binlog_format,"
      " @@log_bin_trust_function_creators";
  d.current_database = "SELECT DATABASE()";
  d.own_grants = "SHOW GRANTS";
  d.current_roles = "SELECT CURRENT_ROLE()";
  d.role_grants = [](const std::string& role) { return "SHOW GRANTS FOR `" + role + "`"; };

  // --- The tick's reads ---
  // The session's zone is UTC (session_setup): no hour repeats.
  d.now_ms = "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";
  // One character past the longest setting text: a longer value is seen
  // to be too long without being read whole on every tick.
  d.global_settings = "SELECT setting_key, LEFT(setting_value, " +
                      std::to_string(kSettingTextMax + 1) +
                      ") FROM global_stream_settings "
                      "WHERE setting_key IN ('fake_viewers_enabled', 'fake_likes_enabled', "
                      "'min_fake_viewers', 'max_fake_viewers', 'viewer_increase_rate', "
                      "'viewer_decrease_rate', 'like_rate', 'engagement_multiplier', "
                      "'simulation_enabled', 'sim_watch_minutes')";
  d.live_streams = &live_streams;
  d.chunk_end = &chunk_end;
  d.ended_streams = &ended_streams;
  d.live_rows = &live_rows;
  d.fresh_viewers = &fresh_viewers;

  // --- Real counts ---
  d.real_deltas = &real_deltas;
  d.real_delta_runs = &real_delta_runs;
  d.delete_real_delta_run = "DELETE FROM engagementd_real_deltas WHERE id > :first AND id < :last";
  d.add_real_deltas = {
      "UPDATE engagementd_real_counts rc JOIN (",
      RowsForm::derived_table,
      {"stream_id", "viewers", "likes", "dislikes", "comments"},
      ") d ON rc.stream_id = d.stream_id"
      " SET rc.viewers = rc.viewers + d.viewers, rc.likes = rc.likes + d.likes,"
      " rc.dislikes = rc.dislikes + d.dislikes, rc.comments = rc.comments + d.comments"};
  // By primary key, one point each: a scan (the optimizer's choice when the
  // list covers most of the table) would lock the gaps up to the table's
  // end until the tick commits, and the triggers' inserts would wait for
  // it; a point on a unique key locks that row alone. A join on the
  // primary key (eq_ref), not `IN (...)`: a multi-row IN takes next-key
  // locks, i.e. the gap below each row too, and on a Galera cluster, where
  // each node's ids interleave (auto-increment step = cluster size), the
  // site's rows from other nodes land in exactly those gaps: their
  // replication aborted the tick (measured, tests/galera).
  d.delete_real_deltas = {"DELETE d FROM engagementd_real_deltas d JOIN (",
                          RowsForm::derived_table,
                          {"id"},
                          ") k ON d.id = k.id"};
  d.count_open_viewers = &count_open_viewers;
  d.count_interactions = &count_interactions;
  d.upsert_real_counts = {
      "INSERT INTO engagementd_real_counts (stream_id, viewers, likes, dislikes, comments)"
      " VALUES ",
      RowsForm::values,
      {},
      " ON DUPLICATE KEY UPDATE viewers = VALUES(viewers), likes = VALUES(likes),"
      " dislikes = VALUES(dislikes), comments = VALUES(comments)"};
  d.check_real_counts = &check_real_counts;
  d.drop_real_counts = "DELETE FROM engagementd_real_counts";
  d.drop_stream_real_counts = "DELETE FROM engagementd_real_counts WHERE stream_id = :id";
  // A locking read of the kept rows (the latest, not the snapshot's), so
  // that the DELETE after it drops exactly the streams noted. INSERT ...
  // SELECT holds the table's AUTO-INC lock for the statement: the site's
  // settings writes (the triggers) wait for this one read of a rare command.
  d.note_dropped_real_counts =
      "INSERT INTO engagementd_stream_changes (stream_id)"
      " SELECT stream_id FROM engagementd_real_counts ORDER BY stream_id";
  d.note_dropped_stream_real_counts =
      "INSERT INTO engagementd_stream_changes (stream_id)"
      " SELECT stream_id FROM engagementd_real_counts WHERE stream_id = :id";

  // --- Stream changes ---
  d.stream_changes = &stream_changes;
  // Exactly the rows read, by primary key in a join (see delete_real_deltas:
  // no gap locks the triggers' inserts would wait for).
  d.delete_stream_changes = {"DELETE c FROM engagementd_stream_changes c JOIN (",
                             RowsForm::derived_table,
                             {"id"},
                             ") k ON c.id = k.id"};

  // --- The tick's writes ---
  // The admin panel may create the row at the same moment: theirs wins.
  // (INSERT IGNORE needs only the INSERT privilege; see schema/mysql/grants.sql.)
  d.insert_configs = {
      "INSERT IGNORE INTO stream_engagement_config (stream_id, fake_viewers_enabled, "
      "fake_likes_enabled, min_fake_viewers, max_fake_viewers, viewer_increase_rate, "
      "viewer_decrease_rate, like_rate, engagement_multiplier) VALUES ",
      RowsForm::values,
      {},
      ""};
  d.upsert_states = {
      "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins, sim_likes, "
      "peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak, sim_peak, "
      "config_json) VALUES ",
      RowsForm::values,
      {},
      kStateUpsertTail};
  d.update_displays = &update_displays;
  d.rows_savepoint = {"SAVEPOINT engagementd_rows", "RELEASE SAVEPOINT engagementd_rows",
                      "ROLLBACK TO SAVEPOINT engagementd_rows"};

  // --- Finalization ---
  // The guard: whoever turns finalized_ms from NULL does the rest, once.
  d.finalize_state =
      "UPDATE engagementd_stream_state SET finalized_ms = :ms WHERE stream_id = :id"
      " AND finalized_ms IS NULL";
  d.delete_stream_counts = "DELETE FROM engagementd_real_counts WHERE stream_id = :id";
  d.final_saved_migration =
      "UPDATE saved_streams SET viewer_count = :viewers, like_count = :likes"
      " WHERE stream_id = :id";
  d.summary_follow_status =
      "UPDATE engagementd_stream_summary s JOIN live_streams ls ON ls.id = s.stream_id"
      " SET s.final_status = ls.status"
      " WHERE s.stream_id > :after AND s.stream_id <= :upto"
      " AND ls.status IN ('scheduled', 'ended', 'archived', 'cancelled')"
      " AND s.final_status <> ls.status";
  d.summary_sweep_upto =
      "SELECT MAX(stream_id) FROM (SELECT stream_id FROM engagementd_stream_summary"
      " WHERE stream_id > :after ORDER BY stream_id LIMIT 1000) t";
  // A row of the site's gone: its stream was deleted outright.
  d.summary_mark_deleted =
      "UPDATE engagementd_stream_summary SET final_status = 'deleted'"
      " WHERE stream_id > :after AND stream_id <= :upto AND final_status <> 'deleted'"
      " AND NOT EXISTS (SELECT 1 FROM live_streams ls"
      " WHERE ls.id = engagementd_stream_summary.stream_id)";
  d.purge_deleted_state =
      "DELETE FROM engagementd_stream_state WHERE stream_id > :after AND stream_id <= :upto"
      " AND finalized_ms IS NOT NULL AND finalized_ms < :before"
      " AND NOT EXISTS (SELECT 1 FROM live_streams ls"
      " WHERE ls.id = engagementd_stream_state.stream_id)";
  d.final_saved_dump =
      "UPDATE saved_streams SET views = :viewers, likes = :likes, dislikes = :dislikes"
      " WHERE stream_id = :id";
  d.replace_summary =
      "REPLACE INTO engagementd_stream_summary (stream_id, final_status, duration_seconds, "
      "real_viewers_total, sim_viewers_total, real_likes, sim_likes, real_dislikes, "
      "real_comments, peak_viewers, final_viewer_count, final_like_count, real_peak, sim_peak, "
      "finalized_ms) VALUES (:id, :status, :duration, :real_total, :sim_total, :real_likes,"
      " :sim_likes, :real_dislikes, :real_comments, :peak, :viewers, :likes, :real_peak,"
      " :sim_peak, :finalized)";
  d.sync_saved_streams = &sync_saved_streams;
  d.saved_savepoint = {"SAVEPOINT engagementd_saved", "RELEASE SAVEPOINT engagementd_saved",
                       "ROLLBACK TO SAVEPOINT engagementd_saved"};

  // --- The lease ---
  d.read_lease =
      "SELECT holder, token, connection_id, expires_ms, last_tick_ms, server_host,"
      " server_started_s FROM engagementd_leader WHERE shard = :s";
  d.lock_lease = d.read_lease + " FOR UPDATE NOWAIT";
  // A shard seen for the first time: an empty, expired row to lock.
  d.create_lease =
      "INSERT IGNORE INTO engagementd_leader (shard, holder, token, expires_ms)"
      " VALUES (:s, '', 0, 0)";
  // The stamp of the lock's holder (lease_lock_holder): uncommitted until
  // the tick commits, visible to a standby's dirty read only while this
  // transaction holds the row. With the node: connection ids are per node
  // on a cluster (migration 010). The nonce is new (above the committed
  // one) and is the time the row was locked, on the database clock: a
  // standby ends only a holder that has kept the lock past a lease, never
  // one whose tick has just begun (another instance taking over).
  d.stamp_lease_lock =
      "UPDATE engagementd_leader SET connection_id = CONNECTION_ID(),"
      " lock_account = CURRENT_USER(),"
      " lock_nonce = GREATEST(lock_nonce + 1, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)),"
      " lock_node = :node WHERE shard = :s";
  d.write_lease =
      "UPDATE engagementd_leader SET holder = :holder, token = :token,"
      " connection_id = :connection, expires_ms = :expires, last_tick_ms = :last_tick,"
      " server_host = :host, server_started_s = :started"
      " WHERE shard = :s AND token = :read_token AND last_tick_ms = :read_last_tick";
  d.upsert_instance =
      "INSERT INTO engagementd_instances (holder, shard_count, seen_ms) VALUES (:h, :c, :n)"
      " ON DUPLICATE KEY UPDATE shard_count = VALUES(shard_count), seen_ms = VALUES(seen_ms)";
  d.release_lease =
      "UPDATE engagementd_leader SET expires_ms = 0 WHERE shard = :s AND holder = :holder"
      " AND token = :token";
  d.read_uncommitted = "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED";
  d.repeatable_read = "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
  d.read_lease_stamp =
      "SELECT connection_id, lock_nonce, lock_account, lock_node FROM engagementd_leader"
      " WHERE shard = :s";
  d.read_lease_nonce = "SELECT lock_nonce FROM engagementd_leader WHERE shard = :s";
  d.current_user = "SELECT CURRENT_USER()";
  d.server_identity = "SELECT @@hostname, @@port, UNIX_TIMESTAMP()";
  // SHOW STATUS: the one form MariaDB and MySQL 8 both have, no privilege needed.
  d.server_uptime = "SHOW GLOBAL STATUS LIKE 'Uptime'";
  d.connection_id = "SELECT CONNECTION_ID()";
  // KILL takes no placeholder; the id is a number formatted here.
  d.kill_connection = [](long long id) { return "KILL CONNECTION " + std::to_string(id); };

  // --- Audit ---
  d.append_audit = {"INSERT INTO engagementd_audit (at_ms, event, stream_id, detail) VALUES ",
                    RowsForm::values,
                    {},
                    ""};
  d.last_audit_detail =
      "SELECT detail FROM engagementd_audit WHERE event = :e ORDER BY id DESC LIMIT 1";
  return d;
}

}  // namespace

const SqlDialect& mysql_dialect() {
  static const SqlDialect d = make();
  return d;
}

}  // namespace engagementd
