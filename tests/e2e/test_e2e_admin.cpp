// End to end with the real binary: the kill switch by YAML reload, and the
// operator's config and report commands, on SQLite and MariaDB.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "support/site.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;

std::string yaml_with(const TestDatabase& db, bool enabled) {
  return db.write_yaml(std::string("tick:\n  interval: 200ms\nsimulation:\n  enabled: ") +
                       (enabled ? "true" : "false") + "\n  seed: 7\n");
}

}  // namespace

TEST_CASE("end to end: simulation.enabled false on SIGHUP shows real numbers only, and back") {
  TestDatabase db;
  const std::string yaml = yaml_with(db, true);
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto sql = db.site();
  const long long a = add_stream(*sql);
  const long long b = add_stream(*sql);
  add_viewer(*sql, a, "s1");
  add_viewer(*sql, a, "s2");
  add_viewer(*sql, a, "old-fake", true);
  add_interaction(*sql, a, "like");
  add_interaction(*sql, b, "comment");

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log");
  // Ticking (and so able to take SIGHUP), with simulated numbers shown.
  REQUIRE(eventually([&] {
    return daemon.log().find("tick live=2") != std::string::npos &&
           query_int(*sql, "SELECT COUNT(*) FROM live_streams WHERE includes_simulated = 1") == 2;
  }));

  yaml_with(db, false);
  daemon.signal(SIGHUP);
  const bool real_only = eventually([&] { return streams_not_real_only(*sql) == 0; });
  INFO(daemon.log());
  REQUIRE(real_only);
  CHECK(audit_count(*sql, "kill_switch", "%off_by_config_file%") == 1);
  // It stays that way tick after tick, real rows still counted.
  add_viewer(*sql, b, "t1");
  std::this_thread::sleep_for(600ms);
  CHECK(streams_not_real_only(*sql) == 0);
  CHECK(query_int(*sql, "SELECT viewer_count FROM live_streams WHERE id = " + std::to_string(b)) ==
        1);

  yaml_with(db, true);
  daemon.signal(SIGHUP);
  REQUIRE(eventually([&] { return streams_not_real_only(*sql) == 2; }));
  CHECK(audit_count(*sql, "kill_switch", "%\"simulation\":\"on\"%") == 1);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == std::optional<int>(0));
}

TEST_CASE(
    "end to end: SIGHUP with changed settings drops the streams in memory: the next tick "
    "reads them whole, then from memory again") {
  TestDatabase db;
  const auto yaml_ttl = [&](const char* ttl) {
    return db.write_yaml(std::string("tick:\n  interval: 200ms\nsimulation:\n  seed: 7\n"
                                     "  real_viewer_ttl: ") +
                         ttl + "\n");
  };
  const std::string yaml = yaml_ttl("60s");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto sql = db.site();
  const long long a = add_stream(*sql);
  add_viewer(*sql, a, "s1");

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log");
  REQUIRE(eventually([&] { return daemon.log().find("read=changes") != std::string::npos; }));
  CHECK(count_of(daemon.log(), "read=whole") == 1);  // the first tick only

  yaml_ttl("90s");
  daemon.signal(SIGHUP);
  const std::string dropped =
      "streams in memory dropped (the configuration was reloaded): this tick read every stream "
      "whole";
  REQUIRE(eventually([&] {
    const std::string log = daemon.log();
    const auto at = log.find(dropped);
    return at != std::string::npos && log.find("read=changes", at) != std::string::npos;
  }));
  const std::string log = daemon.log();
  const auto at = log.find(dropped);
  // The tick right after the reload read whole; the ones after, from memory.
  CHECK(log.find("read=whole", at) < log.find("read=changes", at));
  CHECK(count_of(log, "read=whole") == 2);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == std::optional<int>(0));
}

