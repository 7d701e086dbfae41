// The daemon's life around the site: another writer of the display columns,
// the summary following the site's statuses and deletions, the schema
// checked at every tick (uninstall and migrate under a running daemon), and
// uninstall's refusal while an instance holds a fresh lease. On SQLite and
// on MariaDB.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "support/site.hpp"
#include "support/site_fixture.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;

// A logger writing into a file of the test's database directory.
struct LogFile {
  explicit LogFile(const std::string& path)
      : path(path),
        fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)),
        log(LogLevel::info, fd) {}
  ~LogFile() { ::close(fd); }
  std::string text() const { return read_file(path); }
  std::string path;
  int fd;
  Logger log;
};

std::string overwritten(long long id) {
  return "stream=" + std::to_string(id) + " display numbers changed by another writer";
}

}  // namespace

TEST_CASE_METHOD(SiteFixture,
                 "another writer of the display columns is named once per stream and episode, while "
                 "the daemon's own finalization, the kill switch and a new lease holder are not "
                 "taken for one") {
  const long long a = add_stream();
  const long long b = add_stream();
  add_viewer(a, "buyer");
  LogFile file(db.dir() + "/writer.log");
  TickEngine engine = make_engine(file.log, 5, std::string("host:1:first"));
  for (int i = 0; i < 3; ++i) engine.run(settings());
  CHECK(count_of(file.text(), "another writer") == 0);

  // The site's old code writes the live count itself (viewers.php join).
  *site << "UPDATE live_streams SET viewer_count = 999, max_viewers = 999 WHERE id = " +
               std::to_string(a);
  engine.run(settings());
  const std::string first = file.text();
  INFO(first);
  CHECK(count_of(first, overwritten(a)) == 1);
  CHECK_THAT(first, Catch::Contains("-> 999"));
  CHECK(count_of(first, overwritten(b)) == 0);
  // The engine wrote its own numbers back; the other writer goes on: the
  // same episode, not said again.
  CHECK(display(a).viewers != 999);
  *site << "UPDATE live_streams SET like_count = 12345 WHERE id = " + std::to_string(a);
  engine.run(settings());
  CHECK(count_of(file.text(), overwritten(a)) == 1);

  // The kill switch: the engine's own change of every number.
  engine.run(settings(false));
  engine.run(settings(true));
  // b ends (finalized: the engine writes its final numbers) and is live again.
  end_stream(b);
  engine.run(settings());
  *site << "UPDATE live_streams SET status = 'live' WHERE id = " + std::to_string(b);
  engine.run(settings());
  engine.run(settings());
  CHECK(count_of(file.text(), "another writer") == 1);

  // A new holder after a release: what the old one left proves nothing to it.
  engine.release();
  TickEngine next = make_engine(file.log, 6, std::string("host:2:second"));
  *site << "UPDATE live_streams SET viewer_count = 777 WHERE id = " + std::to_string(b);
  next.run(settings());
  next.run(settings());
  const std::string last = file.text();
  INFO(last);
  CHECK(count_of(last, "another writer") == 1);
  CHECK(count_of(last, overwritten(b)) == 0);
}

TEST_CASE_METHOD(SiteFixture,
                 "the summary follows the site: a status set after the finalization, a stream "
                 "deleted outright, and the state row of a deleted stream goes after a week") {
  const long long kept = add_stream();
  const long long gone = add_stream();
  const long long live = add_stream();
  TickSettings s = settings();
  s.summary_sweep = std::chrono::milliseconds(0);  // every tick
  TickEngine engine = make_engine(9);
  engine.run(s);
  *site << "UPDATE live_streams SET status = 'archived', ended_at = " + db.now_sql() +
               " WHERE id = " + std::to_string(kept);
  end_stream(gone);
  engine.run(s);
  const auto summary_status = [&](long long id) {
    std::string status;
    *site << "SELECT final_status FROM engagementd_stream_summary WHERE stream_id = " +
                 std::to_string(id),
        soci::into(status);
    return status;
  };
  REQUIRE(summary_status(kept) == "archived");
  REQUIRE(summary_status(gone) == "ended");

  // The site's delete.php: the archived stream becomes 'ended'; another
  // stream's row is deleted outright.
  *site << "UPDATE live_streams SET status = 'ended' WHERE id = " + std::to_string(kept);
  *site << "DELETE FROM live_streams WHERE id = " + std::to_string(gone);
  // The sweep goes through the rows in ranges and starts again at the end.
  engine.run(s);
  engine.run(s);
  CHECK(summary_status(kept) == "ended");
  CHECK(summary_status(gone) == "deleted");
  const auto state_rows = [&](long long id) {
    return query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state WHERE stream_id = " +
                                std::to_string(id));
  };
  CHECK(state_rows(gone) == 1);  // within the week
  CHECK(state_rows(live) == 1);
  *site << "UPDATE engagementd_stream_state SET finalized_ms = finalized_ms - 8 * 86400000"
           " WHERE stream_id IN (" +
               std::to_string(gone) + ", " + std::to_string(kept) + ")";
  engine.run(s);
  engine.run(s);
  CHECK(state_rows(gone) == 0);
  CHECK(summary_status(gone) == "deleted");  // the record stays
  CHECK(state_rows(kept) == 1);              // its stream is still there
  CHECK(state_rows(live) == 1);
  CHECK(summary_status(live).empty());  // still live: no summary
}

