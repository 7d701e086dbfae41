// The statements MariaDB/MySQL and SQLite run with the same text, each said
// once (see statements.hpp); and the dialect's table of texts.
//
// A shard's filter is written out in each statement that has one: the hash
// of shard_hash.hpp over the id column, `% :shard_count = :shard_index`
// (one shard: count 1 and index 0, which every id meets).

#include <stdexcept>
#include <iterator>
#include <string>
#include <utility>

#include "store/sql_dialect.hpp"

namespace engagementd {

const char* sql_name(Sql s) {
  static constexpr const char* kNames[] = {
#define ENGAGEMENTD_SQL_NAME(name) #name,
      ENGAGEMENTD_STATEMENTS(ENGAGEMENTD_SQL_NAME)
#undef ENGAGEMENTD_SQL_NAME
  };
  return kNames[static_cast<std::size_t>(s)];
}

namespace {

constexpr SqlText kCommon[] = {
    // --- The schema ---
    {Sql::max_schema_version, "SELECT MAX(version) FROM engagementd_schema_version"},
    {Sql::insert_schema_version,
     "INSERT INTO engagementd_schema_version (version, name) VALUES (:v, :n)"},

    // --- The tick's reads ---
    // The last id of the next chunk: the chunk-th live id after :after
    // (:skip = the chunk's size - 1).
    {Sql::chunk_end,
     "SELECT id FROM live_streams WHERE status = 'live' AND id > :after"
     " AND ((((id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11) % 2147483587)"
     " % :shard_count = :shard_index ORDER BY id LIMIT 1 OFFSET :skip"},

    // --- Real counts ---
    // The rows strictly inside a run of real_delta_runs.
    {Sql::delete_real_delta_run,
     "DELETE FROM engagementd_real_deltas WHERE id > :first AND id < :last"},
    // Grouped counts of the streams of the batch.
    {Sql::count_open_viewers,
     "SELECT stream_id, 'viewers', COUNT(*) FROM stream_viewers WHERE stream_id IN ({ids})"
     " AND is_fake = 0 AND left_at IS NULL GROUP BY stream_id"},
    // The kept counts with their appended deltas, beside the counts
    // made afresh: every stream's, or one (:id).
    {Sql::check_real_counts,
     "SELECT rc.stream_id, rc.viewers + COALESCE((SELECT SUM(d.viewers) FROM"
     " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.likes +"
     " COALESCE((SELECT SUM(d.likes) FROM engagementd_real_deltas d WHERE d.stream_id ="
     " rc.stream_id), 0), rc.dislikes + COALESCE((SELECT SUM(d.dislikes) FROM"
     " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.comments +"
     " COALESCE((SELECT SUM(d.comments) FROM engagementd_real_deltas d WHERE d.stream_id ="
     " rc.stream_id), 0),"
     " (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id = rc.stream_id"
     "   AND sv.is_fake = 0 AND sv.left_at IS NULL),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = rc.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = rc.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = rc.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'comment')"
     " FROM engagementd_real_counts rc ORDER BY rc.stream_id"},
    {Sql::check_stream_real_counts,
     "SELECT rc.stream_id, rc.viewers + COALESCE((SELECT SUM(d.viewers) FROM"
     " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.likes +"
     " COALESCE((SELECT SUM(d.likes) FROM engagementd_real_deltas d WHERE d.stream_id ="
     " rc.stream_id), 0), rc.dislikes + COALESCE((SELECT SUM(d.dislikes) FROM"
     " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.comments +"
     " COALESCE((SELECT SUM(d.comments) FROM engagementd_real_deltas d WHERE d.stream_id ="
     " rc.stream_id), 0),"
     " (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id = rc.stream_id"
     "   AND sv.is_fake = 0 AND sv.left_at IS NULL),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = rc.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = rc.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = rc.stream_id"
     " AND si.is_fake = 0 AND si.interaction_type = 'comment')"
     " FROM engagementd_real_counts rc WHERE rc.stream_id = :id ORDER BY rc.stream_id"},
    {Sql::drop_real_counts, "DELETE FROM engagementd_real_counts"},
    {Sql::drop_stream_real_counts, "DELETE FROM engagementd_real_counts WHERE stream_id = :id"},
    // recount: the streams whose kept counts are dropped, appended to
    // engagementd_stream_changes first. On MariaDB a locking read of the
    // kept rows (the latest, not the snapshot's), so that the DELETE
    // after it drops exactly the streams noted; INSERT ... SELECT holds
    // the table's AUTO-INC lock for the statement: the site's settings
    // writes (the triggers) wait for this one read of a rare command.
    {Sql::note_dropped_real_counts,
     "INSERT INTO engagementd_stream_changes (stream_id)"
     " SELECT stream_id FROM engagementd_real_counts ORDER BY stream_id"},
    {Sql::note_dropped_stream_real_counts,
     "INSERT INTO engagementd_stream_changes (stream_id)"
     " SELECT stream_id FROM engagementd_real_counts WHERE stream_id = :id"},

    // --- Stream changes: id, stream_id of the shard's rows, in id order ---
    {Sql::stream_changes,
     "SELECT id, stream_id FROM engagementd_stream_changes"
     " WHERE ((((stream_id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11)"
     " % 2147483587) % :shard_count = :shard_index ORDER BY id"},

    // --- The tick's writes ---
    {Sql::set_rows_savepoint, "SAVEPOINT engagementd_rows"},
    {Sql::release_rows_savepoint, "RELEASE SAVEPOINT engagementd_rows"},
    {Sql::rollback_to_rows_savepoint, "ROLLBACK TO SAVEPOINT engagementd_rows"},

    // --- Finalization ---
    // The guard: whoever turns finalized_ms from NULL does the rest, once.
    {Sql::finalize_state,
     "UPDATE engagementd_stream_state SET finalized_ms = :ms WHERE stream_id = :id"
     " AND finalized_ms IS NULL"},
    {Sql::delete_stream_counts, "DELETE FROM engagementd_real_counts WHERE stream_id = :id"},
    // The replay row's numbers, in the migration layout and the dump layout.
    {Sql::final_saved_migration,
     "UPDATE saved_streams SET viewer_count = :viewers, like_count = :likes"
     " WHERE stream_id = :id"},
    {Sql::final_saved_dump,
     "UPDATE saved_streams SET views = :viewers, likes = :likes, dislikes = :dislikes"
     " WHERE stream_id = :id"},
    {Sql::replace_summary,
     "REPLACE INTO engagementd_stream_summary (stream_id, final_status, duration_seconds, "
     "real_viewers_total, sim_viewers_total, real_likes, sim_likes, real_dislikes, "
     "real_comments, peak_viewers, final_viewer_count, final_like_count, real_peak, sim_peak, "
     "finalized_ms) VALUES (:id, :status, :duration, :real_total, :sim_total, :real_likes,"
     " :sim_likes, :real_dislikes, :real_comments, :peak, :viewers, :likes, :real_peak,"
     " :sim_peak, :finalized)"},
    {Sql::set_saved_savepoint, "SAVEPOINT engagementd_saved"},
    {Sql::release_saved_savepoint, "RELEASE SAVEPOINT engagementd_saved"},
    {Sql::rollback_to_saved_savepoint, "ROLLBACK TO SAVEPOINT engagementd_saved"},
    // The summary following the site (sweep_summaries), over the summary
    // rows with stream_id in (:after, :upto]: the range's end (NULL: none).
    {Sql::summary_sweep_upto,
     "SELECT MAX(stream_id) FROM (SELECT stream_id FROM engagementd_stream_summary"
     " WHERE stream_id > :after ORDER BY stream_id LIMIT 1000) t"},
    // A row of the site's gone: its stream was deleted outright.
    {Sql::summary_mark_deleted,
     "UPDATE engagementd_stream_summary SET final_status = 'deleted'"
     " WHERE stream_id > :after AND stream_id <= :upto AND final_status <> 'deleted'"
     " AND NOT EXISTS (SELECT 1 FROM live_streams ls"
     " WHERE ls.id = engagementd_stream_summary.stream_id)"},
    {Sql::purge_deleted_state,
     "DELETE FROM engagementd_stream_state WHERE stream_id > :after AND stream_id <= :upto"
     " AND finalized_ms IS NOT NULL AND finalized_ms < :before"
     " AND NOT EXISTS (SELECT 1 FROM live_streams ls"
     " WHERE ls.id = engagementd_stream_state.stream_id)"},

    // --- The lease and the instances ---
    {Sql::read_lease,
     "SELECT holder, token, connection_id, expires_ms, last_tick_ms, server_host,"
     " server_started_s FROM engagementd_leader WHERE shard = :s"},
    {Sql::write_lease,
     "UPDATE engagementd_leader SET holder = :holder, token = :token,"
     " connection_id = :connection, expires_ms = :expires, last_tick_ms = :last_tick,"
     " server_host = :host, server_started_s = :started"
     " WHERE shard = :s AND token = :read_token AND last_tick_ms = :read_last_tick"},
    {Sql::release_lease,
     "UPDATE engagementd_leader SET expires_ms = 0 WHERE shard = :s AND holder = :holder"
     " AND token = :token"},
    {Sql::present_instances,
     "SELECT holder FROM engagementd_instances WHERE shard_count = :c AND seen_ms >= :s"
     " ORDER BY holder"},
    {Sql::forget_instance, "DELETE FROM engagementd_instances WHERE holder = :h"},
    {Sql::shard_leases,
     "SELECT shard, holder, expires_ms FROM engagementd_leader WHERE shard < :c ORDER BY shard"},

    // --- The audit rows ---
    {Sql::append_audit,
     "INSERT INTO engagementd_audit (at_ms, event, stream_id, detail) VALUES {rows}",
     RowsForm::values, "at_ms, event, stream_id, detail"},
    {Sql::last_audit_detail,
     "SELECT detail FROM engagementd_audit WHERE event = :e ORDER BY id DESC LIMIT 1"},

    // --- The operator's commands ---
    {Sql::stream_exists, "SELECT COUNT(*) FROM live_streams WHERE id = :id"},
    {Sql::stream_status, "SELECT status FROM live_streams WHERE id = :id"},
    {Sql::live_stream_ids, "SELECT id FROM live_streams WHERE status = 'live' ORDER BY id"},

    // --- doctor ---
    {Sql::open_sessions,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"},
    {Sql::open_sessions_beating,
     "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
     " AND last_seen_at IS NOT NULL"},
    {Sql::recent_set_asides,
     "SELECT stream_id, detail FROM engagementd_audit WHERE event = 'set_aside'"
     " AND at_ms >= :since ORDER BY id DESC LIMIT 20"},

    // --- uninstall ---
    {Sql::count_rows, "SELECT COUNT(*) FROM {table}"},
    {Sql::count_live_streams, "SELECT COUNT(*) FROM live_streams WHERE status = 'live'"},
    {Sql::count_badged_streams,
     "SELECT COUNT(*) FROM live_streams WHERE status = 'live' AND includes_simulated <> 0"},
    {Sql::count_badged_rows, "SELECT COUNT(*) FROM live_streams WHERE includes_simulated <> 0"},
    {Sql::count_beating_sessions,
     "SELECT COUNT(*) FROM stream_viewers WHERE last_seen_at IS NOT NULL"},
    {Sql::count_replay_links, "SELECT COUNT(*) FROM saved_streams WHERE stream_id IS NOT NULL"},
    {Sql::drop_trigger, "DROP TRIGGER {trigger}"},
    {Sql::drop_table, "DROP TABLE {table}"},
    {Sql::drop_column, "ALTER TABLE {table} DROP COLUMN {column}"},
    // Every live stream's display columns set to its real numbers (open
    // sessions without a heartbeat column); _badged: of the streams
    // still badged only.
    {Sql::show_real_numbers,
     "UPDATE live_streams SET"
     " viewer_count = (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id ="
     "   live_streams.id AND sv.is_fake = 0 AND sv.left_at IS NULL),"
     " like_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " dislike_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " comment_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'comment')"
     " WHERE status = 'live'"},
    {Sql::show_real_numbers_badged,
     "UPDATE live_streams SET"
     " viewer_count = (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id ="
     "   live_streams.id AND sv.is_fake = 0 AND sv.left_at IS NULL),"
     " like_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'like'),"
     " dislike_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'dislike'),"
     " comment_count = (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
     "   live_streams.id AND si.is_fake = 0 AND si.interaction_type = 'comment')"
     " WHERE status = 'live' AND includes_simulated <> 0"},
    {Sql::badge_off, "UPDATE live_streams SET includes_simulated = 0 WHERE status = 'live'"},
    {Sql::badge_off_badged,
     "UPDATE live_streams SET includes_simulated = 0 WHERE status = 'live'"
     " AND includes_simulated <> 0"},
};

}  // namespace

const std::vector<SqlText>& common_statements() {
  static const std::vector<SqlText> all(std::begin(kCommon), std::end(kCommon));
  return all;
}

void SqlDialect::fill(const std::vector<SqlText>& own, const std::vector<SqlText>& common) {
  std::array<bool, kSqlCount> given{};
  const auto add = [&](const SqlText& t, const char* table) {
    const auto i = static_cast<std::size_t>(t.name);
    if (given[i]) {
      throw std::logic_error(std::string("statement ") + sql_name(t.name) + " given twice (" +
                             table + ")");
    }
    given[i] = true;
    texts_[i] = t.text;
    if (t.form == RowsForm::none) return;
    const std::string text = t.text;
    const auto at = text.find("{rows}");
    if (at == std::string::npos || t.columns == nullptr) {
      throw std::logic_error(std::string("statement ") + sql_name(t.name) +
                             ": rows without {rows} or columns");
    }
    RowsStatement& r = rows_[i];
    r.head = text.substr(0, at);
    r.tail = text.substr(at + 6);
    r.form = t.form;
    const std::string columns = t.columns;
    for (std::size_t from = 0; from <= columns.size();) {
      std::size_t comma = columns.find(',', from);
      if (comma == std::string::npos) comma = columns.size();
      std::string c = columns.substr(from, comma - from);
      while (!c.empty() && c.front() == ' ') c.erase(c.begin());
      if (!c.empty()) r.names.push_back(c);
      from = comma + 1;
    }
  };
  for (const SqlText& t : own) add(t, "the dialect's own table");
  for (const SqlText& t : common) add(t, "the common table");
  for (std::size_t i = 0; i < kSqlCount; ++i) {
    if (!given[i]) {
      throw std::logic_error(std::string("statement ") + sql_name(static_cast<Sql>(i)) +
                             " has no text in the dialect");
    }
  }
}

const char* SqlDialect::operator[](Sql s) const {
  const char* text = texts_[static_cast<std::size_t>(s)];
  if (text == kNoStatement) {
    throw std::logic_error(std::string("statement ") + sql_name(s) +
                           " is not one this database runs");
  }
  return text;
}

const RowsStatement& SqlDialect::rows(Sql s) const {
  const RowsStatement& r = rows_[static_cast<std::size_t>(s)];
  if (r.form == RowsForm::none) {
    throw std::logic_error(std::string("statement ") + sql_name(s) + " has no {rows}");
  }
  return r;
}

std::string with_ids(const char* text, std::size_t n) {
  // Each list its own placeholder names: {ids} :i0, :i1, ...; {ids_v}
  // (a second list in the same statement) :v0, :v1, ...
  const auto list = [n](const char* prefix) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += (i == 0 ? "" : ", ") + (prefix + std::to_string(i));
    return out;
  };
  std::string out = text;
  bool found = false;
  for (const auto& [slot, prefix] : {std::pair<std::string, const char*>{"{ids}", ":i"},
                                     std::pair<std::string, const char*>{"{ids_v}", ":v"}}) {
    const auto at = out.find(slot);
    if (at == std::string::npos) continue;
    out.replace(at, slot.size(), list(prefix));
    found = true;
  }
  if (!found) throw std::logic_error("a statement without {ids}");
  return out;
}

}  // namespace engagementd
