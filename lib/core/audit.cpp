#include "core/audit.hpp"

#include <cstdio>

namespace engagementd {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

void JsonObject::key(const std::string& k) {
  if (!body_.empty()) body_ += ",";
  body_ += json_quote(k) + ":";
}

JsonObject& JsonObject::add(const std::string& k, const std::string& value) {
  key(k);
  body_ += json_quote(value);
  return *this;
}

JsonObject& JsonObject::add(const std::string& k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::add(const std::string& k, double value) {
  key(k);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  body_ += buf;
  return *this;
}

JsonObject& JsonObject::add(const std::string& k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::raw(const std::string& k, const std::string& json) {
  key(k);
  body_ += json;
  return *this;
}

std::string config_json(const EngagementConfig& c) {
  return JsonObject()
      .add("fake_viewers_enabled", std::int64_t{c.viewers_enabled ? 1 : 0})
      .add("fake_likes_enabled", std::int64_t{c.likes_enabled ? 1 : 0})
      .add("min_fake_viewers", c.min_viewers)
      .add("max_fake_viewers", c.max_viewers)
      .add("viewer_increase_rate", c.increase_rate)
      .add("viewer_decrease_rate", c.decrease_rate)
      .add("like_rate", c.like_rate)
      .add("engagement_multiplier", c.multiplier)
      .str();
}

}  // namespace engagementd
