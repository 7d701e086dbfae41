#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "core/engagement.hpp"
#include "core/setting_text.hpp"

using namespace engagementd;

namespace {

std::optional<double> number(const std::string& text) {
  return parse_setting_text(text, SettingKind::number);
}
std::optional<double> flag(const std::string& text) {
  return parse_setting_text(text, SettingKind::flag);
}

}  // namespace

TEST_CASE("setting text: the on/off keys are flags, every other key a number") {
  CHECK(setting_kind("fake_viewers_enabled") == SettingKind::flag);
  CHECK(setting_kind("fake_likes_enabled") == SettingKind::flag);
  CHECK(setting_kind("simulation_enabled") == SettingKind::flag);
  for (const char* key :
       {"min_fake_viewers", "max_fake_viewers", "viewer_increase_rate", "viewer_decrease_rate",
        "like_rate", "engagement_multiplier", "sim_watch_minutes", "rtmp_server_url"}) {
    INFO(key);
    CHECK(setting_kind(key) == SettingKind::number);
  }
}

TEST_CASE("setting text: decimal numbers as the admin panel and PHP write them") {
  CHECK(number("15") == 15.0);
  CHECK(number("2.0") == 2.0);
  CHECK(number("2.5") == 2.5);
  CHECK(number("0") == 0.0);
  CHECK(number("-3") == -3.0);  // a number: the range check refuses it, not the parser
  CHECK(number("+4") == 4.0);
  CHECK(number(".5") == 0.5);
  CHECK(number("5.") == 5.0);
  CHECK(number("1e3") == 1000.0);
  CHECK(number("1.0E+25") == 1e25);  // PHP's text for a large float
  CHECK(number("2.5e-1") == 0.25);
  CHECK(number("4000000000") == 4e9);
}

TEST_CASE("setting text: surrounding whitespace is ignored, on both sides") {
  CHECK(number(" 5") == 5.0);
  CHECK(number("5 ") == 5.0);
  CHECK(number("\t2.5\t") == 2.5);
  CHECK(number("7\r\n") == 7.0);
  CHECK(flag(" on ") == 1.0);
  CHECK(flag("0\n") == 0.0);
}

TEST_CASE("setting text: what is not a decimal number is not read as one") {
  for (const char* text :
       {"",    " ",    "abc", "lots", "5 viewers", "5abc",  "1,5",    "1 000",  "0x10", "0X1A",
        "inf", "-inf", "nan", "NaN",  "infinity",  "1e",    "1e+",    "e5",     ".",    "-",
        "+",   "+-5",  "--5", "1..2", "1.2.3",     "1e400", "-1e400", "1e-400", "５"}) {
    INFO("'" << text << "'");
    CHECK_FALSE(number(text));
  }
  // An embedded NUL ends nothing: the whole text must be the number.
  CHECK_FALSE(parse_setting_text(std::string("5\0"
                                             "0",
                                             3),
                                 SettingKind::number));
}

TEST_CASE("setting text: flags take PHP's boolean words in any case, and '' as off") {
  for (const char* text : {"true", "on", "yes", "TRUE", "On", "YES", "1", "1.0"}) {
    INFO(text);
    CHECK(flag(text) == 1.0);
  }
  for (const char* text : {"false", "off", "no", "False", "OFF", "No", "0", "", "  "}) {
    INFO("'" << text << "'");
    CHECK(flag(text) == 0.0);
  }
  // Any other number is returned for the caller's 0-or-1 check.
  CHECK(flag("7") == 7.0);
  CHECK(flag("2") == 2.0);
  for (const char* text : {"enabled", "y", "n", "onn", "truee", "0x1", "nan"}) {
    INFO(text);
    CHECK_FALSE(flag(text));
  }
}

TEST_CASE("setting text: number keys take no words and no empty text") {
  for (const char* text : {"on", "off", "true", "false", "yes", "no", ""}) {
    INFO("'" << text << "'");
    CHECK_FALSE(number(text));
  }
}

TEST_CASE("setting text: the global settings are read by these rules") {
  std::vector<std::string> problems;
  // Whitespace, an exponent, words and the site's '' for a JSON false.
  GlobalSettings g = resolve_global_settings({{"min_fake_viewers", " 4 "},
                                              {"max_fake_viewers", "1e2"},
                                              {"fake_viewers_enabled", "OFF"},
                                              {"fake_likes_enabled", ""},
                                              {"simulation_enabled", "Yes"},
                                              {"sim_watch_minutes", "8\n"}},
                                             problems);
  CHECK(problems.empty());
  CHECK(g.defaults.min_viewers == 4);
  CHECK(g.defaults.max_viewers == 100);
  CHECK_FALSE(g.defaults.viewers_enabled);
  CHECK_FALSE(g.defaults.likes_enabled);
  CHECK(g.simulation_enabled);
  CHECK(g.defaults.watch_minutes == 8);

  // A word for a number, hexadecimal: reported, the built-in default used.
  problems.clear();
  g = resolve_global_settings({{"like_rate", "yes"}, {"min_fake_viewers", "0x10"}}, problems);
  REQUIRE(problems.size() == 2);
  // (in the order of the columns)
  CHECK_THAT(problems[0], Catch::Contains("min_fake_viewers '0x10' is not a number"));
  CHECK_THAT(problems[1], Catch::Contains("like_rate 'yes' is not a number"));
  CHECK(g.defaults == EngagementConfig{});

  // The kill switch: '' is off without a complaint, a flag outside 0/1 is
  // unreadable and off too, but said.
  problems.clear();
  CHECK_FALSE(resolve_global_settings({{"simulation_enabled", ""}}, problems).simulation_enabled);
  CHECK(problems.empty());
  CHECK_FALSE(resolve_global_settings({{"simulation_enabled", "2"}}, problems).simulation_enabled);
  CHECK(problems.size() == 1);
}

TEST_CASE("setting text: a text longer than the store reads is no setting, and is shown cut") {
  const std::string padded = "5" + std::string(kSettingTextMax - 1, ' ');
  CHECK(number(padded) == 5.0);
  CHECK_FALSE(number(padded + " "));
  CHECK_FALSE(flag(std::string(kSettingTextMax + 1, ' ')));
  // Quoted, escaped, at most kSettingTextShown bytes of the text, "..." when cut.
  CHECK(setting_text_excerpt("12") == "'12'");
  CHECK(setting_text_excerpt("a'b\\c\n\t\x1b\xc3\xa9") == "'a\\'b\\\\c\\n\\t\\x1b\\xc3\\xa9'");
  const std::string huge(10 << 20, 'x');
  CHECK(setting_text_excerpt(huge) == "'" + std::string(kSettingTextShown, 'x') + "'...");
  CHECK(setting_text_excerpt(std::string(kSettingTextShown, 'y')) ==
        "'" + std::string(kSettingTextShown, 'y') + "'");
}
