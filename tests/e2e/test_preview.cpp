// The preview command, end to end: the real binary writes the CSV and the
// SVG, and headless Chromium renders the SVG to a PNG that is checked pixel
// by pixel. No database.
#include <png.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/process.hpp"

using namespace engagementd::test;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;
constexpr const char* kChromium = "/usr/bin/chromium";

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/engagementd-preview-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct CsvRow {
  long long minute, real, target, sim, display, likes;
};

std::vector<CsvRow> parse_csv(const std::string& text, std::string& header) {
  std::istringstream in(text);
  std::getline(in, header);
  std::vector<CsvRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    CsvRow r{};
    char c1, c2, c3, c4, c5;
    std::istringstream l(line);
    l >> r.minute >> c1 >> r.real >> c2 >> r.target >> c3 >> r.sim >> c4 >> r.display >> c5 >>
        r.likes;
    INFO("line: " << line);
    REQUIRE(l);
    REQUIRE((c1 == ',' && c2 == ',' && c3 == ',' && c4 == ',' && c5 == ','));
    rows.push_back(r);
  }
  return rows;
}

struct Image {
  unsigned width = 0, height = 0;
  std::vector<unsigned char> rgba;
};

Image read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, path.c_str()) != 0);
  image.format = PNG_FORMAT_RGBA;
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr) != 0);
  return out;
}

// Pixels within `tolerance` of an RGB colour (anti-aliasing blends edges).
std::size_t count_colour(const Image& img, unsigned rgb, int tolerance) {
  const int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
  std::size_t n = 0;
  for (std::size_t i = 0; i + 3 < img.rgba.size(); i += 4) {
    if (std::abs(img.rgba[i] - r) <= tolerance && std::abs(img.rgba[i + 1] - g) <= tolerance &&
        std::abs(img.rgba[i + 2] - b) <= tolerance) {
      ++n;
    }
  }
  return n;
}

}  // namespace

TEST_CASE("preview writes a per-minute CSV whose numbers follow the algorithm") {
  TempDir dir;
  const std::string csv = dir.path + "/chart.csv", svg = dir.path + "/chart.svg";
  std::string out;
  REQUIRE(run_command({kBinary, "preview", "--preset", "moderate", "--real-viewers", "10",
                       "--minutes", "60", "--svg", svg, "--csv", csv, "--seed", "5"},
                      out) == 0);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("wrote " + csv) && Catch::Contains("wrote " + svg));
  std::string header;
  const auto rows = parse_csv(read_file(csv), header);
  CHECK(header == "minute,real_viewers,target,sim_viewers,display_viewers,sim_likes");
  REQUIRE(rows.size() == 60);
  long long likes = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const CsvRow& r = rows[i];
    INFO("minute " << r.minute);
    CHECK(r.minute == static_cast<long long>(i + 1));
    CHECK(r.real == 10);
    CHECK(r.target == 20);  // max(15, min(100, floor(10 x 2.0)))
    CHECK(r.display == r.real + r.sim);
    // A natural audience around 20: sd sqrt(20) = 4.5; 5 sd + 2.
    CHECK(std::abs(r.sim - 20) <= 25);
    CHECK(r.likes >= likes);
    likes = r.likes;
  }
  // First sight is 8..15; from there the audience settles around T = 20 in
  // a few watch times (6 minutes each) and keeps moving: its mean over
  // minutes 20..60 is near 20 (41 minutes one minute apart weigh as 3.5
  // independent ones, autocorrelation exp(-1/6): sd 2.4, 5 sd 12), and it is
  // not pinned to a value or two.
  double sum = 0;
  std::set<long long> values;
  for (std::size_t i = 19; i < rows.size(); ++i) {
    sum += static_cast<double>(rows[i].sim);
    values.insert(rows[i].sim);
  }
  CHECK(std::abs(sum / 41 - 20) <= 12);
  CHECK(values.size() >= 5);
  CHECK_THAT(out,
             Catch::Contains("natural spread +-8.9") && Catch::Contains("watch time 6 min") &&
                 Catch::Contains("(a natural audience: mean 20.0, sd 4.5, autocorrelation 0.85"));
  // 60 minutes x 3 x min(1, 0.2) = 36 likes, Poisson: sd 6, 5 sd = 30.
  CHECK(std::abs(likes - 36) <= 30);

  // The same seed gives the same numbers; --csv - prints them.
  std::string again;
  REQUIRE(run_command({kBinary, "preview", "--preset", "moderate", "--real-viewers", "10",
                       "--minutes", "60", "--csv", "-", "--seed", "5"},
                      again) == 0);
  CHECK(again == read_file(csv));
}

