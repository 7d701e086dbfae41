// Real counts: the kept per-stream counts (engagementd_real_counts) with the
// changes the triggers appended folded in, first counts, and recount.

#include <soci/soci.h>

#include <map>
#include <stdexcept>

#include "store/live_rows.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {

std::vector<RealDelta> Store::fold_real_deltas() {
  const Shard& shard = shard_;
  // The changes the triggers appended, as this tick's snapshot shows them,
  // summed on the server (a backlog of a million rows is a few thousand
  // sums), and the same rows' ids as runs of consecutive ids. Both are
  // consistent reads of the one snapshot: no lock, the site's appends never
  // wait for them.
  std::vector<long long> params;
  push_shard(params, shard);
  std::vector<RealDelta> out;
  row_reader(dialect_[Sql::real_deltas], std::vector<FetchAs>(6, FetchAs::integer), params.size(),
             1000, /*keep=*/false)
      ->run(params, [&](const RowView& row) {
        RealDelta d;
        d.stream_id = whole_or_zero(row, 0);
        if (!row.null(1)) d.seen_s = row.whole(1);
        d.sum = RealCounts{whole_or_zero(row, 2), whole_or_zero(row, 3), whole_or_zero(row, 4),
                           whole_or_zero(row, 5)};
        out.push_back(d);
      });
  if (out.empty()) return out;
  std::vector<std::pair<long long, long long>> runs;
  row_reader(dialect_[Sql::real_delta_runs], {FetchAs::integer, FetchAs::integer}, params.size(),
             1000, /*keep=*/false)
      ->run(params, [&](const RowView& row) { runs.emplace_back(row.whole(0), row.whole(1)); });

  // Added to the kept counts that exist (one sum per stream); a stream
  // without one is counted from its rows (in this same snapshot) when it is
  // seen live.
  std::vector<std::pair<long long, RealCounts>> sums;
  for (const RealDelta& d : out) {
    if (sums.empty() || sums.back().first != d.stream_id) {
      sums.emplace_back(d.stream_id, RealCounts{});
    }
    RealCounts& sum = sums.back().second;
    sum.viewers += d.sum.viewers;
    sum.likes += d.sum.likes;
    sum.dislikes += d.sum.dislikes;
    sum.comments += d.sum.comments;
  }
  in_batches(sums, [&](std::size_t begin, std::size_t end) {
    RowsWriter q(*sql_, dialect_.rows(Sql::add_real_deltas));
    for (std::size_t i = begin; i < end; ++i) {
      const RealCounts& r = sums[i].second;
      q.row().add(sums[i].first).add(r.viewers).add(r.likes).add(r.dislikes).add(r.comments);
    }
    q.execute();
  });

  // Exactly the rows read: one appended meanwhile (not in the snapshot)
  // stays. A DELETE reads the latest rows, not the snapshot's, so it must
  // name only ids the snapshot showed: a run's first and last by primary
  // key (see the dialect's delete_real_deltas: no gap lock), and the ids
  // strictly between them by range. All ids of a run are taken by rows the
  // snapshot showed, so the range holds no other row, and the range's
  // locks cover only those rows and the empty gaps between them: nothing
  // the site (or another node of a cluster) could insert waits for it.
  std::vector<long long> points;
  long long deleted = 0, expected = 0;
  for (const auto& [first, last] : runs) {
    points.push_back(first);
    if (last != first) points.push_back(last);
    if (last - first > 1) {
      BoundSql q(*sql_);
      q.text(dialect_[Sql::delete_real_delta_run]).bind(first).bind(last);
      deleted += q.execute();
      expected += last - first - 1;
    }
  }
  in_batches(points, [&](std::size_t begin, std::size_t end) {
    RowsWriter q(*sql_, dialect_.rows(Sql::delete_real_deltas));
    for (std::size_t i = begin; i < end; ++i) q.row().add(points[i]);
    deleted += q.execute();
  });
  expected += static_cast<long long>(points.size());
  if (deleted != expected) {
    // Only the tick deletes these rows, under the lease: another deleting
    // them means two ticks at once. Rolled back, nothing counted twice.
    throw std::logic_error("engagementd_real_deltas: " + std::to_string(deleted) +
                           " rows deleted of the " + std::to_string(expected) +
                           " the snapshot showed");
  }
  return out;
}

