#include "store/admin_queries.hpp"

#include <soci/soci.h>

#include <array>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "core/setting_text.hpp"
#include "store/per_dialect.hpp"
#include "store/session.hpp"

namespace engagementd {
namespace {

struct AdminStatements {
  const char* current_account;  // nullptr: the database has no accounts
  const char* stream_exists;
  const char* stream_status;
  const char* live_stream_ids;
  // The columns in kConfigKeys' order, as text: the read-back compares what
  // the column holds, not what the client library makes of its type.
  const char* read_stream_config;
  // :stream_id, then the columns in kConfigKeys' order.
  const char* write_stream_config;
  const char* write_global_setting;  // :key, :value
  // Whole numbers, whatever type the database gives a COALESCE of mixed
  // columns (MariaDB makes BIGINT and BIGINT UNSIGNED a DECIMAL).
  // :since, then the range of stream ids (one stream: first = last).
  const char* report;
};

constexpr AdminStatements kMysql = {
    "SELECT CURRENT_USER()",

    "SELECT COUNT(*) FROM live_streams WHERE id = :id",

    "SELECT status FROM live_streams WHERE id = :id",

    "SELECT id FROM live_streams WHERE status = 'live' ORDER BY id",

    "SELECT CAST(fake_viewers_enabled AS CHAR), CAST(fake_likes_enabled AS CHAR),"
    " CAST(min_fake_viewers AS CHAR), CAST(max_fake_viewers AS CHAR),"
    " CAST(viewer_increase_rate AS CHAR), CAST(viewer_decrease_rate AS CHAR),"
    " CAST(like_rate AS CHAR), CAST(engagement_multiplier AS CHAR)"
    " FROM stream_engagement_config WHERE stream_id = :id",

    "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, fake_likes_enabled,"
    " min_fake_viewers, max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate,"
    " engagement_multiplier)"
    " VALUES (:stream_id, :fake_viewers_enabled, :fake_likes_enabled, :min_fake_viewers,"
    " :max_fake_viewers, :viewer_increase_rate, :viewer_decrease_rate, :like_rate,"
    " :engagement_multiplier)"
    " ON DUPLICATE KEY UPDATE fake_viewers_enabled = VALUES(fake_viewers_enabled),"
    " fake_likes_enabled = VALUES(fake_likes_enabled),"
    " min_fake_viewers = VALUES(min_fake_viewers), max_fake_viewers = VALUES(max_fake_viewers),"
    " viewer_increase_rate = VALUES(viewer_increase_rate),"
    " viewer_decrease_rate = VALUES(viewer_decrease_rate), like_rate = VALUES(like_rate),"
    " engagement_multiplier = VALUES(engagement_multiplier)",

    "INSERT INTO global_stream_settings (setting_key, setting_value, updated_at)"
    " VALUES (:key, :value, NOW())"
    " ON DUPLICATE KEY UPDATE setting_value = VALUES(setting_value),"
    " updated_at = VALUES(updated_at)",

    "SELECT CAST(st.stream_id AS SIGNED), COALESCE(ls.status, 'deleted'),"
    " CAST(st.first_tick_ms AS SIGNED),"
    " CASE WHEN sm.stream_id IS NULL THEN 0 ELSE 1 END,"
    " CAST(COALESCE(sm.duration_seconds, (st.last_tick_ms - st.first_tick_ms) / 1000) AS SIGNED),"
    " CAST(COALESCE(sm.real_peak, st.real_peak) AS SIGNED),"
    " CAST(COALESCE(sm.sim_peak, st.sim_peak) AS SIGNED),"
    " CAST(COALESCE(sm.peak_viewers, st.peak_viewers) AS SIGNED),"
    " CAST(COALESCE(sm.real_viewers_total, (SELECT COUNT(DISTINCT sv.session_id) FROM"
    " stream_viewers sv WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0)) AS SIGNED),"
    " CAST(COALESCE(sm.sim_viewers_total, st.sim_joins) AS SIGNED),"
    " CAST(COALESCE(sm.real_likes, (SELECT COUNT(*) FROM stream_interactions si WHERE"
    " si.stream_id = st.stream_id AND si.is_fake = 0"
    " AND si.interaction_type = 'like')) AS SIGNED),"
    " CAST(COALESCE(sm.sim_likes, st.sim_likes) AS SIGNED)"
    " FROM engagementd_stream_state st"
    " LEFT JOIN engagementd_stream_summary sm ON sm.stream_id = st.stream_id"
    "   AND st.finalized_ms IS NOT NULL"
    " LEFT JOIN live_streams ls ON ls.id = st.stream_id"
    " WHERE st.first_tick_ms >= :since AND st.stream_id BETWEEN :first AND :last"
    " ORDER BY st.stream_id",
};

constexpr AdminStatements kSqlite = {
    nullptr,

    "SELECT COUNT(*) FROM live_streams WHERE id = :id",

    "SELECT status FROM live_streams WHERE id = :id",

    "SELECT id FROM live_streams WHERE status = 'live' ORDER BY id",

    "SELECT CAST(fake_viewers_enabled AS TEXT), CAST(fake_likes_enabled AS TEXT),"
    " CAST(min_fake_viewers AS TEXT), CAST(max_fake_viewers AS TEXT),"
    " CAST(viewer_increase_rate AS TEXT), CAST(viewer_decrease_rate AS TEXT),"
    " CAST(like_rate AS TEXT), CAST(engagement_multiplier AS TEXT)"
    " FROM stream_engagement_config WHERE stream_id = :id",

    "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, fake_likes_enabled,"
    " min_fake_viewers, max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate,"
    " engagement_multiplier)"
    " VALUES (:stream_id, :fake_viewers_enabled, :fake_likes_enabled, :min_fake_viewers,"
    " :max_fake_viewers, :viewer_increase_rate, :viewer_decrease_rate, :like_rate,"
    " :engagement_multiplier)"
    " ON CONFLICT(stream_id) DO UPDATE SET fake_viewers_enabled = excluded.fake_viewers_enabled,"
    " fake_likes_enabled = excluded.fake_likes_enabled,"
    " min_fake_viewers = excluded.min_fake_viewers, max_fake_viewers = excluded.max_fake_viewers,"
    " viewer_increase_rate = excluded.viewer_increase_rate,"
    " viewer_decrease_rate = excluded.viewer_decrease_rate, like_rate = excluded.like_rate,"
    " engagement_multiplier = excluded.engagement_multiplier",

    "INSERT INTO global_stream_settings (setting_key, setting_value, updated_at)"
    " VALUES (:key, :value, CURRENT_TIMESTAMP)"
    " ON CONFLICT(setting_key) DO UPDATE SET setting_value = excluded.setting_value,"
    " updated_at = excluded.updated_at",

    "SELECT CAST(st.stream_id AS INTEGER), COALESCE(ls.status, 'deleted'),"
    " CAST(st.first_tick_ms AS INTEGER),"
    " CASE WHEN sm.stream_id IS NULL THEN 0 ELSE 1 END,"
    " CAST(COALESCE(sm.duration_seconds, (st.last_tick_ms - st.first_tick_ms) / 1000) AS INTEGER),"
    " CAST(COALESCE(sm.real_peak, st.real_peak) AS INTEGER),"
    " CAST(COALESCE(sm.sim_peak, st.sim_peak) AS INTEGER),"
    " CAST(COALESCE(sm.peak_viewers, st.peak_viewers) AS INTEGER),"
    " CAST(COALESCE(sm.real_viewers_total, (SELECT COUNT(DISTINCT sv.session_id) FROM"
    " stream_viewers sv WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0)) AS INTEGER),"
    " CAST(COALESCE(sm.sim_viewers_total, st.sim_joins) AS INTEGER),"
    " CAST(COALESCE(sm.real_likes, (SELECT COUNT(*) FROM stream_interactions si WHERE"
    " si.stream_id = st.stream_id AND si.is_fake = 0"
    " AND si.interaction_type = 'like')) AS INTEGER),"
    " CAST(COALESCE(sm.sim_likes, st.sim_likes) AS INTEGER)"
    " FROM engagementd_stream_state st"
    " LEFT JOIN engagementd_stream_summary sm ON sm.stream_id = st.stream_id"
    "   AND st.finalized_ms IS NOT NULL"
    " LEFT JOIN live_streams ls ON ls.id = st.stream_id"
    " WHERE st.first_tick_ms >= :since AND st.stream_id BETWEEN :first AND :last"
    " ORDER BY st.stream_id",
};

// The config statements name the columns in kConfigKeys' order, which the
// code binds them in: checked when compiling.
constexpr bool names_config_keys_in_order(std::string_view text) {
  std::size_t at = 0;
  for (const std::string_view key : kConfigKeys) {
    at = text.find(key, at);
    if (at == std::string_view::npos) return false;
    at += key.size();
  }
  return true;
}
static_assert(names_config_keys_in_order(kMysql.read_stream_config));
static_assert(names_config_keys_in_order(kMysql.write_stream_config));
static_assert(names_config_keys_in_order(kSqlite.read_stream_config));
static_assert(names_config_keys_in_order(kSqlite.write_stream_config));

const AdminStatements& statements(const Store& store) {
  return per_dialect(store.backend(), kMysql, kSqlite);
}

}  // namespace

std::optional<std::string> current_account(Store& store) {
  const char* query = statements(store).current_account;
  if (query == nullptr) return std::nullopt;
  std::string account;
  session_of(store) << query, soci::into(account);
  return account;
}

bool stream_exists(Store& store, std::int64_t stream) {
  long long n = 0;
  long long id = stream;
  session_of(store) << statements(store).stream_exists, soci::use(id), soci::into(n);
  return n > 0;
}

std::string stream_status(Store& store, std::int64_t stream) {
  std::string status;
  long long id = stream;
  session_of(store) << statements(store).stream_status, soci::use(id), soci::into(status);
  return status;
}

std::vector<std::int64_t> live_stream_ids(Store& store) {
  std::vector<std::int64_t> ids;
  long long id = 0;
  soci::statement st =
      (session_of(store).prepare << statements(store).live_stream_ids, soci::into(id));
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
  st.prepare(statements(store).read_stream_config);
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
  st.prepare(statements(store).write_stream_config);
  st.define_and_bind();
  st.execute(true);
}

void write_global_setting(Store& store, const std::string& key, const std::string& value) {
  std::string k = key, v = value;
  session_of(store) << statements(store).write_global_setting, soci::use(k), soci::use(v);
}

std::vector<ReportRow> read_report(Store& store, std::optional<std::int64_t> stream,
                                   std::int64_t since_ms) {
  const AdminStatements& s = statements(store);
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
  st.prepare(s.report);
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
