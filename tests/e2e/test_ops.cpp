// Operations, end to end with the real binary: the systemd notify protocol,
// SIGHUP reload, the metrics and health endpoints, and what the log may say.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <soci/mysql/soci-mysql.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "support/test_db.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;
const std::string kSourceDir = ENGAGEMENTD_SOURCE_DIR;

// Replaces a file the way an editor or a config tool should: atomically, so
// a reload never reads half a file.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, path);
}

std::string base_yaml(const TestDatabase& db) {
  return read_file(db.write_yaml(""));
}

// A datagram socket the test owns, as systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof sa.sun_path);
    std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

  // Receives what arrives within `wait`; each datagram split into its lines.
  void receive(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::istringstream lines(std::string(buf, static_cast<std::size_t>(n)));
      for (std::string line; std::getline(lines, line);) messages.push_back(line);
    }
  }
  // Index of the first message starting with `prefix` at or after `from`; -1 if none.
  long find(const std::string& prefix, long from = 0) const {
    for (std::size_t i = static_cast<std::size_t>(from); i < messages.size(); ++i) {
      if (messages[i].rfind(prefix, 0) == 0) return static_cast<long>(i);
    }
    return -1;
  }

  std::vector<std::string> messages;

 private:
  std::string path_;
  int fd_ = -1;
};

struct HttpResult {
  int status = 0;
  std::string body;
};

// GET with curl, a real HTTP client.
HttpResult http_get(const std::string& url, const std::string& dir) {
  const std::string body_file = dir + "/http-body";
  std::string out;
  const int rc = run_command(
      {"curl", "-sS", "--max-time", "10", "-o", body_file, "-w", "%{http_code}", url}, out);
  HttpResult r;
  if (rc != 0) {
    r.body = out;
    return r;
  }
  r.status = std::stoi(out.substr(out.size() >= 3 ? out.size() - 3 : 0));
  r.body = read_file(body_file);
  return r;
}

// The value of one sample line ("name{labels} value") in a Prometheus text page.
double metric(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  FAIL("no series " << series << " in:\n" << page);
  return 0;
}

// "metrics listening on http://127.0.0.1:PORT/metrics" from the daemon's log.
std::string metrics_base(const Child& daemon) {
  std::string base;
  eventually([&] {
    std::smatch m;
    const std::string log = daemon.log();
    if (!std::regex_search(log, m, std::regex("metrics listening on (http://[^/ ]+)/metrics")))
      return false;
    base = m[1];
    return true;
  });
  return base;
}

std::vector<std::string> lines_after(const std::string& log, const std::string& marker) {
  std::vector<std::string> out;
  const auto at = log.find(marker);
  if (at == std::string::npos) return out;
  std::istringstream lines(log.substr(at));
  std::string line;
  std::getline(lines, line);  // the marker's own line
  while (std::getline(lines, line)) out.push_back(line);
  return out;
}

long long count_lines(const std::vector<std::string>& lines, const std::string& needle) {
  long long n = 0;
  for (const auto& l : lines) n += l.find(needle) != std::string::npos;
  return n;
}

void add_live_stream(soci::session& site, const TestDatabase& db, const std::string& key = "") {
  site << "INSERT INTO live_streams (vendor_id, title, status, started_at" +
              std::string(key.empty() ? "" : ", stream_key") + ") VALUES (1, 'Live', 'live', " +
              db.now_sql() + (key.empty() ? "" : ", '" + key + "'") + ")";
}

}  // namespace

