// The settings table (core/settings.hpp): README.md's table is the same,
// row for row; each default is what Config holds unset and what its text
// parses to; each range is the parser's.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/settings.hpp"
#include "service/config.hpp"
#include "tick/tick.hpp"

using namespace engagementd;

namespace {

// The rows of README.md's settings table (the one whose header names key,
// default, range and meaning), as written.
std::vector<std::string> readme_rows() {
  std::ifstream in(std::string(ENGAGEMENTD_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::vector<std::string> rows;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "| key | default | range | meaning |") {
      inside = true;
      rows.push_back(line);
      continue;
    }
    if (!inside) continue;
    if (line.empty() || line[0] != '|') break;
    rows.push_back(line);
  }
  return rows;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A minimal valid file with one setting set (its section's key).
std::string with_setting(const std::string& path, const std::string& value) {
  const auto dot = path.find('.');
  const std::string section = path.substr(0, dot), key = path.substr(dot + 1);
  std::string text = "database:\n  backend: sqlite3\n  path: /tmp/x.db\n";
  if (section == "database") {
    text = "database:\n  backend: mysql\n  name: shop\n  " + key + ": " + value + "\n";
  } else {
    text += section + ":\n  " + key + ": " + value + "\n";
  }
  return text;
}

std::string problems_of(const std::string& text) {
  try {
    parse_config(text, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("README.md's settings table is the code's settings table") {
  const std::vector<std::string> readme = readme_rows();
  const std::vector<std::string> code = lines_of(settings_markdown());
  // A clear difference: each row that is not the same, both ways.
  std::string diff;
  for (std::size_t i = 0; i < std::max(readme.size(), code.size()); ++i) {
    const std::string r = i < readme.size() ? readme[i] : "(none)";
    const std::string c = i < code.size() ? code[i] : "(none)";
    if (r != c) diff += "\n- README.md: " + r + "\n+ the code:  " + c;
  }
  INFO("rows that differ (update README.md from `engagementd check-config --settings`, or "
       "lib/core/settings.hpp):"
       << diff);
  CHECK(diff.empty());
  CHECK(readme.size() == kSettings.size() + 2);
}

TEST_CASE("every setting's default is Config's and TickSettings', and parses as written") {
  const Config c;
  CHECK(c.database.host == setting_text("database.host"));
  CHECK(c.database.port == setting_whole("database.port"));
  CHECK(c.database.read_timeout.count() == setting_ms("database.read_timeout"));
  CHECK(c.tick_interval.count() == setting_ms("tick.interval"));
  CHECK(c.max_catchup.count() == setting_ms("tick.max_catchup"));
  CHECK(c.real_viewer_ttl.count() == setting_ms("simulation.real_viewer_ttl"));
  CHECK(c.watch_time.count() == setting_ms("simulation.watch_time"));
  CHECK(c.metrics.port == setting_whole("metrics.port"));
  CHECK(c.metrics.listen == setting_text("metrics.listen"));
  CHECK(c.shard.count == setting_whole("shard.count"));
  CHECK(lease_for(c).count() == setting_ms("leadership.lease"));
  CHECK(real_viewer_sweep_for(c).count() == setting_ms("simulation.real_viewer_sweep"));
  const TickSettings t;
  CHECK(t.max_catchup == c.max_catchup);
  CHECK(t.real_viewer_ttl == c.real_viewer_ttl);
  CHECK(t.cache == c.tick_cache);
  CHECK(t.simulation_enabled == c.simulation_enabled);
  CHECK(t.watch_minutes * 60'000 == Approx(static_cast<double>(c.watch_time.count())));
  CHECK(t.lease == lease_for(c));

  for (const SettingSpec& s : kSettings) {
    INFO(s.path);
    // A default written as a value parses (a word such as "random" is not one).
    const std::string shown(s.default_text);
    if (s.type == SettingType::duration && shown.find('(') == std::string::npos) {
      const Config parsed = parse_config(with_setting(std::string(s.path), shown), "test.yaml");
      if (s.path == "tick.interval") CHECK(parsed.tick_interval.count() == s.default_value);
      CHECK(problems_of(with_setting(std::string(s.path), shown)).empty());
    }
    if (s.type == SettingType::boolean || (s.type == SettingType::whole && shown != "random")) {
      CHECK(problems_of(with_setting(std::string(s.path), shown)).empty());
    }
  }
}

TEST_CASE("every setting's range is the parser's, its ends included, and the message says it") {
  for (const SettingSpec& s : kSettings) {
    if (s.min > s.max) continue;
    INFO(s.path);
    const std::string path(s.path);
    const std::string range = setting_range(s);
    if (s.type == SettingType::duration) {
      const auto ms = [](std::int64_t v) { return std::to_string(v) + "ms"; };
      CHECK(problems_of(with_setting(path, ms(s.max + 1))).find(range) != std::string::npos);
      if (s.min > 0) {
        CHECK(problems_of(with_setting(path, ms(s.min - 1))).find(range) != std::string::npos);
      }
      // The ends pass the range (other rules, e.g. max_catchup not below
      // the interval, may still refuse them).
      CHECK(problems_of(with_setting(path, ms(s.max))).find(range) == std::string::npos);
      CHECK(problems_of(with_setting(path, ms(s.min))).find(range) == std::string::npos);
    } else {
      CHECK(problems_of(with_setting(path, std::to_string(s.max + 1))).find(range) !=
            std::string::npos);
      CHECK(problems_of(with_setting(path, std::to_string(s.max))).find(range) ==
            std::string::npos);
    }
  }
}
