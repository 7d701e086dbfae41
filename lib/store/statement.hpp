#pragma once

// Running the dialect's statements: values bound, multi-row statements
// written, batches cut. Internal to lib/store/.

#include <soci/soci.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <type_traits>
#include <vector>

#include "core/shard.hpp"
#include "store/sql_dialect.hpp"
#include "store/tick_store.hpp"

namespace engagementd {

// A statement whose text and bound values are built together, for multi-row
// SQL: SOCI 4.0's MySQL backend sends one query per element of a bulk
// use(vector), so batches are written as one statement with many rows.
// Every value is bound through SOCI, never formatted into the text.
class BoundSql {
 public:
  explicit BoundSql(soci::session& sql) : st_(sql) {}

  BoundSql& text(const std::string& s) {
    text_ += s;
    return *this;
  }
  BoundSql& text(const char* s) {
    text_ += s;
    return *this;
  }
  // A value with its placeholder, written into the text here.
  BoundSql& value(long long v) { return bind(v).placeholder(); }
  BoundSql& value(double v) { return bind(v).placeholder(); }
  BoundSql& value(const std::string& v) { return bind(v).placeholder(); }
  // A value for the next placeholder already in the text (a whole
  // statement of the dialect's), in order.
  BoundSql& bind(long long v) {
    ints_.push_back(v);
    st_.exchange(soci::use(ints_.back()));
    return *this;
  }
  BoundSql& bind(double v) {
    doubles_.push_back(v);
    st_.exchange(soci::use(doubles_.back()));
    return *this;
  }
  BoundSql& bind(const std::string& v) {
    strings_.push_back(v);
    st_.exchange(soci::use(strings_.back()));
    return *this;
  }
  // Runs the statement; returns the rows the database reports as affected.
  long long execute() {
    st_.alloc();
    st_.prepare(text_);
    st_.define_and_bind();
    st_.execute(true);
    return st_.get_affected_rows();
  }

 private:
  BoundSql& placeholder() {
    text_ += ":p";
    text_ += std::to_string(count_++);
    return *this;
  }

  soci::statement st_;
  std::string text_;
  std::deque<long long> ints_;  // deque: bound references stay valid as it grows
  std::deque<double> doubles_;
  std::deque<std::string> strings_;
  int count_ = 0;
};

// One row of a RowsStatement, its values added in the statement's column
// order (see run_rows).
class RowValues {
 public:
  template <typename T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
  RowValues& add(T v) {
    separate();
    q_.value(static_cast<long long>(v));
    return named();
  }
  RowValues& add(double v) {
    separate();
    q_.value(v);
    return named();
  }
  RowValues& add(const std::string& v) {
    separate();
    q_.value(v);
    return named();
  }
  RowValues& add_null() {
    separate();
    q_.text("NULL");
    return named();
  }

 private:
  friend class RowsWriter;
  RowValues(BoundSql& q, const RowsStatement& s) : q_(q), s_(s) {}
  void separate() {
    if (column_ > 0) q_.text(", ");
  }
  RowValues& named() {
    if (first_row_ && s_.form == RowsForm::derived_table && column_ < s_.names.size()) {
      q_.text(" AS ").text(s_.names[column_]);
    }
    ++column_;
    return *this;
  }

  BoundSql& q_;
  const RowsStatement& s_;
  bool first_row_ = true;
  std::size_t column_ = 0;
};

// Writes a RowsStatement: its head, the rows as its form says, its tail.
class RowsWriter {
 public:
  RowsWriter(soci::session& sql, const RowsStatement& s) : q_(sql), s_(s), row_(q_, s_) {
    q_.text(s_.head);
  }
  // The next row: add its values to what this returns.
  RowValues& row() {
    if (rows_ > 0) close_row();
    row_.first_row_ = rows_ == 0;
    row_.column_ = 0;
    switch (s_.form) {
      case RowsForm::values:
        q_.text(rows_ == 0 ? "(" : ", (");
        break;
      case RowsForm::derived_table:
        q_.text(rows_ == 0 ? "SELECT " : " UNION ALL SELECT ");
        break;
      case RowsForm::list:
        q_.text(rows_ == 0 ? "" : ", ");
        break;
    }
    ++rows_;
    return row_;
  }
  // Runs the statement; returns the rows affected.
  long long execute() {
    if (rows_ > 0) close_row();
    q_.text(s_.tail);
    return q_.execute();
  }

 private:
  void close_row() {
    if (s_.form == RowsForm::values) q_.text(")");
  }

  BoundSql q_;
  const RowsStatement& s_;
  RowValues row_;
  std::size_t rows_ = 0;
};

// A display row: stream_id and the six display columns, in the order of
// the dialect's update_displays.
inline void add_display_row(RowValues& row, std::int64_t stream_id, const Display& d) {
  row.add(stream_id).add(d.viewers).add(d.max_viewers).add(d.likes).add(d.dislikes);
  row.add(d.comments).add(d.simulated ? 1 : 0);
}

template <typename Row, typename Fn>
void in_batches(const std::vector<Row>& rows, Fn fn) {
  for (std::size_t i = 0; i < rows.size(); i += TickStore::kBatchRows) {
    const std::size_t end = std::min(rows.size(), i + TickStore::kBatchRows);
    fn(i, end);
  }
}

// The two values of a shard's filter, appended to a statement's
// parameters (none with one shard), as use_shard binds them.
inline void push_shard(std::vector<long long>& params, const Shard& shard) {
  if (shard.count <= 1) return;
  params.push_back(shard.count);
  params.push_back(shard.index);
}

// Binds the two placeholders of a shard's filter (the dialect writes one
// only when there are several shards); count and index must live until the
// statement has run.
inline void use_shard(soci::statement& st, const Shard& shard, long long& count, long long& index) {
  if (shard.count <= 1) return;
  st.exchange(soci::use(count));
  st.exchange(soci::use(index));
}

}  // namespace engagementd
