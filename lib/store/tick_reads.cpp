// The tick's reads: the clock, the global settings, the live streams a
// chunk at a time, the ended ones.

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <limits>

#include "core/setting_text.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {
namespace {

// A whole-number column read as text (SOCI's MySQL backend would parse each
// one with a std::istringstream); a fractional value is truncated.
long long whole_number(const std::string& text) {
  long long v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (r.ec == std::errc() && r.ptr == end) return v;
  return static_cast<long long>(std::strtod(text.c_str(), nullptr));
}

}  // namespace

std::int64_t Store::now_ms() {
  long long now = 0;
  *sql_ << dialect_.now_ms, soci::into(now);
  return now;
}

std::map<std::string, std::optional<std::string>> Store::read_global_settings() {
  std::map<std::string, std::optional<std::string>> out;
  std::string key, value;
  soci::indicator value_ind = soci::i_ok;
  soci::statement st =
      (sql_->prepare << dialect_.global_settings, soci::into(key), soci::into(value, value_ind));
  st.execute();
  while (st.fetch()) {
    out[key] = value_ind == soci::i_null ? std::nullopt : std::optional<std::string>(value);
  }
  return out;
}

std::string Store::live_streams_query(const Shard& shard) {
  if (!columns_detected_) detect_columns();
  return dialect_.live_streams(heartbeat_column_, shard);
}

void Store::read_live_streams(std::chrono::milliseconds real_viewer_ttl, const Shard& shard,
                              std::size_t chunk,
                              const std::function<void(const std::vector<LiveStream>&)>& fn) {
  chunk = std::max<std::size_t>(1, chunk);
  const std::string query = live_streams_query(shard);

  // Bulk fetch: rows arrive in blocks into column vectors (at least 2 rows a
  // block: SOCI's SQLite backend returns no row into vectors of one).
  const std::size_t block = std::clamp<std::size_t>(chunk, 2, 1000);
  // Every column arrives as text with its indicator and is parsed here:
  // whole numbers by whole_number (SOCI's MySQL backend would use a
  // std::istringstream per value), config values by parse_setting_text, so that a
  // site whose columns are not numeric (or SQLite, which stores any type)
  // cannot fail the whole read over one row. The columns, in query order:
  enum : std::size_t {
    kId,
    kShownViewers,
    kShownMax,
    kShownLikes,
    kShownDislikes,
    kShownComments,
    kShownSimulated,
    kConfigRow,
    kConfig0,
    kStateRow = kConfig0 + kConfigKeys.size(),
    kSimViewers,
    kSimJoins,
    kSimLikes,
    kPeak,
    kFirstTick,
    kLastTick,
    kFinalized,
    kRealPeak,
    kSimPeak,
    kConfigJson,
    kRealViewers,
    kRealLikes,
    kRealDislikes,
    kRealComments,
    kCountsRow,
    kColumns
  };
  std::array<std::vector<std::string>, kColumns> col;
  std::array<std::vector<soci::indicator>, kColumns> ind;
  const auto resize = [&] {
    for (auto& v : col) v.resize(block);
    for (auto& v : ind) v.resize(block);
  };
  resize();
  long long ttl_seconds = real_viewer_ttl.count() / 1000;
  long long after = -1, upto = 0;
  long long shard_count = shard.count, shard_index = shard.index;

  // The last id of the next chunk: the chunk-th live id after `after`.
  long long next_upto = 0;
  soci::indicator next_upto_ind = soci::i_ok;
  soci::statement bound(*sql_);
  bound.exchange(soci::into(next_upto, next_upto_ind));
  bound.exchange(soci::use(after));
  use_shard(bound, shard, shard_count, shard_index);
  bound.alloc();
  bound.prepare(dialect_.chunk_end(shard, chunk));
  bound.define_and_bind();

  soci::statement st(*sql_);
  for (std::size_t k = 0; k < kColumns; ++k) st.exchange(soci::into(col[k], ind[k]));
  // The placeholders in the order of the text: with a heartbeat column the
  // id range, the TTL and the shard in the viewers' derived table; then the
  // range and the shard in the outer WHERE.
  if (heartbeat_column_) {
    st.exchange(soci::use(after));
    st.exchange(soci::use(upto));
    st.exchange(soci::use(ttl_seconds));
    use_shard(st, shard, shard_count, shard_index);
  }
  st.exchange(soci::use(after));
  st.exchange(soci::use(upto));
  use_shard(st, shard, shard_count, shard_index);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();

  fold_real_deltas(shard);
  std::vector<LiveStream> out;
  out.reserve(chunk);
  std::vector<std::size_t> uncounted;  // streams of the chunk without a counts row
  for (bool last = false; !last;) {
    bound.execute(true);
    last = !bound.got_data() || next_upto_ind == soci::i_null;
    upto = last ? std::numeric_limits<long long>::max() : next_upto;
    out.clear();
    resize();
    bool more = st.execute(true);
    while (more) {
      const std::size_t rows = col[kId].size();
      for (std::size_t r = 0; r < rows; ++r) {
        const auto present = [&](std::size_t k) { return ind[k][r] != soci::i_null; };
        const auto at = [&](std::size_t k) { return present(k) ? whole_number(col[k][r]) : 0; };
        LiveStream s;
        s.id = at(kId);
        s.shown = Display{at(kShownViewers),  at(kShownMax),      at(kShownLikes),
                          at(kShownDislikes), at(kShownComments), at(kShownSimulated) != 0};
        if (present(kConfigRow)) {
          RawConfig raw;
          for (std::size_t k = 0; k < kConfigKeys.size(); ++k) {
            if (!present(kConfig0 + k)) continue;
            // Not a number: NaN, which validation reports.
            raw[k] = parse_setting_text(col[kConfig0 + k][r], setting_kind(kConfigKeys[k]))
                         .value_or(std::numeric_limits<double>::quiet_NaN());
          }
          s.config = raw;
        }
        if (present(kStateRow)) {
          s.state = StoredState{SimState{at(kSimViewers), at(kSimJoins), at(kSimLikes), at(kPeak),
                                         at(kRealPeak), at(kSimPeak)},
                                at(kFirstTick), at(kLastTick), present(kFinalized),
                                present(kConfigJson) ? col[kConfigJson][r] : std::string()};
        }
        s.real = RealCounts{at(kRealViewers), at(kRealLikes), at(kRealDislikes), at(kRealComments)};
        if (!present(kCountsRow)) {
          uncounted.push_back(out.size());
        } else if (s.real.viewers < 0 || s.real.likes < 0 || s.real.dislikes < 0 ||
                   s.real.comments < 0) {
          // Only a change that bypassed the triggers (a restore, a TRUNCATE,
          // rows deleted by hand) makes a kept count negative: count again.
          problems_.push_back({s.id,
                               "kept real counts were negative (rows changed without the "
                               "triggers, e.g. a restore); counted again from the site's rows",
                               false});
          uncounted.push_back(out.size());
        }
        out.push_back(std::move(s));
      }
      more = st.fetch();
    }
    if (!uncounted.empty()) {
      count_real(out, uncounted);
      uncounted.clear();
    }
    if (!out.empty()) fn(out);
    after = upto;
  }
}