TEST_CASE(
    "end to end: uninstall refuses while a daemon holds a fresh lease, and with --force the "
    "daemon stands by, saying why once, and ticks again after migrate") {
  TestDatabase db;
  const std::string yaml =
      db.write_yaml("tick:\n  interval: 200ms\nsimulation:\n  seed: 7\n  real_viewer_ttl: 10s\n");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto sql = db.site();
  const long long id = site::add_stream(*sql);
  site::add_viewer(*sql, id, "buyer");
  site::add_interaction(*sql, id, "like");

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log");
  // The daemon's log says it `times` times (soon); shown when it does not.
  const auto log_says = [&](const std::string& text, std::size_t times) {
    const bool said = eventually([&] { return count_of(daemon.log(), text) == times; });
    if (!said) FAIL_CHECK(daemon.log());
    return said;
  };
  REQUIRE(eventually([&] {
    return query_int(*sql, "SELECT includes_simulated FROM live_streams WHERE id = " +
                               std::to_string(id)) == 1;
  }));
  // The TTL below twice the kit's poll interval: said at start.
  CHECK(count_of(daemon.log(), "simulation.real_viewer_ttl is 10s, below twice") == 1);

  CHECK(run_command({kBinary, "uninstall", "--yes", "-c", yaml}, out) == 1);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("an engagementd is running on this database") &&
                      Catch::Contains("holds the lease of shard 0") &&
                      Catch::Contains("--force goes on anyway, at a risk"));
  CHECK(query_int(*sql, "SELECT COUNT(*) FROM engagementd_schema_version") > 0);

  REQUIRE(run_command({kBinary, "uninstall", "--yes", "--force", "-c", yaml}, out) == 0);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("warning: --force"));
  CHECK_THAT(out, Catch::Contains("1 live stream(s) now show their real numbers"));
  const std::string gone = "engagementd's tables are gone";
  REQUIRE(log_says(gone, 1));
  // The real numbers stay: the daemon writes nothing while it stands by.
  std::this_thread::sleep_for(800ms);
  CHECK(query_int(*sql, "SELECT viewer_count FROM live_streams WHERE id = " + std::to_string(id)) ==
        1);
  CHECK(query_int(*sql, "SELECT like_count FROM live_streams WHERE id = " + std::to_string(id)) ==
        1);
  CHECK(query_int(*sql, "SELECT includes_simulated FROM live_streams WHERE id = " +
                            std::to_string(id)) == 0);
  CHECK(count_of(daemon.log(), gone) == 1);  // once

  // Migrated again (pending while it runs: said once, "older"), then ticking.
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  REQUIRE(log_says("ticking again", 1));
  REQUIRE(eventually([&] {
    return query_int(*sql, "SELECT includes_simulated FROM live_streams WHERE id = " +
                               std::to_string(id)) == 1;
  }));

  // A migration pending (as while migrate runs: the last version not yet
  // recorded), and a newer schema.
  const long long latest = query_int(*sql, "SELECT MAX(version) FROM engagementd_schema_version");
  std::string name;
  *sql << "SELECT name FROM engagementd_schema_version WHERE version = " + std::to_string(latest),
      soci::into(name);
  // (migrate above may have been seen half-way: "pending" said already.)
  const std::size_t pending = count_of(daemon.log(), "a migration is pending");
  *sql << "DELETE FROM engagementd_schema_version WHERE version = " + std::to_string(latest);
  REQUIRE(log_says("a migration is pending", pending + 1));
  *sql << "INSERT INTO engagementd_schema_version (version, name) VALUES (" +
              std::to_string(latest) + ", '" + name + "')";
  REQUIRE(log_says("ticking again", 2));
  *sql << "INSERT INTO engagementd_schema_version (version, name) VALUES (99, '099_future')";
  REQUIRE(log_says("newer than this engagementd's", 1));
  *sql << "DELETE FROM engagementd_schema_version WHERE version = 99";
  REQUIRE(log_says("ticking again", 3));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == std::optional<int>(0));
  const std::string log = daemon.log();
  INFO(log);
  CHECK(count_of(log, "tick failed") == 0);
  // Once per reason each time: gone, pending (during migrate, perhaps), newer.
  CHECK(count_of(log, "standing by, writing nothing") == 3 + pending);
}

