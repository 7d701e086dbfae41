#include <catch2/catch.hpp>

#include <sstream>

#include "cli/admin.hpp"
#include "cli/preview.hpp"
#include "core/audit.hpp"
#include "core/presets.hpp"

using namespace engagementd;

TEST_CASE("presets are the guide's and valid") {
  REQUIRE(find_preset("moderate") != nullptr);
  CHECK(find_preset("moderate")->config == EngagementConfig{});
  CHECK(find_preset("nope") == nullptr);
  for (const Preset& p : kPresets) CHECK(validate(p.config).empty());
  const EngagementConfig& a = find_preset("aggressive")->config;
  CHECK(a.min_viewers == 50);
  CHECK(a.max_viewers == 500);
  CHECK(a.multiplier == 3.0);
}

TEST_CASE("a real-viewer schedule parses and bad ones are refused") {
  const auto one = parse_real_viewers("12");
  REQUIRE(one.size() == 1);
  CHECK(one[0].viewers == 12);
  const auto three = parse_real_viewers("0,20@15,5@40");
  REQUIRE(three.size() == 3);
  CHECK(three[1].from == 15);
  CHECK(three[1].viewers == 20);
  const auto late = parse_real_viewers("7@10");
  REQUIRE(late.size() == 2);  // none before minute 10
  CHECK(late[0].viewers == 0);
  CHECK_THROWS_WITH(parse_real_viewers("5,3"), Catch::Contains("needs @MINUTE"));
  CHECK_THROWS_WITH(parse_real_viewers("5,3@4,2@4"), Catch::Contains("minutes must increase"));
  CHECK_THROWS(parse_real_viewers("-1"));
  CHECK_THROWS(parse_real_viewers(""));
}

TEST_CASE("the preview repeats with a seed and shows the tick's numbers at each minute") {
  PreviewOptions o;
  o.real = parse_real_viewers("10");
  o.minutes = 30;
  o.seed = 3;
  const PreviewResult a = run_preview(o);
  const PreviewResult b = run_preview(o);
  REQUIRE(a.rows.size() == 30);
  std::ostringstream ca, cb;
  write_preview_csv(a, ca);
  write_preview_csv(b, cb);
  CHECK(ca.str() == cb.str());
  // A 7-minute tick: the shown numbers change only when a tick has run.
  o.tick = std::chrono::minutes(7);
  const PreviewResult slow = run_preview(o);
  for (int m = 1; m < 7; ++m) CHECK(slow.rows[m - 1].sim_viewers == slow.start.sim_viewers);
  std::ostringstream svg;
  write_preview_svg(a, svg);
  CHECK_THAT(svg.str(), Catch::StartsWith("<?xml") && Catch::EndsWith("</svg>\n"));
}

TEST_CASE("report dates are UTC and audit details are JSON") {
  CHECK(parse_utc_date("1970-01-02") == 86'400'000);
  CHECK(parse_utc_date("2026-11-25 14:30") == parse_utc_date("2026-11-25T14:30:00"));
  CHECK(format_utc(parse_utc_date("2026-11-25 14:30:05")) == "2026-11-25 14:30:05");
  CHECK_THROWS(parse_utc_date("yesterday"));
  CHECK_THROWS(parse_utc_date("2026-13-01"));
  CHECK(json_quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(config_json(EngagementConfig{}) ==
        "{\"fake_viewers_enabled\":1,\"fake_likes_enabled\":1,\"min_fake_viewers\":15,"
        "\"max_fake_viewers\":100,\"viewer_increase_rate\":5,\"viewer_decrease_rate\":3,"
        "\"like_rate\":3,\"engagement_multiplier\":2}");
}