TEST_CASE("systemd notify: READY, STATUS, WATCHDOG, RELOADING, READY, STOPPING in order") {
  TestDatabase db;
  const std::string yaml = db.write_yaml("tick:\n  interval: 200ms\n");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  NotifySocket notify(db.dir() + "/notify.sock");
  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log",
               {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=400000"});

  // Wait for a tick's STATUS and a watchdog ping, then reload, then stop.
  REQUIRE(eventually([&] {
    notify.receive(100ms);
    return notify.find("STATUS=tick ") >= 0 && notify.find("WATCHDOG=1") >= 0;
  }));
  daemon.signal(SIGHUP);
  REQUIRE(eventually([&] {
    notify.receive(100ms);
    const long reloading = notify.find("RELOADING=1");
    return reloading >= 0 && notify.find("READY=1", reloading) >= 0;
  }));
  daemon.signal(SIGTERM);
  const auto code = daemon.wait(15s);
  notify.receive(200ms);
  INFO(daemon.log());
  std::string all;
  for (const auto& m : notify.messages) all += m + "\n";
  INFO("notifications:\n" << all);
  REQUIRE(code.has_value());
  CHECK(*code == 0);

  const long ready = notify.find("READY=1");
  const long status = notify.find("STATUS=tick ", ready);
  const long watchdog = notify.find("WATCHDOG=1", status);
  const long reloading = notify.find("RELOADING=1", watchdog);
  const long ready_again = notify.find("READY=1", reloading);
  const long stopping = notify.find("STOPPING=1", ready_again);
  CHECK(ready == 0);  // nothing before READY=1 but what comes with it
  CHECK(status > ready);
  CHECK(watchdog > status);
  CHECK(reloading > watchdog);
  CHECK(ready_again > reloading);
  CHECK(stopping > ready_again);
  // The status line summarizes the tick: streams and milliseconds.
  CHECK(std::regex_search(all, std::regex("STATUS=tick [0-9]+: 0 live streams, [0-9.]+ ms")));

  // Without WATCHDOG_USEC there are no pings.
  NotifySocket quiet(db.dir() + "/quiet.sock");
  Child plain({kBinary, "run", "-c", yaml, "--duration", "1s"}, db.dir() + "/plain.log",
              {"NOTIFY_SOCKET=" + quiet.path(), "WATCHDOG_USEC="});
  REQUIRE(plain.wait(15s) == std::optional<int>(0));
  quiet.receive(100ms);
  CHECK(quiet.find("READY=1") == 0);
  CHECK(quiet.find("STOPPING=1") > 0);
  CHECK(quiet.find("WATCHDOG=1") == -1);
}

TEST_CASE("systemd notify: no READY=1 when the database check fails") {
  TestDatabase db;  // not migrated: the schema check fails
  const std::string yaml = db.write_yaml("tick:\n  interval: 200ms\n");
  NotifySocket notify(db.dir() + "/notify.sock");
  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log",
               {"NOTIFY_SOCKET=" + notify.path()});
  CHECK(daemon.wait(30s) == std::optional<int>(1));
  notify.receive(100ms);
  CHECK(notify.find("READY=1") == -1);
  CHECK(notify.find("STATUS=cannot start") >= 0);
}

