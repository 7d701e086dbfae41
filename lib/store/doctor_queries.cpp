#include "store/doctor_queries.hpp"

#include <soci/soci.h>

#include "store/per_dialect.hpp"
#include "store/session.hpp"

namespace engagementd {
namespace {

struct DoctorStatements {
  const char* open_sessions;
  const char* open_sessions_beating;
  const char* settled_sessions;          // :settled (seconds)
  const char* settled_sessions_beating;  // :settled (seconds)
  const char* recent_fake_viewers;
  const char* recent_fake_interactions;
  const char* recent_set_asides;  // :since
};

constexpr DoctorStatements kMysql = {
    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
    " AND last_seen_at IS NOT NULL",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
    " AND joined_at >= NOW() - INTERVAL 1 HOUR AND joined_at < NOW() - INTERVAL :settled SECOND",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
    " AND last_seen_at IS NOT NULL"
    " AND joined_at >= NOW() - INTERVAL 1 HOUR AND joined_at < NOW() - INTERVAL :settled SECOND",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 1"
    " AND joined_at >= NOW() - INTERVAL 1 HOUR",

    "SELECT COUNT(*) FROM stream_interactions WHERE is_fake = 1"
    " AND created_at >= NOW() - INTERVAL 1 HOUR",

    "SELECT stream_id, detail FROM engagementd_audit WHERE event = 'set_aside'"
    " AND at_ms >= :since ORDER BY id DESC LIMIT 20",
};

constexpr DoctorStatements kSqlite = {
    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
    " AND last_seen_at IS NOT NULL",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
    " AND joined_at >= datetime('now', '-1 hour')"
    " AND joined_at < datetime('now', '-' || :settled || ' seconds')",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS NULL"
    " AND last_seen_at IS NOT NULL"
    " AND joined_at >= datetime('now', '-1 hour')"
    " AND joined_at < datetime('now', '-' || :settled || ' seconds')",

    "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 1"
    " AND joined_at >= datetime('now', '-1 hour')",

    "SELECT COUNT(*) FROM stream_interactions WHERE is_fake = 1"
    " AND created_at >= datetime('now', '-1 hour')",

    "SELECT stream_id, detail FROM engagementd_audit WHERE event = 'set_aside'"
    " AND at_ms >= :since ORDER BY id DESC LIMIT 20",
};

const DoctorStatements& statements(const Store& store) {
  return per_dialect(store.backend(), kMysql, kSqlite);
}

long long count(Store& store, const char* query) {
  long long n = 0;
  session_of(store) << query, soci::into(n);
  return n;
}

long long count(Store& store, const char* query, long long value) {
  long long n = 0;
  session_of(store) << query, soci::use(value), soci::into(n);
  return n;
}

}  // namespace

HeartbeatCounts count_heartbeats(Store& store, std::chrono::seconds settled) {
  const DoctorStatements& s = statements(store);
  const long long seconds = settled.count();
  HeartbeatCounts c;
  c.open = count(store, s.open_sessions);
  c.open_beating = count(store, s.open_sessions_beating);
  c.settled = count(store, s.settled_sessions, seconds);
  c.settled_beating = count(store, s.settled_sessions_beating, seconds);
  return c;
}

long long count_recent_fake_viewers(Store& store) {
  return count(store, statements(store).recent_fake_viewers);
}

long long count_recent_fake_interactions(Store& store) {
  return count(store, statements(store).recent_fake_interactions);
}

std::vector<SetAside> recent_set_asides(Store& store, std::int64_t since_ms) {
  std::vector<SetAside> out;
  std::string detail;
  long long stream = 0;
  long long since = since_ms;
  soci::statement st = (session_of(store).prepare << statements(store).recent_set_asides,
                        soci::use(since), soci::into(stream), soci::into(detail));
  st.execute();
  while (st.fetch()) out.push_back({stream, detail});
  return out;
}

}  // namespace engagementd