namespace {

// The account schema/mysql/grants.sql makes (as 'engagementd_lp'@'127.0.0.1'),
// and a config for it beside `admin_yaml`'s.
std::string grants_sql_account(const TestDatabase& db, soci::session& admin,
                               const std::string& admin_yaml) {
  std::string grants = read_file(std::string(ENGAGEMENTD_SOURCE_DIR) + "/schema/mysql/grants.sql");
  const std::string account = "'engagementd'@'localhost'";
  const std::string test_account = "'engagementd_lp'@'127.0.0.1'";
  for (auto at = grants.find(account); at != std::string::npos; at = grants.find(account, at)) {
    grants.replace(at, account.size(), test_account);
  }
  admin << "DROP USER IF EXISTS " + test_account;
  admin << "CREATE USER " + test_account + " IDENTIFIED BY 'lp-secret'";
  std::string statement;
  std::istringstream lines(grants);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("--", 0) == 0) continue;
    statement += line + "\n";
    if (!line.empty() && line.back() == ';') {
      admin << statement;
      statement.clear();
    }
  }
  const std::string pw = db.dir() + "/lp-password";
  std::ofstream(pw) << "lp-secret\n";
  ::chmod(pw.c_str(), 0600);
  std::string text = read_file(admin_yaml);
  const std::string user = "user: " + db.config().user;
  text.replace(text.find(user), user.size(), "user: engagementd_lp");
  const std::string file = "password_file: ";
  text.replace(text.find(file), file.size(), "password_file: " + pw + "\n  # was: ");
  const std::string yaml = db.dir() + "/lp.yaml";
  std::ofstream(yaml) << text;
  return yaml;
}

}  // namespace

TEST_CASE(
    "doctor as the grants.sql account names every check it skips and the privilege each "
    "needs, and never says fine, and run logs the same once",
    "[mysql-only]") {
  TestDatabase db;
  const std::string admin_yaml = db.write_yaml("tick:\n  interval: 200ms\n");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", admin_yaml}, out) == 0);
  auto sql = db.site();
  site::add_stream(*sql);
  const std::string yaml = grants_sql_account(db, *sql, admin_yaml);

  const int rc = run_command({kBinary, "doctor", "-c", yaml}, out);
  INFO(out);
  CHECK(rc == 3);
  CHECK(count_of(out, "Null value fetched") == 0);
  CHECK(count_of(out, "engagementd can work on this database\n") == 0);
  CHECK_THAT(out, Catch::Contains("as far as this account can see, but 3 check(s) were skipped"));
  CHECK_THAT(out, Catch::Contains("skipped: engagementd's triggers") &&
                      Catch::Contains("needs the TRIGGER privilege on stream_viewers"));
  CHECK_THAT(out, Catch::Contains("skipped: is_fake = 1 interactions") &&
                      Catch::Contains("needs SELECT (created_at) on stream_interactions"));
  CHECK_THAT(out, Catch::Contains("skipped: the migration lock") &&
                      Catch::Contains("needs SELECT on engagementd_migration_lock"));
  // Every check it can run still runs.
  CHECK_THAT(out, Catch::Contains("ok: schema version"));
  CHECK_THAT(out, Catch::Contains("ok: table live_streams: every column"));
  CHECK_THAT(out, Catch::Contains("ok: heartbeat column"));

  // A problem the account can see is still a problem (exit 1), skips or not.
  *sql << "RENAME TABLE engagementd_real_deltas TO engagementd_real_deltas_away";
  CHECK(run_command({kBinary, "doctor", "-c", yaml}, out) == 1);
  CHECK_THAT(out, Catch::Contains("PROBLEM: engagementd_real_deltas is missing"));
  *sql << "RENAME TABLE engagementd_real_deltas_away TO engagementd_real_deltas";

  // The administrator's doctor runs them all.
  CHECK(run_command({kBinary, "doctor", "-c", admin_yaml}, out) == 0);
  CHECK(count_of(out, "skipped:") == 0);
  CHECK_THAT(out, Catch::Contains("engagementd can work on this database\n"));

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/lp-run.log");
  REQUIRE(eventually([&] { return count_of(daemon.log(), "tick live=1") >= 2; }));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == std::optional<int>(0));
  const std::string log = daemon.log();
  INFO(log);
  CHECK(count_of(log, "Null value fetched") == 0);
  CHECK(count_of(log, "doctor: skipped: ") == 3);
}

TEST_CASE(
    "check-config and doctor warn of a real_viewer_ttl below twice the kit's poll "
    "interval") {
  TestDatabase db;
  std::string out;
  const std::string low = db.write_yaml("simulation:\n  real_viewer_ttl: 20s\n");
  REQUIRE(run_command({kBinary, "migrate", "-c", low}, out) == 0);
  CHECK(run_command({kBinary, "check-config", "-c", low}, out) == 0);
  CHECK_THAT(out, Catch::Contains("warning: simulation.real_viewer_ttl is 20s, below twice the "
                                  "PHP kit's poll interval") &&
                      Catch::Contains("use at least 30s"));
  run_command({kBinary, "doctor", "-c", low}, out);
  CHECK_THAT(out, Catch::Contains("warning: simulation.real_viewer_ttl is 20s"));
  const std::string fine = db.write_yaml("simulation:\n  real_viewer_ttl: 30s\n");
  CHECK(run_command({kBinary, "check-config", "-c", fine}, out) == 0);
  CHECK(count_of(out, "real_viewer_ttl") == 0);
}
