// The tick's reads: the clock, the global settings, the live streams a
// chunk at a time, the ended ones.

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <limits>

#include "store/db_errors.hpp"
#include "store/live_rows.hpp"
#include "store/mysql_fetch.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {
namespace {

// A read through SOCI: every column arrives as text with its indicator
// (SOCI's MySQL backend would parse each number with a std::istringstream,
// SQLite stores any type), whole numbers parsed by whole_number; rows in
// blocks into column vectors.
class SociRows final : public RowReader {
 public:
  SociRows(soci::session& sql, const std::string& text, std::vector<FetchAs> kinds,
           std::size_t params, std::size_t block)
      : st_(sql),
        kinds_(std::move(kinds)),
        block_(block),
        col_(kinds_.size()),
        ind_(kinds_.size()),
        params_(params, 0),
        nulls_(kinds_.size(), 0),
        ints_(kinds_.size(), 0),
        texts_(kinds_.size()) {
    resize();
    for (std::size_t k = 0; k < kinds_.size(); ++k) st_.exchange(soci::into(col_[k], ind_[k]));
    for (long long& v : params_) st_.exchange(soci::use(v));
    st_.alloc();
    st_.prepare(text);
    st_.define_and_bind();
  }

  void run(const std::vector<long long>& params,
           const std::function<void(const RowView&)>& each) override {
    std::copy(params.begin(), params.end(), params_.begin());
    resize();
    const RowView view{nulls_.data(), ints_.data(), texts_.data()};
    for (bool more = st_.execute(true); more; more = st_.fetch()) {
      const std::size_t rows = col_[0].size();
      for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t k = 0; k < kinds_.size(); ++k) {
          nulls_[k] = ind_[k][r] == soci::i_null ? 1 : 0;
          if (nulls_[k] != 0) continue;
          if (kinds_[k] == FetchAs::integer) {
            ints_[k] = whole_number(col_[k][r]);
          } else {
            texts_[k] = std::move(col_[k][r]);
          }
        }
        each(view);
      }
    }
  }

 private:
  // At least 2 rows a block: SOCI's SQLite backend returns no row into
  // vectors of one.
  void resize() {
    for (auto& v : col_) v.resize(block_);
    for (auto& v : ind_) v.resize(block_);
  }

  soci::statement st_;
  std::vector<FetchAs> kinds_;
  std::size_t block_;
  std::vector<std::vector<std::string>> col_;
  std::vector<std::vector<soci::indicator>> ind_;
  std::vector<long long> params_;
  std::vector<char> nulls_;
  std::vector<long long> ints_;
  std::vector<std::string> texts_;
};

// A read by a prepared statement in the binary protocol; `lost` is set on a
// connection error (the connection's prepared statements are gone with it).
class BinaryRows final : public RowReader {
 public:
  BinaryRows(MysqlStatement& st, std::unique_ptr<MysqlStatement> owned, bool& lost)
      : st_(st), owned_(std::move(owned)), lost_(lost) {}

  void run(const std::vector<long long>& params,
           const std::function<void(const RowView&)>& each) override {
    try {
      st_.execute(params);
      while (st_.fetch()) each(st_.view());
    } catch (const std::exception& e) {
      st_.finish();
      const DbErrorKind kind = classify(e);
      if (kind != DbErrorKind::none && !is_statement_error(kind)) lost_ = true;
      throw;
    }
  }

 private:
  MysqlStatement& st_;
  std::unique_ptr<MysqlStatement> owned_;
  bool& lost_;
};

}  // namespace

std::unique_ptr<RowReader> Store::row_reader(const std::string& text, std::vector<FetchAs> columns,
                                             std::size_t params, std::size_t block, bool keep) {
  if (backend_ != Backend::mysql) {
    return std::make_unique<SociRows>(*sql_, text, std::move(columns), params,
                                      std::clamp<std::size_t>(block, 2, 1000));
  }
  if (drop_prepared_) {
    prepared_.clear();
    drop_prepared_ = false;
  }
  MYSQL* conn = static_cast<soci::mysql_session_backend*>(sql_->get_backend())->conn_;
  const auto prepare = [&] {
    try {
      return std::make_unique<MysqlStatement>(conn, text, std::move(columns));
    } catch (const soci::soci_error& e) {
      const DbErrorKind kind = classify(e);
      if (kind != DbErrorKind::none && !is_statement_error(kind)) prepared_.clear();
      throw;
    }
  };
  if (!keep) {
    auto owned = prepare();
    MysqlStatement& st = *owned;
    return std::make_unique<BinaryRows>(st, std::move(owned), drop_prepared_);
  }
  auto it = prepared_.find(text);
  if (it == prepared_.end()) it = prepared_.emplace(text, prepare()).first;
  return std::make_unique<BinaryRows>(*it->second, nullptr, drop_prepared_);
}

std::int64_t Store::now_ms() {
  long long now = 0;
  *sql_ << dialect_[Sql::now_ms], soci::into(now);
  return now;
}

