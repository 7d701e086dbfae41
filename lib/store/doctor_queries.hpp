#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace engagementd {

// The reads of `engagementd doctor` (and of the daemon's check at start)
// beyond the store's own schema checks. Read only.

// Real sessions still open (left_at NULL): all of them, and those opened in
// the last hour but at least `settled` ago (long enough for a page that
// keeps the heartbeat to have set it); each also with a heartbeat.
struct HeartbeatCounts {
  long long open = 0;
  long long open_beating = 0;
  long long settled = 0;
  long long settled_beating = 0;
};
// Needs stream_viewers.last_seen_at.
HeartbeatCounts count_heartbeats(Store& store, std::chrono::seconds settled);

// Rows with is_fake = 1 written in the last hour: the site's old generator.
long long count_recent_fake_viewers(Store& store);
// Needs stream_interactions.created_at.
long long count_recent_fake_interactions(Store& store);

// A stream the daemon set aside, with the cause it recorded.
struct SetAside {
  std::int64_t stream_id = 0;
  std::string detail;  // the audit row's JSON
};
// The newest 20 set_aside audit rows at or after since_ms, newest first.
std::vector<SetAside> recent_set_asides(Store& store, std::int64_t since_ms);

}  // namespace engagementd