TEST_CASE("preview follows a changing real audience and custom settings") {
  std::string out;
  REQUIRE(run_command({kBinary,        "preview",    "--min",        "5",          "--max",
                       "40",           "--increase", "30",           "--decrease", "30",
                       "--like-rate",  "0",          "--multiplier", "1.5",        "--real-viewers",
                       "0,20@10,2@30", "--minutes",  "50",           "--tick",     "1s",
                       "--seed",       "9",          "--csv",        "-"},
                      out) == 0);
  std::string header;
  const auto rows = parse_csv(out, header);
  REQUIRE(rows.size() == 50);
  for (const CsvRow& r : rows) {
    INFO("minute " << r.minute);
    const long long real = r.minute < 10 ? 0 : r.minute < 30 ? 20 : 2;
    CHECK(r.real == real);
    CHECK(r.target == std::max(5LL, std::min(40LL, static_cast<long long>(real * 1.5))));
    CHECK(r.likes == 0);
    // Coming from below, never beyond the natural band on the far side:
    // T + 4 sqrt(T) + 2 + (T/6)/30 is 16 for T = 5 and 54 for T = 30.
    if (r.minute < 30) CHECK(r.sim <= (r.target == 5 ? 16 : 54));
  }
  // T 5 -> 30 at minute 10: up to the natural band (6) at 30 a minute, then
  // natural, a sixth of the remaining way a minute: about 27 on average
  // over minutes 20..29. T 30 -> 5 at minute 30: down to 16 at 30 a minute
  // within the first minute, then natural: about 6 over minutes 40..49.
  // Ten minutes one minute apart weigh as about one independent sample, so
  // each mean has an sd of about sqrt(T): 5.5 and 2.5; 3 sd and more.
  auto mean = [&](int from, int to) {
    double sum = 0;
    for (int m = from; m <= to; ++m) sum += static_cast<double>(rows[m - 1].sim);
    return sum / (to - from + 1);
  };
  CHECK(mean(20, 29) > 12);
  CHECK(rows[30].sim <= 17);  // minute 31, a minute after the drop
  CHECK(mean(40, 49) < 15);
}

TEST_CASE("preview refuses bad settings with the rule that is broken") {
  std::string out;
  CHECK(run_command({kBinary, "preview", "--preset", "wild"}, out) == 2);
  CHECK_THAT(out, Catch::Contains("unknown preset 'wild'") && Catch::Contains("moderate"));
  CHECK(run_command({kBinary, "preview", "--min", "50", "--max", "10"}, out) == 2);
  CHECK_THAT(out, Catch::Contains("max_fake_viewers 10 < min_fake_viewers 50"));
  CHECK(run_command({kBinary, "preview", "--multiplier", "12"}, out) == 2);
  CHECK_THAT(out, Catch::Contains("engagement_multiplier 12 is outside 0.5..10"));
  CHECK(run_command({kBinary, "preview", "--increase", "-1"}, out) == 2);
  CHECK_THAT(out, Catch::Contains("viewer_increase_rate -1"));
  CHECK(run_command({kBinary, "preview", "--watch-minutes", "0.1"}, out) == 2);
  CHECK_THAT(out, Catch::Contains("sim_watch_minutes 0.1 is outside 0.5..600"));
  CHECK(run_command({kBinary, "preview", "--watch-minutes", "12", "--minutes", "5"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("watch time 12 min"));
  CHECK(run_command({kBinary, "preview", "--tick", "5 seconds"}, out) == 2);
  CHECK(run_command({kBinary, "preview", "--real-viewers", "5,3@0"}, out) == 2);
  CHECK_THAT(out, Catch::Contains("minutes must increase"));
}

TEST_CASE("the preview SVG renders in headless Chromium as a chart") {
  TempDir dir;
  const std::string svg = dir.path + "/chart.svg", png = dir.path + "/chart.png";
  std::string out;
  REQUIRE(run_command({kBinary, "preview", "--preset", "moderate", "--real-viewers", "10",
                       "--minutes", "60", "--svg", svg, "--seed", "5"},
                      out) == 0);
  const std::string text = read_file(svg);
  // Self-contained: nothing to fetch.
  CHECK_THAT(text, !Catch::Contains("href") && !Catch::Contains("<script") &&
                       Catch::Contains("time (minutes)") && Catch::Contains("viewers") &&
                       Catch::Contains("simulated likes (cumulative)"));

  REQUIRE(access(kChromium, X_OK) == 0);
  Child chromium({kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--user-data-dir=" + dir.path + "/profile", "--screenshot=" + png,
                  "--window-size=960,560", "file://" + svg},
                 dir.path + "/chromium.log");
  const auto code = chromium.wait(120s);
  INFO(chromium.log());
  REQUIRE(code.has_value());
  REQUIRE(std::filesystem::exists(png));
  CHECK(std::filesystem::file_size(png) > 10'000);

  const Image img = read_png(png);
  CHECK(img.width == 960);
  CHECK(img.height == 560);
  const std::size_t pixels = std::size_t{img.width} * img.height;
  const std::size_t white = count_colour(img, 0xffffff, 8);
  const double ink = 1.0 - static_cast<double>(white) / static_cast<double>(pixels);
  INFO("non-white share " << ink);
  CHECK(ink > 0.03);  // lines, axes, labels and the band were drawn
  CHECK(ink < 0.6);   // and not a blank or black page
  // Each series shows in its own colour.
  CHECK(count_colour(img, 0x1f77b4, 40) > 500);   // display viewers
  CHECK(count_colour(img, 0xd62728, 40) > 300);   // cumulative likes
  CHECK(count_colour(img, 0x2ca02c, 40) > 300);   // real viewers
  CHECK(count_colour(img, 0xffe7d4, 12) > 1000);  // the target band's tint
}
