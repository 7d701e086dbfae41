#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "core/engagement.hpp"

namespace engagementd {

// Builds the JSON objects of engagementd_audit.detail: {"key":value,...}.
class JsonObject {
 public:
  JsonObject& add(const std::string& key, const std::string& value);
  JsonObject& add(const std::string& key, const char* value) {
    return add(key, std::string(value));
  }
  JsonObject& add(const std::string& key, std::int64_t value);
  JsonObject& add(const std::string& key, double value);
  JsonObject& add(const std::string& key, bool value);
  // A value that is already JSON (a nested object).
  JsonObject& raw(const std::string& key, const std::string& json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(const std::string& k);
  std::string body_;
};

std::string json_quote(const std::string& s);

// The settings as a JSON object keyed by the column names of
// stream_engagement_config, e.g. {"fake_viewers_enabled":1,...,"engagement_multiplier":2}.
std::string config_json(const EngagementConfig& c);

}  // namespace engagementd