TEST_CASE("reload: a valid file is applied at the next tick, a bad one is rejected") {
  TestDatabase db;
  const std::string base = base_yaml(db);
  const std::string yaml = db.dir() + "/engagementd.yaml";
  write_atomically(yaml, base + "tick:\n  interval: 200ms\nlog:\n  level: info\n");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto site = db.site();
  add_live_stream(*site, db);
  const long long id = query_int(*site, "SELECT MAX(id) FROM live_streams");

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log");
  REQUIRE(eventually(
      [&] { return count_lines(lines_after(daemon.log(), "started"), "tick live=1") >= 2; }));
  CHECK(count_lines(lines_after(daemon.log(), "started"), "debug: stream=") == 0);
  CHECK(query_int(*site, "SELECT viewer_count FROM live_streams WHERE id = " + std::to_string(id)) >
        0);  // simulated viewers on

  // A valid file: kill switch off, debug logging, a longer tick.
  write_atomically(yaml, base +
                             "tick:\n  interval: 700ms\nsimulation:\n  enabled: false\n"
                             "log:\n  level: debug\n");
  daemon.signal(SIGHUP);
  REQUIRE(eventually([&] {
    const auto after = lines_after(daemon.log(), "configuration reloaded");
    return count_lines(after, "tick live=1") >= 3;
  }));
  {
    const std::string log = daemon.log();
    INFO(log);
    CHECK_THAT(log, Catch::Contains("configuration reloaded from " + yaml +
                                    ": tick 700ms, simulation off, log level debug"));
    const auto after = lines_after(log, "configuration reloaded");
    CHECK(count_lines(after, "simulation=off") >= 3);
    CHECK(count_lines(after, "debug: stream=" + std::to_string(id)) >= 3);
    // The new interval: ticks keep to fixed slots 700 ms apart (a late tick
    // does not make the next one early), so n ticks after the reload span at
    // least (n - 2) x 700 ms; at the old 200 ms they would come 3.5 x as often.
    const std::regex stamp(R"(T\d\d:(\d\d):(\d\d\.\d\d\d)Z )");
    const auto seconds = [&](const std::string& line) {
      std::smatch m;
      REQUIRE(std::regex_search(line, m, stamp));
      return std::stod(m[1]) * 60 + std::stod(m[2]);
    };
    std::string reload_line;
    for (std::istringstream in(log); std::getline(in, reload_line);) {
      if (reload_line.find("configuration reloaded") != std::string::npos) break;
    }
    const double t0 = seconds(reload_line);
    double last = t0;
    int ticks = 0;
    for (const auto& l : after) {
      if (l.find("info: tick live=") == std::string::npos) continue;
      ++ticks;
      last = seconds(l);
    }
    double span = last - t0;
    if (span < 0) span += 3600;  // the minute field wrapped at the hour
    INFO("ticks after the reload: " << ticks << " in " << span << " s");
    REQUIRE(ticks >= 3);
    CHECK((ticks - 2) * 0.7 <= span + 0.05);
  }
  // Display = real only within a tick of the kill switch (no real viewers here).
  CHECK(eventually([&] {
    return query_int(*site,
                     "SELECT viewer_count FROM live_streams WHERE id = " + std::to_string(id)) == 0;
  }));

  // A bad file: named with file:line, and the running configuration stays.
  write_atomically(yaml, base +
                             "tick:\n  interval: 5 seconds\nsimulation:\n  enabled: true\n"
                             "log:\n  level: info\n");
  daemon.signal(SIGHUP);
  REQUIRE(eventually([&] {
    return count_lines(lines_after(daemon.log(), "keeping the current configuration"),
                       "tick live=1") >= 2;
  }));
  {
    const std::string log = daemon.log();
    INFO(log);
    CHECK(std::regex_search(
        log, std::regex("reload failed: " + yaml + ":[0-9]+:[0-9]+: tick.interval:")));
    const auto after = lines_after(log, "keeping the current configuration");
    CHECK(count_lines(after, "simulation=off") == count_lines(after, "tick live=1"));
    CHECK(count_lines(after, "debug: stream=") >= 2);
  }

  // Database settings cannot change live: reported, and the daemon stays on its database.
  std::string other = base;
  if (is_mysql()) {
    other = std::regex_replace(other, std::regex("name: (\\S+)"), "name: $1_elsewhere");
  } else {
    other = std::regex_replace(other, std::regex("path: (\\S+)"), "path: $1.elsewhere");
  }
  write_atomically(yaml, other + "tick:\n  interval: 200ms\nsimulation:\n  enabled: false\n");
  daemon.signal(SIGHUP);
  REQUIRE(eventually(
      [&] { return count_lines(lines_after(daemon.log(), "needs restart"), "tick live=1") >= 2; }));
  CHECK_THAT(daemon.log(), Catch::Contains(is_mysql() ? "database.name changed: needs restart"
                                                      : "database.path changed: needs restart"));
  CHECK_THAT(daemon.log(), !Catch::Contains("err="));  // still ticking on its database

  daemon.signal(SIGTERM);
  CHECK(daemon.wait(15s) == std::optional<int>(0));
}

