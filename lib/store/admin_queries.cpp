#include "store/admin_queries.hpp"

#include <soci/soci.h>

#include <array>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "core/setting_text.hpp"
#include "store/per_dialect.hpp"
#include "store/session.hpp"
#include "store/sql_dialect.hpp"

namespace engagementd {
namespace {

const SqlDialect& statements(const Store& store) {
  return dialect_for(store.backend());
}

}  // namespace

std::optional<std::string> current_account(Store& store) {
  const SqlDialect& d = statements(store);
  if (!d.has(Sql::current_user)) return std::nullopt;  // no accounts
  std::string account;
  session_of(store) << d[Sql::current_user], soci::into(account);
  return account;
}

bool stream_exists(Store& store, std::int64_t stream) {
  long long n = 0;
  long long id = stream;
  session_of(store) << statements(store)[Sql::stream_exists], soci::use(id), soci::into(n);
  return n > 0;
}

std::string stream_status(Store& store, std::int64_t stream) {
  std::string status;
  long long id = stream;
  session_of(store) << statements(store)[Sql::stream_status], soci::use(id), soci::into(status);
  return status;
}

std::vector<std::int64_t> live_stream_ids(Store& store) {
  std::vector<std::int64_t> ids;
  long long id = 0;
  soci::statement st =
      (session_of(store).prepare << statements(store)[Sql::live_stream_ids], soci::into(id));
  st.execute();
  while (st.fetch()) ids.push_back(id);
  return ids;
}

std::optional<RawConfig> read_stream_config(Store& store, std::int64_t stream) {
  std::array<std::string, kConfigKeys.size()> v;
  std::array<soci::indicator, kConfigKeys.size()> ind{};
  long long id = stream;
  soci::statement st(session_of(store));
  for (std::size_t i = 0; i < v.size(); ++i) st.exchange(soci::into(v[i], ind[i]));
  st.exchange(soci::use(id));
  st.alloc();
  st.prepare(statements(store)[Sql::read_stream_config]);
  st.define_and_bind();
  if (!st.execute(true)) return std::nullopt;
  RawConfig raw;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (ind[i] == soci::i_null) continue;
    // Not a number: NaN, which validation reports (as the tick does).
    raw[i] = parse_setting_text(v[i], setting_kind(kConfigKeys[i]))
                 .value_or(std::numeric_limits<double>::quiet_NaN());
  }
  return raw;
}

void write_stream_config(Store& store, std::int64_t stream, const RawConfig& config) {
  long long id = stream;
  std::array<double, kConfigKeys.size()> v{};
  soci::statement st(session_of(store));
  st.exchange(soci::use(id));
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = config[i].value_or(0);
    st.exchange(soci::use(v[i]));
  }
  st.alloc();
  st.prepare(statements(store)[Sql::write_stream_config]);
  st.define_and_bind();
  st.execute(true);
}

void write_global_setting(Store& store, const std::string& key, const std::string& value) {
  std::string k = key, v = value;
  session_of(store) << statements(store)[Sql::write_global_setting], soci::use(k), soci::use(v);
}

std::vector<ReportRow> read_report(Store& store, std::optional<std::int64_t> stream,
                                   std::int64_t since_ms) {
  const SqlDialect& s = statements(store);
  long long since = since_ms;
  long long first = stream.value_or(std::numeric_limits<long long>::min());
  long long last = stream.value_or(std::numeric_limits<long long>::max());
  std::array<long long, 11> v{};
  std::string status;
  soci::statement st(session_of(store));
  st.exchange(soci::into(v[0]));
  st.exchange(soci::into(status));
  for (std::size_t i = 1; i < v.size(); ++i) st.exchange(soci::into(v[i]));
  st.exchange(soci::use(since));
  st.exchange(soci::use(first));
  st.exchange(soci::use(last));
  st.alloc();
  st.prepare(s[Sql::report]);
  st.define_and_bind();
  std::vector<ReportRow> out;
  bool more = st.execute(true);
  while (more) {
    ReportRow r;
    r.stream_id = v[0];
    r.status = status;
    r.first_ms = v[1];
    r.finalized = v[2] != 0;
    r.duration_seconds = v[3];
    r.real_peak = v[4];
    r.sim_peak = v[5];
    r.shown_peak = v[6];
    r.real_viewers_total = v[7];
    r.sim_viewers_total = v[8];
    r.real_likes = v[9];
    r.sim_likes = v[10];
    out.push_back(r);
    more = st.fetch();
  }
  return out;
}

}  // namespace engagementd
