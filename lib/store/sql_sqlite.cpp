// Every statement the store runs on SQLite (see sql_dialect.hpp), and the
// connection's set-up.

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <stdexcept>
#include <string>

#include "core/engagement.hpp"
#include "core/setting_text.hpp"
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

// The display columns of live_streams from the rows d (column1 the id), and
// updated_at kept as the other dialect does (a no-op here: SQLite has no ON
// UPDATE clause).
const std::string kDisplaySet =
    "viewer_count = d.column2, max_viewers = d.column3, like_count = d.column4,"
    " dislike_count = d.column5, comment_count = d.column6, includes_simulated = d.column7";
const std::string kKeepUpdatedAt = ", updated_at = updated_at";

// The state row's upsert: every column the tick changes; finalized_ms
// cleared (a finalized stream live again); the settings kept when none are
// given.
const std::string kStateUpsertTail =
    " ON CONFLICT(stream_id) DO UPDATE SET sim_viewers = excluded.sim_viewers,"
    " sim_joins = excluded.sim_joins, sim_likes = excluded.sim_likes,"
    " peak_viewers = excluded.peak_viewers, last_tick_ms = excluded.last_tick_ms,"
    " finalized_ms = NULL, real_peak = excluded.real_peak, sim_peak = excluded.sim_peak,"
    " config_json = COALESCE(excluded.config_json, engagementd_stream_state.config_json)";

// Every value as text, NULL kept (SOCI's SQLite backend reads a column
// declared INT through a 32-bit int, even into a string).
std::string as_text(const std::string& column) {
  return "CAST(" + column + " AS TEXT)";
}

std::string live_streams(bool heartbeat_column, const Shard& shard,
                         const std::vector<std::int64_t>& ids) {
  // The chunk's id range, or the named streams.
  const auto which = [&](const char* column, const char* name) {
    if (!ids.empty()) return std::string(" AND ") + column + " IN (" + literal_ids(ids) + ")";
    return std::string(" AND ") + column + " > :after" + name + " AND " + column + " <= :upto" +
           name;
  };
  std::string columns;
  const auto add = [&](const std::string& c) {
    columns += (columns.empty() ? "" : ", ") + as_text(c);
  };
  for (const char* c :
       {"ls.id", "ls.viewer_count", "ls.max_viewers", "ls.like_count", "ls.dislike_count",
        "ls.comment_count", "ls.includes_simulated", "c.stream_id"}) {
    add(c);
  }
  for (const std::string_view key : kConfigKeys) add("c." + std::string(key));
  for (const char* c : {"st.stream_id", "st.sim_viewers", "st.sim_joins", "st.sim_likes",
                        "st.peak_viewers", "st.first_tick_ms", "st.last_tick_ms", "st.finalized_ms",
                        "st.real_peak", "st.sim_peak", "st.config_json"}) {
    add(c);
  }
  add(heartbeat_column ? "rv.viewers" : "rc.viewers");
  for (const char* c : {"rc.likes", "rc.dislikes", "rc.comments", "rc.stream_id"}) add(c);
  // Open sessions counted here when there is a heartbeat column (see the
  // MariaDB text for the reasons).
  std::string heartbeat_join;
  if (heartbeat_column) {
    heartbeat_join =
        " LEFT JOIN (SELECT sv.stream_id, COUNT(*) AS viewers FROM live_streams lv"
        "   JOIN stream_viewers sv ON sv.stream_id = lv.id"
        "   WHERE lv.status = 'live'" +
        which("lv.id", "_v") +
        "   AND sv.is_fake = 0 AND sv.left_at IS NULL"
        " AND COALESCE(sv.last_seen_at, sv.joined_at) >= "
        "datetime('now', '-' || :ttl || ' seconds')" +
        shard_filter("lv.id", shard, "_v") + "   GROUP BY sv.stream_id) rv ON rv.stream_id = ls.id";
  }
  return "SELECT " + columns +
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
  return "SELECT st.stream_id, CASE WHEN ls.id IS NULL THEN 0 ELSE 1 END, "
         "substr(COALESCE(ls.status, ''), 1, " +
         std::to_string(kSettingTextMax + 1) +
         "),"
         " st.sim_viewers, st.sim_joins, st.sim_likes, st.peak_viewers, st.first_tick_ms,"
         " st.last_tick_ms, st.real_peak, st.sim_peak,"
         " (SELECT COUNT(DISTINCT sv.session_id) FROM stream_viewers sv"
         "   WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0)," +
         real_interaction_counts("st.stream_id") +
         ", COALESCE(CAST(ROUND((julianday(COALESCE(ls.ended_at, 'now'))"
         " - julianday(ls.started_at)) * 86400) AS INTEGER), -1)"
         " FROM engagementd_stream_state st LEFT JOIN live_streams ls ON ls.id = st.stream_id"
         " WHERE st.finalized_ms IS NULL AND (ls.id IS NULL OR ls.status <> 'live')" +
         (ids.empty() ? std::string() : " AND st.stream_id IN (" + literal_ids(ids) + ")") +
         shard_filter("st.stream_id", shard) + " ORDER BY st.stream_id";
}

