// The tick's writes as multi-row statements (the bulk writer's are in
// bulk_writer.cpp), each batch in a savepoint that isolates a failing stream.

#include <soci/soci.h>

#include "store/db_errors.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {
void Store::isolating(std::size_t begin, std::size_t end,
                      const std::function<void(std::size_t, std::size_t)>& write,
                      const std::function<std::int64_t(std::size_t)>& stream_of) {
  if (begin >= end) return;
  const SavepointSql& savepoint = dialect_.rows_savepoint;
  *sql_ << savepoint.set;
  try {
    write(begin, end);
    *sql_ << savepoint.release;
    return;
  } catch (const soci::soci_error& e) {
    if (!is_statement_error(e)) throw;
    *sql_ << savepoint.rollback_to;
    *sql_ << savepoint.release;
    if (end - begin == 1) {
      problems_.push_back(
          {stream_of(begin), "its rows fail a statement (" + e.get_error_message() + ")", true});
      return;
    }
  }
  const std::size_t middle = begin + (end - begin) / 2;
  isolating(begin, middle, write, stream_of);
  isolating(middle, end, write, stream_of);
}

void Store::insert_configs(const std::vector<ConfigInsert>& rows) {
  in_batches(rows, [&](std::size_t begin, std::size_t end) {
    RowsWriter q(*sql_, dialect_.insert_configs);
    for (std::size_t i = begin; i < end; ++i) {
      const EngagementConfig& c = rows[i].config;
      q.row()
          .add(rows[i].stream_id)
          .add(c.viewers_enabled ? 1 : 0)
          .add(c.likes_enabled ? 1 : 0)
          .add(c.min_viewers)
          .add(c.max_viewers)
          .add(c.increase_rate)
          .add(c.decrease_rate)
          .add(c.like_rate)
          .add(c.multiplier);
    }
    q.execute();
  });
}

void Store::write_states(const std::vector<StateWrite>& rows) {
  if (rows.empty()) return;
  if (local_infile_ && write_states_bulk(rows)) return;
  in_batches(rows, [&](std::size_t first, std::size_t last) {
    isolating(
        first, last,
        [&](std::size_t begin, std::size_t end) {
          RowsWriter q(*sql_, dialect_.upsert_states);
          for (std::size_t i = begin; i < end; ++i) {
            const StateWrite& w = rows[i];
            RowValues& row = q.row();
            row.add(w.stream_id).add(w.sim.viewers).add(w.sim.joins).add(w.sim.likes);
            row.add(w.sim.peak).add(w.first_tick_ms).add(w.last_tick_ms).add_null();
            row.add(w.sim.real_peak).add(w.sim.sim_peak);
            if (w.config_json.empty()) {
              row.add_null();
            } else {
              row.add(w.config_json);
            }
          }
          q.execute();
        },
        [&](std::size_t i) { return rows[i].stream_id; });
  });
}

void Store::write_displays(const std::vector<DisplayWrite>& rows) {
  if (rows.empty()) return;
  if (local_infile_ && write_displays_bulk(rows)) return;
  const RowsStatement statement = dialect_.update_displays(updated_at_column_, true);
  in_batches(rows, [&](std::size_t first, std::size_t last) {
    isolating(
        first, last,
        [&](std::size_t begin, std::size_t end) {
          RowsWriter q(*sql_, statement);
          for (std::size_t i = begin; i < end; ++i) {
            add_display_row(q.row(), rows[i].stream_id, rows[i].display);
          }
          q.execute();
        },
        [&](std::size_t i) { return rows[i].stream_id; });
  });
}

}  // namespace engagementd