void Store::count_real(std::vector<LiveStream>& streams, const std::vector<std::size_t>& which) {
  // Consistent reads, in the tick's snapshot (REPEATABLE READ): the site's
  // writes never wait for them. A change the snapshot shows is counted here
  // and its delta, visible in the same snapshot, was left out by
  // fold_real_deltas (the stream had no counts row); a change it does not
  // show has a delta it does not show either, added at a later tick. Either
  // way once. (SQLite: the tick holds the database's write lock.)
  for (std::size_t begin = 0; begin < which.size(); begin += kBatchRows) {
    const std::size_t end = std::min(which.size(), begin + kBatchRows);
    std::vector<long long> ids;
    ids.reserve(end - begin);
    std::map<long long, RealCounts> counts;
    for (std::size_t i = begin; i < end; ++i) {
      ids.push_back(streams[which[i]].id);
      counts[ids.back()] = RealCounts{};
    }
    // Each row of a grouped count: the stream, a kind, how many.
    const auto grouped = [&](const std::string& query, const auto& add) {
      long long id = 0, n = 0;
      std::string kind;
      soci::statement st(*sql_);
      st.exchange(soci::into(id));
      st.exchange(soci::into(kind));
      st.exchange(soci::into(n));
      for (long long& v : ids) st.exchange(soci::use(v));
      st.alloc();
      st.prepare(query);
      st.define_and_bind();
      st.execute();
      while (st.fetch()) add(counts[id], kind, n);
    };
    grouped(with_ids(dialect_[Sql::count_open_viewers], ids.size()),
            [](RealCounts& c, const std::string&, long long n) { c.viewers = n; });
    grouped(with_ids(dialect_[Sql::count_interactions], ids.size()),
            [](RealCounts& c, const std::string& kind, long long n) {
              if (kind == "like") c.likes = n;
              if (kind == "dislike") c.dislikes = n;
              if (kind == "comment") c.comments = n;
            });
    RowsWriter q(*sql_, dialect_.rows(Sql::upsert_real_counts));
    for (const auto& [id, c] : counts) {
      q.row().add(id).add(c.viewers).add(c.likes).add(c.dislikes).add(c.comments);
    }
    q.execute();
    for (std::size_t i = begin; i < end; ++i) {
      LiveStream& s = streams[which[i]];
      const RealCounts& c = counts[s.id];
      // With a heartbeat column the open sessions were counted by the read.
      if (!heartbeat_column_) s.real.viewers = c.viewers;
      s.real.likes = c.likes;
      s.real.dislikes = c.dislikes;
      s.real.comments = c.comments;
    }
  }
}

std::vector<Store::CountsCheck> Store::check_real_counts(std::optional<std::int64_t> stream) {
  long long id = 0, kv = 0, kl = 0, kd = 0, kc = 0, cv = 0, cl = 0, cd = 0, cc = 0;
  long long wanted = stream.value_or(0);
  soci::statement st(*sql_);
  for (long long* v : {&id, &kv, &kl, &kd, &kc, &cv, &cl, &cd, &cc}) st.exchange(soci::into(*v));
  if (stream) st.exchange(soci::use(wanted));
  st.alloc();
  st.prepare(dialect_[stream ? Sql::check_stream_real_counts : Sql::check_real_counts]);
  st.define_and_bind();
  st.execute();
  std::vector<CountsCheck> out;
  while (st.fetch()) out.push_back({id, RealCounts{kv, kl, kd, kc}, RealCounts{cv, cl, cd, cc}});
  return out;
}

long long Store::drop_real_counts(std::optional<std::int64_t> stream) {
  // The streams dropped are noted as changed first: a daemon that keeps its
  // streams in memory reads them again (and counts them anew) at its next
  // tick. In the caller's transaction, with the DELETE.
  const auto run = [&](Sql one, Sql all) {
    BoundSql q(*sql_);
    if (stream) {
      q.text(dialect_[one]).bind(static_cast<long long>(*stream));
    } else {
      q.text(dialect_[all]);
    }
    return q.execute();
  };
  run(Sql::note_dropped_stream_real_counts, Sql::note_dropped_real_counts);
  return run(Sql::drop_stream_real_counts, Sql::drop_real_counts);
}

}  // namespace engagementd