std::string live_rows(const Shard& shard) {
  return "SELECT " + as_text("ls.id") + ", " + as_text("ls.viewer_count") + ", " +
         as_text("ls.max_viewers") + ", " + as_text("ls.like_count") + ", " +
         as_text("ls.dislike_count") + ", " + as_text("ls.comment_count") + ", " +
         as_text("ls.includes_simulated") +
         " FROM live_streams ls"
         " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto" +
         shard_filter("ls.id", shard) + " ORDER BY ls.id";
}

std::string fresh_viewers(const Shard& shard) {
  // A range of stream ids on the (stream_id, is_fake, left_at) index; the
  // rows of streams that are not live (or not kept) are left aside by the
  // caller.
  return "SELECT CAST(stream_id AS TEXT), COUNT(*) FROM stream_viewers"
         " WHERE stream_id > :after AND stream_id <= :upto AND is_fake = 0 AND left_at IS NULL"
         " AND COALESCE(last_seen_at, joined_at) >= datetime(:cutoff, 'unixepoch')" +
         shard_filter("stream_id", shard) + " GROUP BY stream_id ORDER BY stream_id";
}

std::string real_deltas(const Shard& shard) {
  return "SELECT CAST(stream_id AS TEXT), CAST(seen_s AS TEXT), CAST(SUM(viewers) AS TEXT),"
         " CAST(SUM(likes) AS TEXT), CAST(SUM(dislikes) AS TEXT), CAST(SUM(comments) AS TEXT)"
         " FROM engagementd_real_deltas WHERE 1 = 1" +
         shard_filter("stream_id", shard) + " GROUP BY stream_id, seen_s ORDER BY stream_id";
}

