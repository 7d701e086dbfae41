// Finalization: a stream no longer live gets its final numbers, its summary
// row and its replay row, once; replay rows written later get them too.

#include <soci/soci.h>

#include "store/db_errors.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {

bool Store::finalize(const Finalization& f) {
  // One stream's statements in a savepoint: a failure of its own (a value,
  // a constraint, a trigger of the site's) sets it aside, not the tick.
  bool done = false;
  isolating(
      0, 1, [&](std::size_t, std::size_t) { done = finalize_rows(f); },
      [&](std::size_t) { return f.stream_id; });
  return done;
}

bool Store::finalize_rows(const Finalization& f) {
  const long long id = f.stream_id;
  const Display& d = f.final_display;
  // The guard: whoever turns finalized_ms from NULL does the rest, once.
  {
    BoundSql q(*sql_);
    q.text(dialect_.finalize_state).bind(static_cast<long long>(f.finalized_ms)).bind(id);
    if (q.execute() != 1) return false;
  }
  {
    // The stream's counts row is no longer needed: the summary has them.
    BoundSql q(*sql_);
    q.text(dialect_.delete_stream_counts).bind(id);
    q.execute();
  }
  if (f.stream_exists) {
    // The same statement as the tick's display rows, for one stream that
    // is no longer live.
    const RowsStatement statement = dialect_.update_displays(updated_at_column_, false);
    RowsWriter q(*sql_, statement);
    add_display_row(q.row(), id, d);
    q.execute();
  }
  // The replay row, in its layout's own columns, if it is there already (one
  // written later gets them from sync_saved_streams).
  if (saved_layout_ == SavedStreamsLayout::migration) {
    BoundSql q(*sql_);
    q.text(dialect_.final_saved_migration);
    q.bind(static_cast<long long>(d.viewers)).bind(static_cast<long long>(d.likes)).bind(id);
    q.execute();
  } else if (saved_layout_ == SavedStreamsLayout::dump_linked) {
    BoundSql q(*sql_);
    q.text(dialect_.final_saved_dump);
    q.bind(static_cast<long long>(d.viewers)).bind(static_cast<long long>(d.likes));
    q.bind(static_cast<long long>(d.dislikes)).bind(id);
    q.execute();
  }
  BoundSql q(*sql_);
  q.text(dialect_.replace_summary).bind(id).bind(f.final_status);
  for (long long v :
       {static_cast<long long>(f.duration_seconds), static_cast<long long>(f.real_viewers_total),
        static_cast<long long>(f.sim_viewers_total), static_cast<long long>(f.real.likes),
        static_cast<long long>(f.sim_likes), static_cast<long long>(f.real.dislikes),
        static_cast<long long>(f.real.comments), static_cast<long long>(d.max_viewers),
        static_cast<long long>(d.viewers), static_cast<long long>(d.likes),
        static_cast<long long>(f.real_peak), static_cast<long long>(f.sim_peak),
        static_cast<long long>(f.finalized_ms)}) {
    q.bind(v);
  }
  q.execute();
  return true;
}

long long Store::sync_saved_streams(std::int64_t now_ms, std::int64_t window_ms) {
  if (!columns_detected_) detect_columns();
  const std::string text = dialect_.sync_saved_streams(saved_layout_, display_limit_);
  if (text.empty()) return 0;  // no replay rows linked to streams
  long long since = now_ms - window_ms;
  soci::statement st(*sql_);
  st.exchange(soci::use(since));
  st.alloc();
  st.prepare(text);
  st.define_and_bind();
  // In a savepoint: a failure (the account may not read the table) must not
  // take the tick's other writes with it.
  const SavepointSql& savepoint = dialect_.saved_savepoint;
  *sql_ << savepoint.set;
  try {
    st.execute(true);
  } catch (const soci::soci_error& e) {
    if (is_statement_error(e)) {
      *sql_ << savepoint.rollback_to;
      *sql_ << savepoint.release;
    }
    throw;
  }
  *sql_ << savepoint.release;
  return st.get_affected_rows();
}

SummarySweep Store::sweep_summaries(std::int64_t after, std::int64_t purge_before_ms) {
  SummarySweep out;
  long long from = after, upto = 0, before = purge_before_ms;
  soci::indicator ind = soci::i_ok;
  *sql_ << dialect_.summary_sweep_upto, soci::use(from), soci::into(upto, ind);
  if (ind == soci::i_null || !sql_->got_data()) return out;  // past the last row
  out.upto = upto;
  const auto run = [&](const std::string& text, bool with_before) {
    soci::statement st(*sql_);
    st.exchange(soci::use(from));
    st.exchange(soci::use(upto));
    if (with_before) st.exchange(soci::use(before));
    st.alloc();
    st.prepare(text);
    st.define_and_bind();
    st.execute(true);
    return static_cast<long long>(st.get_affected_rows());
  };
  out.status_followed = run(dialect_.summary_follow_status, false);
  out.deleted = run(dialect_.summary_mark_deleted, false);
  out.states_removed = run(dialect_.purge_deleted_state, true);
  return out;
}

}  // namespace engagementd
