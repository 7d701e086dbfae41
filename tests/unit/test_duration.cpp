#include <catch2/catch.hpp>

#include "core/duration.hpp"

using engagementd::format_duration;
using engagementd::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("durations take ms, s, m and h") {
  CHECK(parse_duration("250ms") == milliseconds(250));
  CHECK(parse_duration("5s") == milliseconds(5000));
  CHECK(parse_duration("2m") == milliseconds(120000));
  CHECK(parse_duration("1h") == milliseconds(3600000));
  CHECK(parse_duration("0s") == milliseconds(0));
}

TEST_CASE("bad durations are rejected with the reason") {
  CHECK_THROWS_WITH(parse_duration("5"), Catch::Contains("needs a unit"));
  CHECK_THROWS_WITH(parse_duration("5 s"), Catch::Contains("unknown unit"));
  CHECK_THROWS_WITH(parse_duration("5d"), Catch::Contains("unknown unit 'd'"));
  CHECK_THROWS_WITH(parse_duration("-5s"), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(parse_duration("1.5s"), Catch::Contains("unknown unit"));
  CHECK_THROWS_WITH(parse_duration(""), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(parse_duration("99999999999999999999h"), Catch::Contains("too large"));
}

TEST_CASE("durations format to their shortest exact form") {
  CHECK(format_duration(milliseconds(5000)) == "5s");
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
  CHECK(format_duration(milliseconds(120000)) == "2m");
  CHECK(format_duration(milliseconds(7200000)) == "2h");
  CHECK(format_duration(milliseconds(0)) == "0s");
  for (const char* s : {"250ms", "5s", "2m", "1h"}) CHECK(format_duration(parse_duration(s)) == s);
}
