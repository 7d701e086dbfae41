#include "store/doctor_queries.hpp"

#include <soci/soci.h>

#include "store/per_dialect.hpp"
#include "store/session.hpp"
#include "store/sql_dialect.hpp"

namespace engagementd {
namespace {

const SqlDialect& statements(const Store& store) {
  return dialect_for(store.backend());
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
  const SqlDialect& s = statements(store);
  const long long seconds = settled.count();
  HeartbeatCounts c;
  c.open = count(store, s[Sql::open_sessions]);
  c.open_beating = count(store, s[Sql::open_sessions_beating]);
  c.settled = count(store, s[Sql::settled_sessions], seconds);
  c.settled_beating = count(store, s[Sql::settled_sessions_beating], seconds);
  return c;
}

long long count_recent_fake_viewers(Store& store) {
  return count(store, statements(store)[Sql::recent_fake_viewers]);
}

long long count_recent_fake_interactions(Store& store) {
  return count(store, statements(store)[Sql::recent_fake_interactions]);
}

std::vector<SetAside> recent_set_asides(Store& store, std::int64_t since_ms) {
  std::vector<SetAside> out;
  std::string detail;
  long long stream = 0;
  long long since = since_ms;
  soci::statement st = (session_of(store).prepare << statements(store)[Sql::recent_set_asides],
                        soci::use(since), soci::into(stream), soci::into(detail));
  st.execute();
  while (st.fetch()) out.push_back({stream, detail});
  return out;
}

}  // namespace engagementd