namespace {

std::string global_value(soci::session& sql, const std::string& key) {
  std::string v;
  soci::indicator ind = soci::i_ok;
  sql << "SELECT setting_value FROM global_stream_settings WHERE setting_key = '" + key + "'",
      soci::into(v, ind);
  return sql.got_data() ? v : std::string("<none>");
}

std::string stream_config(soci::session& sql, long long id) {
  double v[8] = {};
  sql << "SELECT fake_viewers_enabled, fake_likes_enabled, min_fake_viewers, max_fake_viewers,"
         " viewer_increase_rate, viewer_decrease_rate, like_rate, engagement_multiplier"
         " FROM stream_engagement_config WHERE stream_id = " +
             std::to_string(id),
      soci::into(v[0]), soci::into(v[1]), soci::into(v[2]), soci::into(v[3]), soci::into(v[4]),
      soci::into(v[5]), soci::into(v[6]), soci::into(v[7]);
  std::ostringstream out;
  for (double x : v) out << x << ' ';
  return out.str();
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream l(line);
    std::string cell;
    while (std::getline(l, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace

TEST_CASE(
    "end to end: config commands write the admin panel's rows by the daemon's rules, all or "
    "nothing") {
  TestDatabase db;
  const std::string yaml = yaml_with(db, true);
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto sql = db.site();
  const long long s = add_stream(*sql);
  add_viewer(*sql, s, "r1");
  const std::string sid = std::to_string(s);
  auto config = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {kBinary, "config"});
    args.insert(args.end(), {"-c", yaml});
    return run_command(args, out);
  };

  REQUIRE(config({"set", "--global", "min_fake_viewers=20", "max_fake_viewers=60",
                  "like_rate=2.5"}) == 0);
  CHECK_THAT(out, Catch::Contains("max_fake_viewers: 100 -> 60"));
  CHECK(global_value(*sql, "min_fake_viewers") == "20");
  CHECK(global_value(*sql, "max_fake_viewers") == "60");
  CHECK(global_value(*sql, "like_rate") == "2.5");
  // The audit row says who: the OS user and, on MariaDB, the account.
  CHECK(audit_count(*sql, "config_command", "%\"actor\":{\"os_user\":%") == 1);
  if (is_mysql()) CHECK(audit_count(*sql, "config_command", "%\"db_account\":\"%") == 1);
  // The global defaults are never changed by leaving --stream out.
  CHECK(config({"set", "like_rate=7"}) == 2);
  CHECK_THAT(out, Catch::Contains("needs --stream ID or --global"));
  CHECK(global_value(*sql, "like_rate") == "2.5");

  // Refused with the rule, and nothing of a refused command is written.
  CHECK(config({"set", "--global", "max_fake_viewers=5"}) == 1);
  CHECK_THAT(out, Catch::Contains("max_fake_viewers 5 < min_fake_viewers 20"));
  CHECK(config({"set", "--global", "min_fake_viewers=30", "max_fake_viewers=25"}) == 1);
  CHECK(global_value(*sql, "min_fake_viewers") == "20");
  CHECK(global_value(*sql, "max_fake_viewers") == "60");
  CHECK(config({"set", "--global", "engagement_multiplier=12"}) == 1);
  CHECK_THAT(out, Catch::Contains("engagement_multiplier 12 is outside 0.5..10"));
  CHECK(config({"set", "--global", "viewer_increase_rate=-1"}) == 1);
  CHECK_THAT(out, Catch::Contains("viewer_increase_rate -1 is outside"));
  CHECK(config({"set", "--global", "like_rate=lots"}) == 1);
  CHECK_THAT(out, Catch::Contains("like_rate: 'lots' is not a number"));
  CHECK(config({"set", "--global", "rtmp_url=x"}) == 1);
  CHECK_THAT(out, Catch::Contains("unknown setting 'rtmp_url'"));
  CHECK(config({"set", "--global", "fake_likes_enabled=2"}) == 1);
  CHECK(config({"set", "--stream", sid, "simulation_enabled=0"}) == 1);
  CHECK_THAT(out, Catch::Contains("use --global"));
  // The watch time is global only, within 0.5..600 minutes.
  REQUIRE(config({"set", "--global", "sim_watch_minutes=8"}) == 0);
  CHECK_THAT(out, Catch::Contains("sim_watch_minutes: not set -> 8"));
  CHECK(global_value(*sql, "sim_watch_minutes") == "8");
  CHECK(config({"set", "--global", "sim_watch_minutes=0.1"}) == 1);
  CHECK_THAT(out, Catch::Contains("sim_watch_minutes 0.1 is outside 0.5..600"));
  CHECK(config({"set", "--stream", sid, "sim_watch_minutes=8"}) == 1);
  CHECK_THAT(out, Catch::Contains("use --global"));
  REQUIRE(config({"show"}) == 0);
  CHECK_THAT(out, Catch::Contains("sim_watch_minutes       8  (every stream)"));
  CHECK(config({"set", "--stream", "9999", "like_rate=1"}) == 1);
  CHECK_THAT(out, Catch::Contains("no stream 9999"));
  CHECK(config({"set", "--global", "like_rate"}) == 2);
  CHECK(config({"apply-preset", "wild"}) == 2);
  CHECK(global_value(*sql, "like_rate") == "2.5");

  // A preset on one stream: the same row the admin panel writes.
  REQUIRE(config({"apply-preset", "conservative", "--stream", sid}) == 0);
  CHECK(stream_config(*sql, s) == "1 1 5 30 2 1 1 1.5 ");
  CHECK(config({"set", "--stream", sid, "engagement_multiplier=0.4"}) == 1);
  CHECK(stream_config(*sql, s) == "1 1 5 30 2 1 1 1.5 ");
  // A column that cannot hold the value refuses it instead of rounding it.
  const int fractional = config({"set", "--stream", sid, "like_rate=2.5"});
  if (is_mysql()) {
    CHECK(fractional == 1);  // like_rate is INT UNSIGNED in the site's schema
    CHECK_THAT(out, Catch::Contains("cannot hold"));
    CHECK(stream_config(*sql, s) == "1 1 5 30 2 1 1 1.5 ");
  } else {
    CHECK(fractional == 0);
    CHECK(stream_config(*sql, s) == "1 1 5 30 2 1 2.5 1.5 ");
  }
  REQUIRE(config({"show", "--stream", sid}) == 0);
  CHECK_THAT(out,
             Catch::Contains("min_fake_viewers        5") &&
                 Catch::Contains("per minute: 2 joins while below the target's natural band") &&
                 Catch::Contains("simulation (kill switch): ON"));
  // The audit trail has each command that changed something, and only those.
  CHECK(audit_count(*sql, "config_command") == (is_mysql() ? 3 : 4));
  CHECK(audit_count(*sql, "config_command", "%apply-preset conservative%") == 1);

  // The daemon uses what the commands wrote: the stream starts at [3, 5]
  // (conservative min 5), and the global kill switch turns it off.
  REQUIRE(run_command({kBinary, "run", "-c", yaml, "--duration", "500ms"}, out) == 0);
  const long long v = query_int(*sql, "SELECT sim_viewers FROM engagementd_stream_state");
  CHECK(v >= 3);
  CHECK(v <= 6);  // 5, plus at most one arrival in half a second (T/W = 5/8 a minute)
  REQUIRE(config({"set", "--global", "simulation_enabled=off"}) == 0);
  CHECK(global_value(*sql, "simulation_enabled") == "0");
  REQUIRE(config({"show"}) == 0);
  CHECK_THAT(out, Catch::Contains("simulation (kill switch): OFF"));
  REQUIRE(run_command({kBinary, "run", "-c", yaml, "--duration", "500ms"}, out) == 0);
  CHECK(streams_not_real_only(*sql) == 0);

  // An invalid row written by hand is shown as such.
  *sql << "UPDATE stream_engagement_config SET min_fake_viewers = 90 WHERE stream_id = " + sid;
  REQUIRE(config({"show", "--stream", sid}) == 0);
  CHECK_THAT(out, Catch::Contains("INVALID (max_fake_viewers 30 < min_fake_viewers 90)"));
}

TEST_CASE("end to end: report shows real and simulated apart per stream, as a table and CSV") {
  TestDatabase db;
  const std::string yaml = yaml_with(db, true);
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto sql = db.site();
  const long long a = add_stream(*sql);
  const long long b = add_stream(*sql);
  set_config(*sql, a, "1, 1, 10, 40, 60, 60, 60, 10");
  add_viewer(*sql, a, "s1");
  add_viewer(*sql, a, "s2");
  add_viewer(*sql, a, "s3", false, true);
  add_viewer(*sql, a, "fake", true);
  for (int i = 0; i < 3; ++i) add_interaction(*sql, a, "like");
  add_interaction(*sql, a, "like", true);
  REQUIRE(run_command({kBinary, "run", "-c", yaml, "--duration", "1s"}, out) == 0);
  *sql << "UPDATE live_streams SET status = 'ended', ended_at = " + now_sql() +
              " WHERE id = " + std::to_string(a);
  REQUIRE(run_command({kBinary, "run", "-c", yaml, "--duration", "500ms"}, out) == 0);
  REQUIRE(audit_count(*sql, "finalized") == 1);

  const int rc = run_command({kBinary, "report", "--csv", "-c", yaml}, out);
  INFO(out);
  REQUIRE(rc == 0);
  const auto rows = csv_rows(out);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][0] == "stream_id");
  REQUIRE(rows[0].size() == 13);
  REQUIRE(rows[1].size() == 13);
  REQUIRE(rows[2].size() == 13);
  const auto& ra = rows[1];
  CHECK(ra[0] == std::to_string(a));
  CHECK(ra[1] == "ended");
  CHECK(ra[4] == "2");   // real peak: two open sessions
  CHECK(ra[7] == "3");   // real viewers total: three distinct real sessions
  CHECK(ra[10] == "3");  // real likes
  const std::string sa = std::to_string(a);
  CHECK(ra[8] ==
        std::to_string(query_int(*sql,
                                 "SELECT sim_viewers_total FROM engagementd_stream_summary WHERE "
                                 "stream_id = " +
                                     sa)));
  CHECK(ra[11] ==
        std::to_string(query_int(
            *sql, "SELECT sim_likes FROM engagementd_stream_summary WHERE stream_id = " + sa)));
  // shown = what the site's row says after finalization.
  CHECK(ra[9] ==
        std::to_string(query_int(*sql, "SELECT viewer_count FROM live_streams WHERE id = " + sa)));
  CHECK(ra[12] ==
        std::to_string(query_int(*sql, "SELECT like_count FROM live_streams WHERE id = " + sa)));
  CHECK(ra[6] ==
        std::to_string(query_int(*sql, "SELECT max_viewers FROM live_streams WHERE id = " + sa)));
  // The simulated peak: at least its first sight (5..10, min 10); T = 20 is
  // within the natural band from there, reached in watch times, not seconds.
  CHECK(std::stoll(ra[5]) >= 5);
  const auto& rb = rows[2];
  CHECK(rb[0] == std::to_string(b));
  CHECK(rb[1] == "live");
  CHECK(rb[7] == "0");
  CHECK(rb[8] == std::to_string(query_int(
                     *sql, "SELECT sim_joins FROM engagementd_stream_state WHERE stream_id = " +
                               std::to_string(b))));

