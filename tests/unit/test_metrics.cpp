#include <catch2/catch.hpp>

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <sstream>

#include "service/metrics.hpp"
#include "store/db_errors.hpp"
#include "store/store.hpp"

using namespace engagementd;

namespace {

double value(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  FAIL("no series " << series);
  return 0;
}

}  // namespace

TEST_CASE("metrics render in the Prometheus text format, every series from the start") {
  Metrics m("1.2.3");
  const std::string empty = m.render();
  CHECK_THAT(empty, Catch::Contains("# TYPE engagementd_ticks_total counter\n"));
  CHECK_THAT(empty, Catch::Contains("# TYPE engagementd_tick_duration_seconds histogram\n"));
  CHECK(value(empty, "engagementd_build_info{version=\"1.2.3\"}") == 1);
  CHECK(value(empty, "engagementd_ticks_total{result=\"ok\"}") == 0);
  CHECK(value(empty, "engagementd_db_errors_total{kind=\"deadlock\"}") == 0);
  CHECK(value(empty, "engagementd_leader") == 0);
  CHECK(value(empty, "engagementd_last_successful_tick_timestamp_seconds") == 0);
  CHECK(empty.back() == '\n');
}

TEST_CASE("ticks move the counters and the duration histogram") {
  Metrics m("1");
  TickReport r;
  r.live = 3;
  r.displays_written = 2;
  r.states_written = 3;
  r.configs_created = 1;
  r.finalized = 1;
  const auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  m.tick_succeeded(r, 0.003, when);
  m.tick_succeeded(r, 0.2, when + std::chrono::seconds(5));
  m.tick_failed("connection");
  m.reconnected();
  m.set_leader(true);
  const std::string page = m.render();
  CHECK(value(page, "engagementd_ticks_total{result=\"ok\"}") == 2);
  CHECK(value(page, "engagementd_ticks_total{result=\"failed\"}") == 1);
  CHECK(value(page, "engagementd_tick_duration_seconds_bucket{le=\"0.005\"}") == 1);
  CHECK(value(page, "engagementd_tick_duration_seconds_bucket{le=\"0.1\"}") == 1);
  CHECK(value(page, "engagementd_tick_duration_seconds_bucket{le=\"0.25\"}") == 2);
  CHECK(value(page, "engagementd_tick_duration_seconds_bucket{le=\"+Inf\"}") == 2);
  CHECK(value(page, "engagementd_tick_duration_seconds_count") == 2);
  CHECK(value(page, "engagementd_tick_duration_seconds_sum") == Approx(0.203));
  CHECK(value(page, "engagementd_live_streams") == 3);
  CHECK(value(page, "engagementd_streams_simulated_total") == 6);
  CHECK(value(page, "engagementd_streams_finalized_total") == 2);
  CHECK(value(page, "engagementd_rows_written_total{table=\"live_streams\"}") == 6);
  CHECK(value(page, "engagementd_rows_written_total{table=\"stream_engagement_config\"}") == 2);
  CHECK(value(page, "engagementd_db_errors_total{kind=\"connection\"}") == 1);
  CHECK(value(page, "engagementd_db_reconnects_total") == 1);
  CHECK(value(page, "engagementd_leader") == 1);
  CHECK(value(page, "engagementd_last_successful_tick_timestamp_seconds") == 1'800'000'005);

  r.simulation_enabled = false;  // kill switch: streams seen, none simulated
  m.tick_succeeded(r, 0.001, when);
  CHECK(value(m.render(), "engagementd_streams_simulated") == 0);
  CHECK(value(m.render(), "engagementd_simulation_enabled") == 0);
  m.set_leader(false);
  CHECK(value(m.render(), "engagementd_leader") == 0);
}

TEST_CASE("database errors are counted by kind") {
  using namespace mysql_error;
  CHECK(error_label(SchemaError("old schema"), false) == "schema");
  CHECK(error_label(std::runtime_error("cannot connect to mysql x"), true) == "connect");
  CHECK(error_label(std::runtime_error("odd"), false) == "other");
  // SOCI's own errors (a value's conversion) are about the statement.
  CHECK(error_label(soci::soci_error("plain"), false) == "statement");
  CHECK(error_label(soci::mysql_soci_error("Deadlock found", kErLockDeadlock), false) ==
        "deadlock");
  CHECK(error_label(soci::mysql_soci_error("Lock wait timeout", kErLockWaitTimeout), false) ==
        "lock_timeout");
  CHECK(error_label(soci::mysql_soci_error("server has gone away", kCrServerGoneError), false) ==
        "connection");
  CHECK(error_label(soci::mysql_soci_error("server has gone away", kCrServerGoneError), true) ==
        "connect");
  CHECK(error_label(soci::mysql_soci_error("Table 'x' doesn't exist", kErNoSuchTable), false) ==
        "statement");
  CHECK(error_label(soci::mysql_soci_error("SELECT command denied", kErTableaccessDeniedError),
                    false) == "privilege");
  CHECK(error_label(soci::mysql_soci_error("Duplicate entry", kErDupEntry), false) == "constraint");
  CHECK(error_label(soci::sqlite3_soci_error("database is locked", sqlite_error::kSqliteBusy),
                    false) == "connection");
  CHECK(error_label(soci::sqlite3_soci_error("disk I/O error", 10), false) == "system");
}

TEST_CASE("one classifier tells a lost race, a statement and a lost connection apart") {
  using namespace mysql_error;
  // A deadlock, a lock wait timeout, a Galera certification failure (COMMIT
  // reports it without its number): a lost race, never the statement's fault.
  for (const soci::mysql_soci_error& e :
       {soci::mysql_soci_error("Deadlock found when trying to get lock", kErLockDeadlock),
        soci::mysql_soci_error("Lock wait timeout exceeded", kErLockWaitTimeout),
        soci::mysql_soci_error("Statement aborted because lock(s) could not be acquired",
                               kErLockNowait),
        soci::mysql_soci_error("WSREP detected deadlock/conflict and aborted the transaction",
                               0)}) {
    INFO(e.what());
    CHECK(is_database_error(e));
    CHECK(is_lost_race(e));
    CHECK_FALSE(is_statement_error(e));
  }
  // The connection or the server: neither a lost race nor the statement's.
  for (const int n : {kCrServerGoneError, kCrServerLost, kErConnectionKilled, kErServerShutdown,
                      kErReadOnlyMode, kErClientInteractionTimeout, 1158 /* ER_NET_READ_ERROR */}) {
    const soci::mysql_soci_error e("gone", n);
    INFO(n);
    CHECK(classify(e) == DbErrorKind::connection);
    CHECK_FALSE(is_lost_race(e));
    CHECK_FALSE(is_statement_error(e));
    CHECK(error_code(e) == n);
  }
  // The statement's: the same statement fails the same way on a new connection.
  for (const int n :
       {kErNoSuchTable, 1054 /* ER_BAD_FIELD_ERROR */, kErDupEntry, kErTableaccessDeniedError}) {
    INFO(n);
    CHECK(is_statement_error(soci::mysql_soci_error("bad", n)));
  }
  CHECK(is_statement_error(soci::sqlite3_soci_error("no such column", sqlite_error::kSqliteError)));
  CHECK(classify(soci::sqlite3_soci_error("database is locked", sqlite_error::kSqliteLocked)) ==
        DbErrorKind::connection);
  // Anything else is no database error at all.
  CHECK(classify(std::runtime_error("Deadlock found")) == DbErrorKind::none);
  CHECK_FALSE(is_database_error(std::logic_error("x")));
  CHECK(error_code(std::runtime_error("x")) == 0);
}

TEST_CASE("the series the shipped alerts and dashboard read follow the ticks") {
  Metrics m("1");
  const std::string start = m.render();
  CHECK(value(start, "engagementd_ticks_failing") == 0);
  CHECK(value(start, "engagementd_database_up") == 0);
  CHECK(value(start, "engagementd_shards") == 1);
  CHECK(value(start, "engagementd_shards_led") == 0);
  CHECK(value(start, "engagementd_streams_set_aside") == 0);
  CHECK(value(start, "engagementd_ticks_skipped_total") == 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(value(start, "process_start_time_seconds") == Approx(now).margin(60));

  m.set_tick_interval(std::chrono::milliseconds(2500));
  m.set_shards(4, 3);
  m.ticks_skipped(2);
  m.ticks_skipped(1);
  TickReport r;
  r.live = 5;
  r.set_aside = 2;
  r.read_ms = 30;
  r.step_ms = 5;
  r.write_ms = 15;
  r.real_viewers = 12;
  r.sim_viewers = 140;
  r.real_likes = 7;
  r.sim_likes = 900;
  const auto when = std::chrono::system_clock::now();
  m.tick_failed("connect");
  m.tick_failed("connection");
  CHECK(value(m.render(), "engagementd_ticks_failing") == 2);
  m.tick_succeeded(r, 0.05, when);
  m.tick_succeeded(r, 0.05, when);
  const std::string page = m.render();
  CHECK(value(page, "engagementd_ticks_failing") == 0);
  CHECK(value(page, "engagementd_database_up") == 1);
  CHECK(value(page, "engagementd_tick_interval_seconds") == 2.5);
  CHECK(value(page, "engagementd_shards") == 4);
  CHECK(value(page, "engagementd_shards_led") == 3);
  CHECK(value(page, "engagementd_ticks_skipped_total") == 3);
  CHECK(value(page, "engagementd_streams_set_aside") == 2);
  CHECK(value(page, "engagementd_tick_phase_seconds_total{phase=\"read\"}") == Approx(0.06));
  CHECK(value(page, "engagementd_tick_phase_seconds_total{phase=\"step\"}") == Approx(0.01));
  CHECK(value(page, "engagementd_tick_phase_seconds_total{phase=\"write\"}") == Approx(0.03));
  CHECK(value(page, "engagementd_viewers{source=\"real\"}") == 12);
  CHECK(value(page, "engagementd_viewers{source=\"simulated\"}") == 140);
  CHECK(value(page, "engagementd_likes{source=\"real\"}") == 7);
  CHECK(value(page, "engagementd_likes{source=\"simulated\"}") == 900);

  m.set_database_up(false);
  CHECK(value(m.render(), "engagementd_database_up") == 0);
}