std::vector<LiveStream> Store::read_live_streams(std::chrono::milliseconds real_viewer_ttl,
                                                 const Shard& shard) {
  std::vector<LiveStream> all;
  read_live_streams(real_viewer_ttl, shard, 5000, [&](const std::vector<LiveStream>& chunk) {
    all.insert(all.end(), chunk.begin(), chunk.end());
  });
  return all;
}

std::vector<EndedStream> Store::read_ended_streams(const Shard& shard) {
  long long id = 0, exists = 0, sv = 0, sj = 0, sl = 0, sp = 0, first = 0, last = 0;
  long long real_peak = 0, sim_peak = 0;
  long long total = 0, likes = 0, dislikes = 0, comments = 0, duration_s = 0;
  std::string status;
  long long shard_count = shard.count, shard_index = shard.index;
  soci::statement st(*sql_);
  for (long long* v : {&id, &exists}) st.exchange(soci::into(*v));
  st.exchange(soci::into(status));
  for (long long* v : {&sv, &sj, &sl, &sp, &first, &last, &real_peak, &sim_peak, &total, &likes,
                       &dislikes, &comments, &duration_s}) {
    st.exchange(soci::into(*v));
  }
  use_shard(st, shard, shard_count, shard_index);
  st.alloc();
  st.prepare(dialect_.ended_streams(shard));
  st.define_and_bind();
  st.execute();
  std::vector<EndedStream> out;
  while (st.fetch()) {
    EndedStream e;
    e.id = id;
    e.exists = exists != 0;
    e.status = status;
    e.state = StoredState{SimState{sv, sj, sl, sp, real_peak, sim_peak}, first, last, false, {}};
    e.real_viewers_total = total;
    e.real = RealCounts{0, likes, dislikes, comments};
    e.duration_seconds = duration_s;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace engagementd
