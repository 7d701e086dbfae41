// The reads of what changed since the last tick (TickStore, for
// tick/stream_cache.hpp).

#include <soci/soci.h>

#include <algorithm>

#include "store/live_rows.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {
void Store::read_live_rows(std::size_t chunk,
                           const std::function<void(const std::vector<LiveRow>&)>& fn) {
  const Shard& shard = shard_;
  chunk = std::max<std::size_t>(1, chunk);
  // The placeholders: the id range, then the shard.
  const auto params = [&](long long after, long long upto) {
    std::vector<long long> p{after, upto};
    push_shard(p, shard);
    return p;
  };
  const auto rows =
      row_reader(dialect_[Sql::live_rows], std::vector<FetchAs>(kLiveRowColumns, FetchAs::integer),
                 params(0, 0).size(), chunk, /*keep=*/true);
  std::vector<LiveRow> out;
  out.reserve(chunk);
  each_chunk(shard, chunk, [&](long long after, long long upto) {
    out.clear();
    rows->run(params(after, upto), [&](const RowView& row) {
      out.push_back(LiveRow{whole_or_zero(row, 0), decode_display(row, 1)});
    });
    if (!out.empty()) fn(out);
  });
}

std::vector<LiveStream> Store::read_streams(const std::vector<std::int64_t>& ids) {
  const Shard& shard = shard_;
  if (!columns_detected_) detect_columns();
  std::vector<std::int64_t> wanted = ids;
  sort_unique(wanted);
  // The placeholders: with a heartbeat column the batch's ids, the TTL and
  // the shard in the viewers' derived table; then the ids and the shard in
  // the outer WHERE.
  const Sql statement =
      heartbeat_column_ ? Sql::named_live_streams_heartbeat : Sql::named_live_streams;
  std::vector<LiveStream> out;
  in_batches(wanted, [&](std::size_t begin, std::size_t end) {
    std::vector<long long> params;
    for (int pass = heartbeat_column_ ? 0 : 1; pass < 2; ++pass) {
      for (std::size_t i = begin; i < end; ++i) params.push_back(wanted[i]);
      if (pass == 0) params.push_back(real_viewer_ttl_.count() / 1000);
      push_shard(params, shard);
    }
    // As many placeholders as the batch has ids: a statement for this batch only.
    const auto rows = row_reader(with_ids(dialect_[statement], end - begin),
                                 live_column::kinds(), params.size(), end - begin,
                                 /*keep=*/false);
    std::vector<LiveStream> part;
    part.reserve(end - begin);
    read_live(*rows, params, part);
    for (LiveStream& s : part) out.push_back(std::move(s));
  });
  return out;
}

std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> Store::fresh_viewers(
    std::int64_t cutoff_s, std::int64_t after, std::int64_t upto) {
  const Shard& shard = shard_;
  if (!columns_detected_) detect_columns();
  if (!heartbeat_column_) return std::nullopt;
  // The placeholders: the id range, the cutoff, then the shard.
  std::vector<long long> params{after, upto, cutoff_s};
  push_shard(params, shard);
  const auto rows = row_reader(dialect_[Sql::fresh_viewers], {FetchAs::integer, FetchAs::integer},
                               params.size(), 1000, /*keep=*/true);
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  rows->run(params, [&](const RowView& row) {
    out.emplace_back(whole_or_zero(row, 0), whole_or_zero(row, 1));
  });
  return out;
}

std::vector<EndedStream> Store::read_ended_streams(const std::vector<std::int64_t>& ids) {
  const Shard& shard = shard_;
  std::vector<std::int64_t> wanted = ids;
  sort_unique(wanted);
  std::vector<EndedStream> out;
  in_batches(wanted, [&](std::size_t begin, std::size_t end) {
    const std::vector<std::int64_t> batch(wanted.begin() + static_cast<std::ptrdiff_t>(begin),
                                          wanted.begin() + static_cast<std::ptrdiff_t>(end));
    for (EndedStream& e : ended_streams(shard, batch)) out.push_back(std::move(e));
  });
  return out;
}

}  // namespace engagementd
