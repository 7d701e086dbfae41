#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/engagement.hpp"
#include "store/store.hpp"

namespace engagementd {

// The reads and writes of the operator's commands `config show|set|
// apply-preset` and `report`. The commands own the transaction (Transaction)
// and the rules; these only run statements.

// The database account of this session (CURRENT_USER()); none on SQLite,
// which has no accounts.
std::optional<std::string> current_account(Store& store);

// The stream has a live_streams row.
bool stream_exists(Store& store, std::int64_t stream);
// Its live_streams.status (the stream exists).
std::string stream_status(Store& store, std::int64_t stream);
// The ids of the live streams, in order.
std::vector<std::int64_t> live_stream_ids(Store& store);

// One stream's stream_engagement_config row as stored, each column read as
// text and parsed (NULL or unreadable: empty); none without a row.
std::optional<RawConfig> read_stream_config(Store& store, std::int64_t stream);
// Inserts or replaces the row (an empty field as 0).
void write_stream_config(Store& store, std::int64_t stream, const RawConfig& config);
// Inserts or replaces one global_stream_settings row, updated_at now.
void write_global_setting(Store& store, const std::string& key, const std::string& value);

// One stream's real and simulated numbers (live ones as of now).
struct ReportRow {
  std::int64_t stream_id = 0;
  std::string status;  // live, ended, archived, cancelled, deleted, ...
  std::int64_t first_ms = 0;
  std::int64_t duration_seconds = 0;
  bool finalized = false;
  std::int64_t real_peak = 0, sim_peak = 0, shown_peak = 0;
  std::int64_t real_viewers_total = 0, sim_viewers_total = 0;
  std::int64_t real_likes = 0, sim_likes = 0;
};

// Every stream engagementd has simulated, first simulated at or after
// since_ms, or just one stream.
std::vector<ReportRow> read_report(Store& store, std::optional<std::int64_t> stream,
                                   std::int64_t since_ms);

}  // namespace engagementd