std::map<std::string, std::optional<std::string>> Store::read_global_settings() {
  std::map<std::string, std::optional<std::string>> out;
  std::string key, value;
  soci::indicator value_ind = soci::i_ok;
  soci::statement st =
      (sql_->prepare << dialect_[Sql::global_settings], soci::into(key), soci::into(value, value_ind));
  st.execute();
  while (st.fetch()) {
    out[key] = value_ind == soci::i_null ? std::nullopt : std::optional<std::string>(value);
  }
  return out;
}

std::string Store::live_streams_query() {
  if (!columns_detected_) detect_columns();
  return dialect_[heartbeat_column_ ? Sql::live_streams_heartbeat : Sql::live_streams];
}

void Store::each_chunk(const Shard& shard, std::size_t chunk,
                       const std::function<void(long long, long long)>& each) {
  long long after = -1;
  long long shard_count = shard.count, shard_index = shard.index;
  // The last id of the next chunk: the chunk-th live id after `after`.
  long long next_upto = 0;
  long long skip = static_cast<long long>(chunk) - 1;
  soci::indicator next_upto_ind = soci::i_ok;
  soci::statement bound(*sql_);
  bound.exchange(soci::into(next_upto, next_upto_ind));
  bound.exchange(soci::use(after));
  use_shard(bound, shard, shard_count, shard_index);
  bound.exchange(soci::use(skip));
  bound.alloc();
  bound.prepare(dialect_[Sql::chunk_end]);
  bound.define_and_bind();
  for (bool last = false; !last;) {
    bound.execute(true);
    last = !bound.got_data() || next_upto_ind == soci::i_null;
    const long long upto = last ? std::numeric_limits<long long>::max() : next_upto;
    each(after, upto);
    after = upto;
  }
}

void Store::read_live(RowReader& rows, const std::vector<long long>& params,
                      std::vector<LiveStream>& out) {
  std::vector<std::size_t> uncounted;  // streams without a counts row
  rows.run(params, [&](const RowView& row) { add_live_stream(row, out, uncounted, problems_); });
  if (!uncounted.empty()) count_real(out, uncounted);
}

void Store::configure(const Shard& shard, std::chrono::milliseconds real_viewer_ttl) {
  shard_ = shard;
  real_viewer_ttl_ = real_viewer_ttl;
}

void Store::read_live_streams(std::size_t chunk,
                              const std::function<void(const std::vector<LiveStream>&)>& fn) {
  const Shard& shard = shard_;
  chunk = std::max<std::size_t>(1, chunk);
  const std::string query = live_streams_query();
  const long long ttl_seconds = real_viewer_ttl_.count() / 1000;
  // The placeholders in the order of the text: with a heartbeat column the
  // id range, the TTL and the shard in the viewers' derived table; then the
  // range and the shard in the outer WHERE.
  // Room for all of them up front, appended one by one: GCC 12 at -O3
  // reports a stringop-overflow that cannot happen inside
  // vector::insert(initializer_list) on an empty vector.
  const auto params = [&](long long after, long long upto) {
    std::vector<long long> p;
    p.reserve(8);
    if (heartbeat_column_) {
      p.push_back(after);
      p.push_back(upto);
      p.push_back(ttl_seconds);
      push_shard(p, shard);
    }
    p.push_back(after);
    p.push_back(upto);
    push_shard(p, shard);
    return p;
  };
  const auto rows =
      row_reader(query, live_column::kinds(), params(0, 0).size(), chunk, /*keep=*/true);
  fold_real_deltas();
  std::vector<LiveStream> out;
  out.reserve(chunk);
  each_chunk(shard, chunk, [&](long long after, long long upto) {
    out.clear();
    read_live(*rows, params(after, upto), out);
    if (!out.empty()) fn(out);
  });
}

std::vector<LiveStream> Store::read_live_streams(std::chrono::milliseconds real_viewer_ttl,
                                                 const Shard& shard) {
  configure(shard, real_viewer_ttl);
  std::vector<LiveStream> all;
  read_live_streams(5000, [&](const std::vector<LiveStream>& chunk) {
    all.insert(all.end(), chunk.begin(), chunk.end());
  });
  return all;
}

std::vector<EndedStream> Store::read_ended_streams() {
  return ended_streams(shard_, {});
}

std::vector<EndedStream> Store::ended_streams(const Shard& shard,
                                              const std::vector<std::int64_t>& ids) {
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
  std::vector<long long> id_values(ids.begin(), ids.end());
  for (long long& v : id_values) st.exchange(soci::use(v));
  use_shard(st, shard, shard_count, shard_index);
  st.alloc();
  st.prepare(ids.empty() ? std::string(dialect_[Sql::ended_streams])
                         : with_ids(dialect_[Sql::named_ended_streams], ids.size()));
  st.define_and_bind();
  st.execute();
  std::vector<EndedStream> out;
  while (st.fetch()) {
    EndedStream e;
    e.stream_id = id;
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
