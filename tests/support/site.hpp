#pragma once
// Writing and reading the site's rows the way the PHP site does, for the
// store, transparency, command and fault tests.

#include <string>

#include "support/test_db.hpp"

namespace engagementd::test::site {

inline std::string now_sql() {
  return is_mysql() ? "NOW()" : "datetime('now')";
}

inline long long add_stream(soci::session& sql, const std::string& status = "live") {
  sql << "INSERT INTO live_streams (vendor_id, title, status, started_at) VALUES (7, 'A stream', "
         "'" +
             status + "', " + now_sql() + ")";
  return query_int(sql, "SELECT MAX(id) FROM live_streams");
}

inline void add_viewer(soci::session& sql, long long stream, const std::string& session,
                       bool fake = false, bool left = false) {
  sql << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, left_at) VALUES (" +
             std::to_string(stream) + ", '" + session + "', " + (fake ? "1" : "0") + ", " +
             (left ? now_sql() : std::string("NULL")) + ")";
}

inline void add_interaction(soci::session& sql, long long stream, const std::string& type,
                            bool fake = false) {
  sql << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES (" +
             std::to_string(stream) + ", '" + type + "', " + (fake ? "1" : "0") + ")";
}

// values: "viewers_on, likes_on, min, max, increase, decrease, like_rate, multiplier"
inline void set_config(soci::session& sql, long long stream, const std::string& values) {
  sql << "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, "
         "fake_likes_enabled, min_fake_viewers, max_fake_viewers, viewer_increase_rate, "
         "viewer_decrease_rate, like_rate, engagement_multiplier) VALUES (" +
             std::to_string(stream) + ", " + values + ")";
}

inline void set_global(soci::session& sql, const std::string& key, const std::string& value) {
  sql << "DELETE FROM global_stream_settings WHERE setting_key = '" + key + "'";
  sql << "INSERT INTO global_stream_settings (setting_key, setting_value) VALUES ('" + key +
             "', '" + value + "')";
}

// As if the last tick had run `ms` earlier on the database clock.
inline void rewind(soci::session& sql, long long ms) {
  sql << "UPDATE engagementd_stream_state SET last_tick_ms = last_tick_ms - " + std::to_string(ms);
  sql << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms - " + std::to_string(ms);
}

// Live streams whose display differs from what the site's real rows say
// (open sessions, likes, dislikes, comments with is_fake = 0), or whose
// badge flag is on: 0 means every live stream shows exactly the real numbers.
inline long long streams_not_real_only(soci::session& sql) {
  return query_int(
      sql,
      "SELECT COUNT(*) FROM live_streams ls WHERE ls.status = 'live' AND ("
      " ls.viewer_count <> (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id = ls.id"
      "   AND sv.is_fake = 0 AND sv.left_at IS NULL)"
      " OR ls.max_viewers <> ls.viewer_count"
      " OR ls.like_count <> (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
      "   ls.id AND si.is_fake = 0 AND si.interaction_type = 'like')"
      " OR ls.dislike_count <> (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
      "   ls.id AND si.is_fake = 0 AND si.interaction_type = 'dislike')"
      " OR ls.comment_count <> (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id ="
      "   ls.id AND si.is_fake = 0 AND si.interaction_type = 'comment')"
      " OR ls.includes_simulated <> 0)");
}

inline long long audit_count(soci::session& sql, const std::string& event,
                             const std::string& detail_like = "%") {
  return query_int(sql, "SELECT COUNT(*) FROM engagementd_audit WHERE event = '" + event +
                            "' AND detail LIKE '" + detail_like + "'");
}

}  // namespace engagementd::test::site
