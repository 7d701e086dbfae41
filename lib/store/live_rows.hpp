#pragma once

// The rows of the tick's reads decoded the same way whichever way they
// arrive: as text through SOCI (SQLite, and the reads SOCI runs) or as
// 64-bit integers and text by the binary protocol (store/mysql_fetch.hpp).
// A row is anything with null(k), whole(k) and text(k) for its column k.
// Internal to lib/store/.

#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/engagement.hpp"
#include "core/setting_text.hpp"
#include "store/tick_store.hpp"

namespace engagementd {

// A whole-number column read as text: a fractional value truncated toward
// zero, a value that is not a number read as strtod reads it (0 for none).
inline long long whole_number(const std::string& text) {
  long long v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (r.ec == std::errc() && r.ptr == end) return v;
  return static_cast<long long>(std::strtod(text.c_str(), nullptr));
}

// How a result column is read.
enum class FetchAs {
  integer,  // a whole number: a fractional value truncated toward zero, text parsed
  text,     // the value's text, whatever its length
};

// One row of a read: per column NULL or not, a whole number, a text (only
// the kind the column is read as is set).
struct RowView {
  const char* nulls = nullptr;
  const long long* ints = nullptr;
  const std::string* texts = nullptr;
  bool null(std::size_t k) const { return nulls[k] != 0; }
  long long whole(std::size_t k) const { return ints[k]; }
  const std::string& text(std::size_t k) const { return texts[k]; }
};

// A read prepared once and run for each set of values of its placeholders
// (in the order of the text), calling each(row) per row in order. The
// result is read whole before run returns. Store::row_reader makes one.
class RowReader {
 public:
  virtual ~RowReader() = default;
  virtual void run(const std::vector<long long>& params,
                   const std::function<void(const RowView&)>& each) = 0;
};

// The columns of the live streams' read (the dialect's live_streams), in
// query order.
namespace live_column {
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
// How each column is read: the settings (any column type the site has) and
// the settings' JSON as text, every other column as a whole number.
inline std::vector<FetchAs> kinds() {
  std::vector<FetchAs> out(kColumns, FetchAs::integer);
  for (std::size_t k = kConfig0; k < kStateRow; ++k) out[k] = FetchAs::text;
  out[kConfigJson] = FetchAs::text;
  return out;
}
}  // namespace live_column

// The columns of the live rows' read (the dialect's live_rows): the id and
// the six display columns.
inline constexpr std::size_t kLiveRowColumns = 7;

// A whole-number column of the row, 0 for NULL.
template <typename Row>
long long whole_or_zero(const Row& row, std::size_t k) {
  return row.null(k) ? 0 : row.whole(k);
}

// The display columns starting at column `first` (viewers, max viewers,
// likes, dislikes, comments, the badge flag).
template <typename Row>
Display decode_display(const Row& row, std::size_t first) {
  const auto at = [&](std::size_t k) { return whole_or_zero(row, first + k); };
  return Display{at(0), at(1), at(2), at(3), at(4), at(5) != 0};
}

// One row of the live streams' read, appended to `out`; its index is added
// to `uncounted` when its real counts are to be counted from the site's
// rows (no counts row, or a negative kept count: a problem too).
template <typename Row>
void add_live_stream(const Row& row, std::vector<LiveStream>& out,
                     std::vector<std::size_t>& uncounted, std::vector<StreamProblem>& problems) {
  using namespace live_column;
  const auto at = [&](std::size_t k) { return whole_or_zero(row, k); };
  LiveStream s;
  s.id = at(kId);
  s.shown = decode_display(row, kShownViewers);
  if (!row.null(kConfigRow)) {
    RawConfig raw;
    for (std::size_t k = 0; k < kConfigKeys.size(); ++k) {
      if (row.null(kConfig0 + k)) continue;
      // Not a number: NaN, which validation reports.
      raw[k] = parse_setting_text(row.text(kConfig0 + k), setting_kind(kConfigKeys[k]))
                   .value_or(std::numeric_limits<double>::quiet_NaN());
    }
    s.config = raw;
  }
  if (!row.null(kStateRow)) {
    s.state =
        StoredState{SimState{at(kSimViewers), at(kSimJoins), at(kSimLikes), at(kPeak),
                             at(kRealPeak), at(kSimPeak)},
                    at(kFirstTick), at(kLastTick), !row.null(kFinalized),
                    row.null(kConfigJson) ? std::string() : std::string(row.text(kConfigJson))};
  }
  s.real = RealCounts{at(kRealViewers), at(kRealLikes), at(kRealDislikes), at(kRealComments)};
  if (row.null(kCountsRow)) {
    uncounted.push_back(out.size());
  } else if (s.real.viewers < 0 || s.real.likes < 0 || s.real.dislikes < 0 || s.real.comments < 0) {
    // Only a change that bypassed the triggers (a restore, a TRUNCATE, rows
    // deleted by hand) makes a kept count negative: count again.
    problems.push_back({s.id,
                        "kept real counts were negative (rows changed without the triggers, "
                        "e.g. a restore); counted again from the site's rows",
                        false});
    uncounted.push_back(out.size());
  }
  out.push_back(std::move(s));
}

}  // namespace engagementd