  // -c may also come before the command.
  std::string again;
  REQUIRE(run_command({kBinary, "-c", yaml, "report", "--csv"}, again) == 0);
  CHECK(csv_rows(again) == rows);
  REQUIRE(run_command({kBinary, "report", "--stream", sa, "-c", yaml}, out) == 0);
  CHECK_THAT(out, Catch::Contains("first simulated (UTC)") && Catch::Contains("ended") &&
                      Catch::Contains("1 stream(s)") && !Catch::Contains("live "));
  REQUIRE(run_command({kBinary, "report", "--since", "2099-01-01", "--csv", "-c", yaml}, out) == 0);
  CHECK(csv_rows(out).size() == 1);
  CHECK(run_command({kBinary, "report", "--since", "yesterday", "-c", yaml}, out) == 2);
  CHECK_THAT(out, Catch::Contains("is not a date"));
}

TEST_CASE("end to end: recount --check finds kept real counts that drifted, recount fixes them") {
  TestDatabase db;
  const std::string yaml = yaml_with(db, true);
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto sql = db.site();
  const long long a = add_stream(*sql);
  const long long b = add_stream(*sql);
  for (const long long id : {a, b}) {
    add_viewer(*sql, id, "s1");
    add_interaction(*sql, id, "like");
    add_interaction(*sql, id, "comment");
  }
  REQUIRE(run_command({kBinary, "run", "-c", yaml, "--duration", "500ms"}, out) == 0);
  CHECK(run_command({kBinary, "recount", "--check", "-c", yaml}, out) == 0);
  CHECK(out.find("2 stream(s) checked, 0 differ") != std::string::npos);

  // What a TRUNCATE or a bulk load without triggers leaves behind.
  const std::string sa = std::to_string(a);
  *sql << "UPDATE engagementd_real_counts SET likes = 99, viewers = 5 WHERE stream_id = " + sa;
  CHECK(run_command({kBinary, "recount", "--check", "-c", yaml}, out) == 1);
  INFO(out);
  CHECK(out.find("stream=" + sa +
                 " kept viewers=5 likes=99 dislikes=0 comments=1; counted "
                 "viewers=1 likes=1 dislikes=0 comments=1") != std::string::npos);
  CHECK(out.find("stream=" + std::to_string(b)) == std::string::npos);
  const std::string noted =
      "SELECT COUNT(*) FROM engagementd_stream_changes WHERE stream_id = " + sa;
  const long long noted_before = query_int(*sql, noted);
  CHECK(run_command({kBinary, "recount", "--stream", sa, "-c", yaml}, out) == 0);
  CHECK(out.find("1 stream(s) will be counted again") != std::string::npos);
  // Noted as changed, for a running daemon to read again.
  CHECK(query_int(*sql, noted) == noted_before + 1);
  // Recorded in the audit trail, with who ran it.
  CHECK(audit_count(*sql, "recount", "%\"actor\":{\"os_user\":%\"dropped\":1}") == 1);
  REQUIRE(run_command({kBinary, "run", "-c", yaml, "--duration", "500ms"}, out) == 0);
  CHECK(run_command({kBinary, "recount", "--check", "--stream", sa, "-c", yaml}, out) == 0);
  CHECK(query_int(*sql,
                  "SELECT like_count - (SELECT sim_likes FROM engagementd_stream_state "
                  "WHERE stream_id = " +
                      sa + ") FROM live_streams WHERE id = " + sa) == 1);
  CHECK(run_command({kBinary, "recount", "--stream", "x", "-c", yaml}, out) == 2);
  CHECK(run_command({kBinary, "recount", "--global", "-c", yaml}, out) == 2);
}