std::string real_delta_runs(const Shard& shard) {
  // Consecutive ids have the same id - ROW_NUMBER().
  return "SELECT CAST(MIN(id) AS TEXT), CAST(MAX(id) AS TEXT)"
         " FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run"
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
  return "SELECT stream_id, interaction_type, COUNT(*) FROM stream_interactions"
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

// The multi-row UPDATE ... FROM (VALUES ...) of display rows (also one row,
// at finalization).
RowsStatement update_displays(bool keep_updated_at, bool live) {
  return {"UPDATE live_streams SET " + kDisplaySet +
              (keep_updated_at ? kKeepUpdatedAt : std::string()) + " FROM (VALUES ",
          RowsForm::values,
          {},
          std::string(") AS d WHERE live_streams.id = d.column1 AND live_streams.status ") +
              (live ? "= 'live'" : "<> 'live'")};
}

std::string sync_saved_streams(SavedStreamsLayout layout, long long /*display_limit*/) {
  std::string set, differs;
  if (layout == SavedStreamsLayout::migration) {
    set = "viewer_count = s.final_viewer_count, like_count = s.final_like_count";
    differs =
        " AND (sv.viewer_count <> s.final_viewer_count OR sv.like_count <> s.final_like_count)";
  } else if (layout == SavedStreamsLayout::dump_linked) {
    set = "views = s.final_viewer_count, likes = s.final_like_count, dislikes = s.real_dislikes";
    differs =
        " AND (sv.views IS NULL OR sv.likes IS NULL OR sv.dislikes IS NULL"
        " OR sv.views <> s.final_viewer_count OR sv.likes <> s.final_like_count"
        " OR sv.dislikes <> s.real_dislikes)";
  } else {
    return {};
  }
  return "UPDATE saved_streams AS sv SET " + set +
         " FROM (SELECT stream_id, final_viewer_count, final_like_count, real_dislikes"
         " FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
         " WHERE s.stream_id = sv.stream_id" +
         differs;
}

std::unique_ptr<soci::session> connect_sqlite(const DatabaseConfig& db, const std::string&,
                                              InfileSource*) {
  // SOCI takes a connection string without '=' as the plain file name.
  if (db.path.find('=') != std::string::npos) {
    throw std::runtime_error("the sqlite3 path must not contain '='");
  }
  auto sql = std::make_unique<soci::session>();
  sql->open(soci::sqlite3, db.path);
  *sql << "PRAGMA busy_timeout = " + std::to_string(db.write_timeout.count());
  // WAL: the site's readers never wait for a tick's write.
  std::string mode;
  *sql << "PRAGMA journal_mode=WAL", soci::into(mode);
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
  d.connect = &connect_sqlite;
  d.migrations = &migrations;
  d.bulk = nullptr;

  // --- Schema ---
  d.count_columns = "SELECT COUNT(*) FROM pragma_table_info(:t) WHERE name = :c";
  d.count_tables = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t";
  d.count_unique_single_column_indexes =
      "SELECT COUNT(*) FROM pragma_index_list(:t) il"
      " WHERE il.\"unique\" = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1"
      " AND (SELECT name FROM pragma_index_info(il.name)) = :c";
  d.count_indexes =
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
      " AND name = :i";
  d.create_version_table = std::string("CREATE TABLE IF NOT EXISTS ") + kVersionTable +
                           " ("
                           " version INTEGER NOT NULL PRIMARY KEY,"
                           " name TEXT NOT NULL,"
                           " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)";
  d.max_schema_version = std::string("SELECT MAX(version) FROM ") + kVersionTable;
  d.insert_schema_version =
      std::string("INSERT INTO ") + kVersionTable + " (version, name) VALUES (:v, :n)";

  // --- The tick's reads ---
  d.now_ms =
      "SELECT CAST(strftime('%s','now') AS INTEGER) * 1000"
      " + CAST(substr(strftime('%f','now'), 4) AS INTEGER)";
  // One character past the longest setting text: a longer value is seen
  // to be too long without being read whole on every tick.
  d.global_settings = "SELECT setting_key, substr(setting_value, 1, " +
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
      "UPDATE engagementd_real_counts SET viewers = viewers + d.column2, likes = likes +"
      " d.column3, dislikes = dislikes + d.column4, comments = comments + d.column5 FROM"
      " (VALUES ",
      RowsForm::values,
      {},
      ") AS d WHERE engagementd_real_counts.stream_id = d.column1"};
  d.delete_real_deltas = {
      "DELETE FROM engagementd_real_deltas WHERE id IN (", RowsForm::list, {}, ")"};
  d.count_open_viewers = &count_open_viewers;
  d.count_interactions = &count_interactions;
  d.upsert_real_counts = {
      "INSERT INTO engagementd_real_counts (stream_id, viewers, likes, dislikes, comments)"
      " VALUES ",
      RowsForm::values,
      {},
      " ON CONFLICT(stream_id) DO UPDATE SET viewers = excluded.viewers,"
      " likes = excluded.likes, dislikes = excluded.dislikes,"
      " comments = excluded.comments"};
  d.check_real_counts = &check_real_counts;
  d.drop_real_counts = "DELETE FROM engagementd_real_counts";
  d.drop_stream_real_counts = "DELETE FROM engagementd_real_counts WHERE stream_id = :id";
  d.note_dropped_real_counts =
      "INSERT INTO engagementd_stream_changes (stream_id)"
      " SELECT stream_id FROM engagementd_real_counts ORDER BY stream_id";
  d.note_dropped_stream_real_counts =
      "INSERT INTO engagementd_stream_changes (stream_id)"
      " SELECT stream_id FROM engagementd_real_counts WHERE stream_id = :id";

  // --- Stream changes ---
  d.stream_changes = &stream_changes;
  d.delete_stream_changes = {
      "DELETE FROM engagementd_stream_changes WHERE id IN (", RowsForm::list, {}, ")"};

  // --- The tick's writes ---
  // The admin panel may create the row at the same moment: theirs wins.
  d.insert_configs = {
      "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, "
      "fake_likes_enabled, min_fake_viewers, max_fake_viewers, viewer_increase_rate, "
      "viewer_decrease_rate, like_rate, engagement_multiplier) VALUES ",
      RowsForm::values,
      {},
      " ON CONFLICT(stream_id) DO NOTHING"};
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
      "UPDATE engagementd_stream_summary SET final_status = (SELECT ls.status FROM live_streams"
      " ls WHERE ls.id = engagementd_stream_summary.stream_id)"
      " WHERE stream_id > :after AND stream_id <= :upto AND EXISTS (SELECT 1 FROM live_streams"
      " ls WHERE ls.id = engagementd_stream_summary.stream_id"
      " AND ls.status IN ('scheduled', 'ended', 'archived', 'cancelled')"
      " AND ls.status <> engagementd_stream_summary.final_status)";
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
  // Taken before reading the row: the write lock for the whole transaction.
  d.create_lease =
      "INSERT OR IGNORE INTO engagementd_leader (shard, holder, token, expires_ms)"
      " VALUES (:s, '', 0, 0)";
  d.write_lease =
      "UPDATE engagementd_leader SET holder = :holder, token = :token,"
      " connection_id = :connection, expires_ms = :expires, last_tick_ms = :last_tick,"
      " server_host = :host, server_started_s = :started"
      " WHERE shard = :s AND token = :read_token AND last_tick_ms = :read_last_tick";
  d.upsert_instance =
      "INSERT INTO engagementd_instances (holder, shard_count, seen_ms) VALUES (:h, :c, :n)"
      " ON CONFLICT(holder) DO UPDATE SET shard_count = excluded.shard_count,"
      " seen_ms = excluded.seen_ms";
  d.release_lease =
      "UPDATE engagementd_leader SET expires_ms = 0 WHERE shard = :s AND holder = :holder"
      " AND token = :token";

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

const SqlDialect& sqlite_dialect() {
  static const SqlDialect d = make();
  return d;
}

}  // namespace engagementd