TEST_CASE("metrics: /metrics counters move with ticks, /healthz is ok while ticks succeed") {
  TestDatabase db;
  const std::string yaml =
      db.write_yaml("tick:\n  interval: 200ms\nmetrics:\n  enabled: true\n  port: 0\n");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto site = db.site();
  add_live_stream(*site, db);
  add_live_stream(*site, db);

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/run.log");
  const std::string base = metrics_base(daemon);
  INFO(daemon.log());
  REQUIRE_THAT(base, Catch::StartsWith("http://127.0.0.1:"));  // loopback by default

  HttpResult first;
  REQUIRE(eventually([&] {
    first = http_get(base + "/metrics", db.dir());
    return first.status == 200 &&
           first.body.find("engagementd_ticks_total{result=\"ok\"} 0\n") == std::string::npos;
  }));
  const double ticks1 = metric(first.body, "engagementd_ticks_total{result=\"ok\"}");
  CHECK(metric(first.body, "engagementd_leader") == 1);
  CHECK(metric(first.body, "engagementd_live_streams") == 2);
  CHECK(metric(first.body, "engagementd_streams_simulated") == 2);
  CHECK(metric(first.body, "engagementd_rows_written_total{table=\"stream_engagement_config\"}") ==
        2);
  CHECK(metric(first.body, "engagementd_rows_written_total{table=\"live_streams\"}") >= 2);
  CHECK(metric(first.body, "engagementd_tick_duration_seconds_count") == ticks1);
  CHECK(metric(first.body, "engagementd_tick_duration_seconds_bucket{le=\"+Inf\"}") == ticks1);
  CHECK(metric(first.body, "engagementd_last_successful_tick_timestamp_seconds") > 1.7e9);

  // Later scrapes see more ticks, more streams simulated, a later last tick.
  HttpResult second;
  REQUIRE(eventually([&] {
    second = http_get(base + "/metrics", db.dir());
    return second.status == 200 &&
           metric(second.body, "engagementd_ticks_total{result=\"ok\"}") >= ticks1 + 3;
  }));
  CHECK(metric(second.body, "engagementd_streams_simulated_total") >
        metric(first.body, "engagementd_streams_simulated_total"));
  CHECK(metric(second.body, "engagementd_tick_duration_seconds_sum") >
        metric(first.body, "engagementd_tick_duration_seconds_sum"));
  CHECK(metric(second.body, "engagementd_last_successful_tick_timestamp_seconds") >
        metric(first.body, "engagementd_last_successful_tick_timestamp_seconds"));
  CHECK(metric(second.body, "engagementd_ticks_total{result=\"failed\"}") == 0);

  // A stream ends: finalized once, counted.
  *site << "UPDATE live_streams SET status = 'ended' WHERE id = (SELECT MIN(id) FROM (SELECT id "
           "FROM live_streams) AS t)";
  CHECK(eventually([&] {
    const HttpResult r = http_get(base + "/metrics", db.dir());
    return r.status == 200 && metric(r.body, "engagementd_streams_finalized_total") == 1 &&
           metric(r.body, "engagementd_rows_written_total{table=\"engagementd_stream_summary\"}") ==
               1 &&
           metric(r.body, "engagementd_live_streams") == 1;
  }));

  const HttpResult health = http_get(base + "/healthz", db.dir());
  CHECK(health.status == 200);
  CHECK_THAT(health.body, Catch::StartsWith("ok"));

  // 40 idle connections (more than the server keeps open) do not keep a
  // health check out: the oldest make room.
  {
    const auto colon = base.rfind(':');
    const int port = std::stoi(base.substr(colon + 1));
    std::vector<int> idle;
    for (int i = 0; i < 40; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      REQUIRE(fd >= 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<std::uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
      idle.push_back(fd);
    }
    const auto asked = std::chrono::steady_clock::now();
    const HttpResult held = http_get(base + "/healthz", db.dir());
    const auto took = std::chrono::steady_clock::now() - asked;
    CHECK(held.status == 200);
    CHECK(took < 2s);
    for (const int fd : idle) ::close(fd);
  }
  CHECK(http_get(base + "/nothing-here", db.dir()).status == 404);
  std::string head;
  REQUIRE(run_command({"curl", "-sS", "-I", "--max-time", "10", base + "/metrics"}, head) == 0);
  CHECK_THAT(head, Catch::Contains("200 OK") && Catch::Contains("text/plain; version=0.0.4"));

  daemon.signal(SIGTERM);
  CHECK(daemon.wait(15s) == std::optional<int>(0));
}

TEST_CASE("logs name streams by id, never by stream key, and never show the password") {
  TestDatabase db;
  const std::string yaml = db.write_yaml("tick:\n  interval: 200ms\nlog:\n  level: debug\n");
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  auto site = db.site();
  add_live_stream(*site, db, "sk_canary_5f1e9c");
  *site << "INSERT INTO stream_engagement_config (stream_id, min_fake_viewers, max_fake_viewers) "
           "VALUES ((SELECT MAX(id) FROM live_streams), 50, 10)";  // invalid: logged once
  Child daemon({kBinary, "run", "-c", yaml, "--duration", "1500ms"}, db.dir() + "/run.log");
  REQUIRE(daemon.wait(20s) == std::optional<int>(0));
  const std::string log = daemon.log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("debug: stream=") && Catch::Contains("tick_ms="));
  CHECK_THAT(log, !Catch::Contains("sk_canary"));
  CHECK(count_lines(lines_after("\n" + log, "\n"), "invalid stream_engagement_config") == 1);
  // Every line: "<N>", a UTC timestamp (stderr is not the journal here), the
  // level, the message; a tick line is key=value fields.
  std::istringstream lines(log);
  int tick_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    CHECK(std::regex_match(line, std::regex(R"(<[3-7]>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )"
                                            R"((error|warning|notice|info|debug): \S.*)")));
    if (line.find("info: tick live=") == std::string::npos) continue;
    ++tick_lines;
    CHECK(std::regex_search(
        line, std::regex(R"(<6>\S+ info: tick live=1 displays_written=\d+ )"
                         R"(states_written=\d+ configs_created=0 finalized=0 )"
                         R"(read=(changes|whole) read_ms=[\d.]+ step_ms=[\d.]+ write_ms=[\d.]+ )"
                         R"(tick_ms=[\d.]+$)")));
  }
  CHECK(tick_lines >= 3);

  // Under journald (JOURNAL_STREAM names the daemon's stderr): no timestamp,
  // the journal adds its own; the "<N>" prefix gives the priority.
  const std::string journal_log = db.dir() + "/journal.log";
  std::ofstream(journal_log).close();
  struct stat st {};
  REQUIRE(::stat(journal_log.c_str(), &st) == 0);
  Child journal({kBinary, "run", "-c", yaml, "--duration", "1s"}, journal_log,
                {"JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)});
  REQUIRE(journal.wait(20s) == std::optional<int>(0));
  std::istringstream journal_lines(journal.log());
  int journal_ticks = 0;
  for (std::string line; std::getline(journal_lines, line);) {
    CHECK(std::regex_match(line, std::regex(R"(<[3-7]>[a-z].*)")));
    journal_ticks += std::regex_match(line, std::regex(R"(<6>tick live=1 .* tick_ms=[\d.]+)"));
  }
  CHECK(journal_ticks >= 2);

  if (is_mysql()) {
    // A wrong password: the error names the database, not the password.
    const std::string pw_file = db.dir() + "/wrong-password";
    std::ofstream(pw_file) << "pw_canary_3b7d\n";
    const std::string wrong = std::regex_replace(base_yaml(db), std::regex("password_file: \\S+"),
                                                 "password_file: " + pw_file);
    write_atomically(db.dir() + "/wrong.yaml", wrong);
    CHECK(run_command({kBinary, "run", "-c", db.dir() + "/wrong.yaml"}, out) == 1);
    CHECK_THAT(out, Catch::Contains("cannot connect") && !Catch::Contains("pw_canary"));
  }
}

namespace {

// A MariaDB server of this test's own, started and stopped (by its PID) with
// scripts/mariadb-test.sh.
class PrivateMariaDb {
 public:
  explicit PrivateMariaDb(std::string dir) : dir_(std::move(dir)) {
    std::string out;
    const int rc =
        run_command({"bash", kSourceDir + "/scripts/mariadb-test.sh", "start", dir_}, out);
    INFO(out);
    REQUIRE(rc == 0);
    std::ifstream(dir_ + "/port") >> port_;
    REQUIRE(port_ > 0);
  }
  ~PrivateMariaDb() { stop(); }
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    std::string out;
    run_command({"bash", kSourceDir + "/scripts/mariadb-test.sh", "stop", dir_}, out);
  }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace

TEST_CASE("healthz: unhealthy when the database is stopped", "[mysql-only]") {
  char tmpl[] = "/tmp/engagementd-health-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};
  PrivateMariaDb server(dir + "/mariadb");
  // A name no other server on this machine has, in case the port is reused.
  const std::string name = "engagementd_health_" + std::to_string(getpid());
  {
    soci::session admin(soci::mysql,
                        "db=mysql host=127.0.0.1 port=" + std::to_string(server.port()) +
                            " user=engagementd_test password=test");
    admin << "CREATE DATABASE " + name;
  }
  std::ofstream(dir + "/db-password") << "test\n";
  const std::string yaml = dir + "/engagementd.yaml";
  std::ofstream(yaml)
      << "database:\n  backend: mysql\n  host: 127.0.0.1\n  port: " << server.port()
      << "\n  name: " << name << "\n  user: engagementd_test\n  password_file: " << dir
      << "/db-password\n  connect_timeout: 2s\n  read_timeout: 2s\n"
         "  write_timeout: 2s\n  reconnect_max: 200ms\ntick:\n  interval: 200ms\nmetrics:\n"
         "  enabled: true\n  port: 0\n";
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);

  Child daemon({kBinary, "run", "-c", yaml}, dir + "/run.log");
  const std::string base = metrics_base(daemon);
  INFO(daemon.log());
  REQUIRE_FALSE(base.empty());
  REQUIRE(eventually([&] {
    const HttpResult r = http_get(base + "/metrics", dir);
    return r.status == 200 && metric(r.body, "engagementd_ticks_total{result=\"ok\"}") >= 2;
  }));
  CHECK(http_get(base + "/healthz", dir).status == 200);

  server.stop();
  HttpResult health;
  CHECK(eventually(
      [&] {
        health = http_get(base + "/healthz", dir);
        return health.status == 503;
      },
      60s));
  INFO(health.body);
  CHECK_THAT(health.body, Catch::StartsWith("unhealthy: no successful tick for"));
  // The database error is in the log, not in the body anyone can fetch.
  CHECK_THAT(health.body, !Catch::Contains("err") && !Catch::Contains("127.0.0.1"));
  HttpResult m;
  CHECK(eventually([&] {
    m = http_get(base + "/metrics", dir);
    return m.status == 200 && metric(m.body, "engagementd_ticks_total{result=\"failed\"}") >= 10;
  }));
  CHECK(metric(m.body, "engagementd_db_errors_total{kind=\"connection\"}") +
            metric(m.body, "engagementd_db_errors_total{kind=\"connect\"}") >=
        1);
  // Each failure is logged once (and again only when its text changes, as
  // from "lost connection" to "cannot connect"), not once per failed attempt.
  std::vector<std::string> failures;
  for (const auto& line : lines_after("\n" + daemon.log(), "\n")) {
    const auto at = line.find(" error: ");
    if (at != std::string::npos) failures.push_back(line.substr(at));
  }
  CHECK(failures.size() >= 1);
  CHECK(static_cast<double>(failures.size()) <
        metric(m.body, "engagementd_ticks_total{result=\"failed\"}") / 2);
  for (std::size_t i = 1; i < failures.size(); ++i) CHECK(failures[i] != failures[i - 1]);

  daemon.signal(SIGTERM);
  CHECK(daemon.wait(30s) == std::optional<int>(0));
}
