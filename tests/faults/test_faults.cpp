// Fault injection against a real MariaDB (and SQLite where the fault exists
// there): the real engagementd binary keeps serving through a server restart,
// a killed session, a stalled connection, concurrent writers, a second
// instance, a crash loop, bad rows and bad YAML. Each test prints what it
// measured (recovery times) as a Catch2 WARN line.
#include <soci/mysql/soci-mysql.h>
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "store/session.hpp"
#include "store/shard_hash.hpp"
#include "support/process.hpp"
#include "support/site.hpp"
#include "support/tcp_proxy.hpp"
#include "support/test_db.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;
const std::string kSourceDir = ENGAGEMENTD_SOURCE_DIR;
const std::string kBuildDir = ENGAGEMENTD_BUILD_DIR;

// 10 simulated viewers, likes at 3000/minute x min(1, 0.1 x 10) = 50/s: the
// simulated likes measure how much time the ticks covered.
constexpr double kLikesPerMs = 3000.0 / 60000.0;
const char* const kBusyConfig = "1, 1, 10, 10, 5, 3, 3000, 10.0";

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// A live stream with its config row (none if config is empty), started at
// `started` (SQL; default now).
long long add_stream(soci::session& sql, const std::string& config, std::string started = "") {
  if (started.empty()) started = site::now_sql();
  sql << "INSERT INTO live_streams (vendor_id, title, status, started_at) VALUES (1, 'fault', "
         "'live', " +
             started + ")";
  const long long id = query_int(sql, "SELECT MAX(id) FROM live_streams");
  if (!config.empty()) site::set_config(sql, id, config);
  return id;
}

struct Sim {
  long long likes = 0, first = 0, last = 0;
};

Sim sim_of(soci::session& sql, long long id) {
  Sim s;
  sql << "SELECT sim_likes, first_tick_ms, last_tick_ms FROM engagementd_stream_state"
         " WHERE stream_id = :id",
      soci::use(id), soci::into(s.likes), soci::into(s.first), soci::into(s.last);
  return s;
}

long long lease_tick(soci::session& sql) {
  return query_int(sql, "SELECT last_tick_ms FROM engagementd_leader WHERE shard = 0");
}

// The simulated likes equal what the covered time allows: Poisson with mean
// rate x (last tick - first tick), within 5 standard deviations. A tick lost
// or applied twice moves the count by rate x its length (500 likes for a
// 10 s gap against a tolerance of ~150 for a 20 s run).
void check_likes_match_time(soci::session& sql, long long id) {
  const Sim s = sim_of(sql, id);
  const double expected = kLikesPerMs * static_cast<double>(s.last - s.first);
  const double tolerance = 5 * std::sqrt(expected) + 2;
  INFO("simulated likes " << s.likes << ", expected " << expected << " +- " << tolerance << " over "
                          << (s.last - s.first) << " ms");
  CHECK(std::fabs(static_cast<double>(s.likes) - expected) <= tolerance);
}

std::string daemon_yaml(const std::string& extra = "") {
  return "tick:\n  interval: 200ms\n  max_catchup: 60s\n"
         "leadership:\n  lease: 1s\n"
         "log:\n  level: info\n" +
         extra;
}

// A MariaDB of this test's own, to stop and start again.
// The kernel's view of a process (its State: line and where it sleeps), for
// a failure message.
std::string process_state(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::string status = read_file(dir + "/status"), state = "no /proc entry";
  if (const auto at = status.find("State:"); at != std::string::npos) {
    state = status.substr(at, status.find('\n', at) - at);
  }
  return state + ", wchan " + read_file(dir + "/wchan");
}

class PrivateServer {
 public:
  PrivateServer() : dir_(kBuildDir + "/fault-mariadb-" + std::to_string(::getpid())) {
    if (const char* shared = std::getenv("ENGAGEMENTD_TEST_MYSQL")) shared_ = shared;
    ::setenv("MARIADB_TEST_PORTS", "13450-13499", 1);
    std::string out;
    REQUIRE(run_command({"/bin/bash", script_, "start", dir_}, out) == 0);
    port_ = std::stoi(out.substr(out.find_last_of('\n', out.size() - 2) + 1));
    ::setenv(
        "ENGAGEMENTD_TEST_MYSQL",
        ("host=127.0.0.1 port=" + std::to_string(port_) + " user=engagementd_test password=test")
            .c_str(),
        1);
  }
  ~PrivateServer() {
    std::string out;
    run_command({"/bin/bash", script_, "stop", dir_}, out);
    std::filesystem::remove_all(dir_);
    // Later tests in this process use the shared server again.
    if (shared_) {
      ::setenv("ENGAGEMENTD_TEST_MYSQL", shared_->c_str(), 1);
    } else {
      ::unsetenv("ENGAGEMENTD_TEST_MYSQL");
    }
  }
  void stop() {
    std::string out;
    REQUIRE(run_command({"/bin/bash", script_, "stop", dir_}, out) == 0);
  }
  void resume() {
    std::string out;
    REQUIRE(run_command({"/bin/bash", script_, "resume", dir_}, out) == 0);
  }

 private:
  std::string script_ = kSourceDir + "/scripts/mariadb-test.sh";
  std::string dir_;
  int port_ = 0;
  std::optional<std::string> shared_;
};

// Writes path with lines added to the database section of text (default:
// the file itself).
std::string with_database_keys(const std::string& path, const std::string& lines,
                               std::string text = "") {
  if (text.empty()) text = read_file(path);
  text.replace(text.find("database:\n"), 10, "database:\n" + lines);
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

std::string migrate(const std::string& yaml) {
  std::string out;
  REQUIRE(run_command({kBinary, "migrate", "-c", yaml}, out) == 0);
  return out;
}

// A migrated test database with one busy stream, and the daemon ticking on it.
struct BusyDaemon {
  TestDatabase db;
  std::unique_ptr<soci::session> site;
  long long id = 0;
  std::unique_ptr<Child> daemon;

  BusyDaemon() {
    const std::string yaml = db.write_yaml(daemon_yaml());
    migrate(yaml);
    site = db.site();
    id = add_stream(*site, kBusyConfig);
    daemon = std::make_unique<Child>(std::vector<std::string>{kBinary, "run", "-c", yaml},
                                     db.dir() + "/daemon.log");
    REQUIRE(eventually([&] { return lease_tick(*site) > 0; }));
  }
};

}  // namespace

TEST_CASE(
    "restart: MariaDB stopped for 10 s and started again, the daemon resumes, no tick "
    "lost or applied twice",
    "[mysql-only]") {
  PrivateServer server;
  TestDatabase db;
  const std::string cfg = with_database_keys(
      db.write_yaml(daemon_yaml() + "simulation:\n  seed: 1\n"), "  reconnect_max: 2s\n");
  migrate(cfg);
  long long id = 0;
  {
    auto site = db.site();
    id = add_stream(*site, kBusyConfig);
  }
  Child daemon({kBinary, "run", "-c", cfg}, db.dir() + "/daemon.log");
  {
    auto site = db.site();
    REQUIRE(eventually(
        [&] { return query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state") == 1; }));
  }
  std::this_thread::sleep_for(2s);
  long long before = 0;
  {
    auto site = db.site();
    before = lease_tick(*site);
  }

  server.stop();
  std::this_thread::sleep_for(10s);
  CHECK(daemon.running());
  const auto starting = Clock::now();
  server.resume();  // returns once the server answers (polled every 0.5 s)
  const double startup = ms_since(starting);
  auto site = db.site();
  REQUIRE(eventually([&] { return lease_tick(*site) > before; }, 30s));
  const double recovery = ms_since(starting);
  WARN("restart: MariaDB answered " << startup << " ms after its start, ticks resumed " << recovery
                                    << " ms after its start (reconnect_max 2 s)");
  // Start-up, then at most the backoff cap, one tick, and a second for the
  // connection and a loaded machine.
  CHECK(recovery <= startup + 2000 + 200 + 1000);
  std::this_thread::sleep_for(2s);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);

  const std::string log = daemon.log();
  INFO(log);
  CHECK(count_of(log, "database error") == 1);  // said once, not once per attempt
  CHECK(count_of(log, "reconnected to") == 1);
  check_likes_match_time(*site, id);
}

TEST_CASE(
    "kill-session: the daemon's connection is killed mid-run, it reconnects, no tick lost "
    "or applied twice",
    "[mysql-only]") {
  BusyDaemon busy;
  auto& site = busy.site;
  const long long id = busy.id;
  Child& daemon = *busy.daemon;

  constexpr int kKills = 3;
  std::mt19937 rng(7);
  for (int k = 0; k < kKills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700 + rng() % 600));
    const long long conn =
        query_int(*site, "SELECT connection_id FROM engagementd_leader WHERE shard = 0");
    const long long before = lease_tick(*site);
    *site << "KILL CONNECTION " + std::to_string(conn);
    const auto killed = Clock::now();
    REQUIRE(eventually(
        [&] {
          return lease_tick(*site) > before &&
                 query_int(*site, "SELECT connection_id FROM engagementd_leader WHERE shard = 0") !=
                     conn;
        },
        20s));
    const double recovery = ms_since(killed);
    WARN("kill-session " << k + 1 << ": ticking again on a new connection after " << recovery
                         << " ms (backoff 1 s)");
    CHECK(recovery <= 1000 + 200 + 1500);
  }
  std::this_thread::sleep_for(1s);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);
  const std::string log = daemon.log();
  INFO(log);
  CHECK(count_of(log, "database error") == kKills);
  CHECK(count_of(log, "reconnected to") == kKills);
  check_likes_match_time(*site, id);
}

TEST_CASE(
    "stall: a proxy stops forwarding, the query times out within read_timeout and the "
    "daemon recovers when traffic flows",
    "[mysql-only]") {
  TestDatabase db;
  TcpProxy proxy(db.config().port);
  std::string text = read_file(db.write_yaml(daemon_yaml()));
  const std::string port_line = "port: " + std::to_string(db.config().port);
  text.replace(text.find(port_line), port_line.size(), "port: " + std::to_string(proxy.port()));
  const std::string yaml = with_database_keys(
      db.dir() + "/stall.yaml",
      "  read_timeout: 2s\n  write_timeout: 2s\n  connect_timeout: 2s\n  reconnect_max: 1s\n",
      text);
  migrate(yaml);
  auto site = db.site();  // direct, not through the proxy
  const long long id = add_stream(*site, kBusyConfig);
  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/daemon.log");
  REQUIRE(eventually([&] { return lease_tick(*site) > 0; }));
  std::this_thread::sleep_for(1500ms);

  proxy.pause();
  const auto paused = Clock::now();
  REQUIRE(eventually([&] { return count_of(daemon.log(), "database error") == 1; }, 20s));
  const double detected = ms_since(paused);
  WARN("stall: detected after " << detected << " ms (read_timeout 2 s)");
  CHECK(detected <= 2000 + 200 + 1500);
  std::this_thread::sleep_for(std::chrono::milliseconds(5000) -
                              std::chrono::milliseconds(static_cast<long long>(detected)));
  CHECK(daemon.running());

  const long long before = lease_tick(*site);
  proxy.resume();
  const auto resumed = Clock::now();
  REQUIRE(eventually([&] { return lease_tick(*site) > before; }, 20s));
  const double recovery = ms_since(resumed);
  WARN("stall: ticking again " << recovery << " ms after traffic resumed");
  // The stalled session may still hold the lease row until its lease (1 s)
  // runs out and it is ended; then one tick and the reconnect backoff.
  CHECK(recovery <= 1000 + 1000 + 200 + 1500);
  std::this_thread::sleep_for(1s);
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);
  INFO(daemon.log());
  check_likes_match_time(*site, id);
}

TEST_CASE(
    "concurrent writers: 10,000 real likes from 4 clients during ticks are all shown, "
    "exactly once",
    "[mysql-only]") {
  BusyDaemon busy;
  auto& site = busy.site;
  const long long id = busy.id;
  Child& daemon = *busy.daemon;

  constexpr int kClients = 4, kLikesEach = 2500, kViewersEach = 50;
  std::atomic<long long> slowest_us{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      try {
        auto sql = busy.db.site();
        const std::string sid = std::to_string(id);
        for (int i = 0; i < kLikesEach; ++i) {
          const auto t = Clock::now();
          *sql << "INSERT INTO stream_interactions (stream_id, user_id, interaction_type, "
                  "is_fake) VALUES (" +
                      sid + ", " + std::to_string(c * kLikesEach + i) + ", 'like', 0)";
          if (i % 50 == 0) {
            *sql << "INSERT INTO stream_viewers (stream_id, session_id, is_fake) VALUES (" + sid +
                        ", 'c" + std::to_string(c) + "-" + std::to_string(i) + "', 0)";
          }
          const long long us =
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count();
          long long seen = slowest_us;
          while (us > seen && !slowest_us.compare_exchange_weak(seen, us)) {
          }
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& t : clients) t.join();
  REQUIRE(failures == 0);
  WARN("concurrent writers: slowest single insert took " << slowest_us / 1000.0 << " ms");
  CHECK(slowest_us < 2'000'000);  // never held behind a tick's locks

  // Wait for a tick that started after the last insert, then stop.
  const long long done = query_int(*site, "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)");
  REQUIRE(eventually([&] { return lease_tick(*site) > done + 1; }));
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);

  long long likes = 0, viewers = 0, sim_likes = 0, sim_viewers = 0;
  *site << "SELECT ls.like_count, ls.viewer_count, st.sim_likes, st.sim_viewers FROM live_streams "
           "ls JOIN engagementd_stream_state st ON st.stream_id = ls.id WHERE ls.id = :id",
      soci::use(id), soci::into(likes), soci::into(viewers), soci::into(sim_likes),
      soci::into(sim_viewers);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM stream_interactions WHERE is_fake = 0") ==
        kClients * kLikesEach);
  CHECK(likes == kClients * kLikesEach + sim_likes);
  CHECK(viewers == kClients * (kLikesEach / 50) + sim_viewers);
  (void)kViewersEach;
}

TEST_CASE(
    "two instances: exactly one writes, kill -9 of the leader hands over within lease + "
    "one tick, a leader paused past its lease commits nothing",
    "[mysql-only]") {
  TestDatabase db;
  const std::string yaml = db.write_yaml(daemon_yaml());
  migrate(yaml);
  auto site = db.site();
  add_stream(*site, kBusyConfig);
  auto holder = [&] {
    std::string h;
    *site << "SELECT holder FROM engagementd_leader WHERE shard = 0", soci::into(h);
    return h;
  };
  auto holder_in = [](const std::string& log) {
    const std::string mark = "took the leadership lease as ";
    const auto at = log.find(mark);
    if (at == std::string::npos) return std::string();
    const auto start = at + mark.size();
    return log.substr(start, log.find(' ', start) - start);
  };

  Child a({kBinary, "run", "-c", yaml}, db.dir() + "/a.log");
  REQUIRE(eventually([&] { return !holder_in(a.log()).empty(); }));
  Child b({kBinary, "run", "-c", yaml}, db.dir() + "/b.log");
  REQUIRE(eventually([&] { return count_of(b.log(), "standby:") == 1; }));
  std::this_thread::sleep_for(1500ms);
  CHECK(holder() == holder_in(a.log()));
  CHECK(count_of(a.log(), "tick live=") > 3);
  CHECK(count_of(b.log(), "tick live=") == 0);  // the standby writes nothing
  CHECK(holder_in(b.log()).empty());

  // kill -9: the standby takes over once the lease (1 s) has run out.
  a.signal(SIGKILL);
  const auto killed = Clock::now();
  REQUIRE(eventually([&] { return !holder_in(b.log()).empty(); }, 10s));
  const double takeover = ms_since(killed);
  WARN("two instances: takeover " << takeover << " ms after kill -9 (lease 1 s + tick 200 ms)");
  CHECK(takeover <= 1000 + 200 + 700);
  // The log line comes before the tick's COMMIT makes the new holder visible.
  CHECK(eventually([&] { return holder() == holder_in(b.log()); }, 5s));

  // SIGSTOP the new leader past its lease: a third instance takes over; the
  // old one, continued, commits nothing and stands by.
  Child c({kBinary, "run", "-c", yaml}, db.dir() + "/c.log");
  REQUIRE(eventually([&] { return count_of(c.log(), "standby:") == 1; }));
  b.signal(SIGSTOP);
  const auto stopped = Clock::now();
  const std::size_t ticks_before_stop = count_of(b.log(), "tick live=");
  REQUIRE(eventually([&] { return !holder_in(c.log()).empty(); }, 10s));
  WARN("two instances: takeover " << ms_since(stopped) << " ms after SIGSTOP of the leader");
  std::this_thread::sleep_for(2500ms -
                              std::chrono::milliseconds(static_cast<long long>(ms_since(stopped))));
  b.signal(SIGCONT);
  std::this_thread::sleep_for(2s);
  const std::string b_log = b.log();
  INFO(b_log);
  CHECK(holder() == holder_in(c.log()));
  // A line may be from a tick committed just before the stop, logged after it.
  CHECK(count_of(b_log, "tick live=") <= ticks_before_stop + 1);
  CHECK((count_of(b_log, "lost the leadership lease") == 1 ||
         count_of(b_log, "database error") >= 1));
  CHECK(b.running());
  b.signal(SIGTERM);
  c.signal(SIGTERM);
  CHECK(b.wait(20s) == 0);
  CHECK(c.wait(20s) == 0);
}

TEST_CASE(
    "two shards: every live stream is simulated by exactly one instance, each holds its "
    "shard's lease, a second instance on a shard stands by and takes over",
    "[mysql-only]") {
  TestDatabase db;
  const std::string base = read_file(
      db.write_yaml("tick:\n  interval: 200ms\n  max_catchup: 60s\nleadership:\n  lease: 1s\n"
                    "log:\n  level: debug\n"));
  auto yaml_for = [&](int index, const std::string& name) {
    const std::string path = db.dir() + "/" + name + ".yaml";
    std::ofstream(path, std::ios::trunc)
        << base << "shard:\n  index: " << index << "\n  count: 2\n";
    return path;
  };
  migrate(yaml_for(0, "a"));
  auto site = db.site();
  const int n = 20;
  std::set<long long> ids;
  for (int i = 0; i < n; ++i) {
    const long long id = add_stream(*site, kBusyConfig);
    ids.insert(id);
    *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake) VALUES (" +
                 std::to_string(id) + ", 'real', 0)";
  }
  // How many streams each shard has (a hash of the id, store/shard_hash.hpp).
  std::size_t n0 = 0;
  for (long long id : ids) n0 += shard_of(id, 2) == 0 ? 1 : 0;
  const std::string live0 = "tick live=" + std::to_string(n0) + " ";
  const std::string live1 = "tick live=" + std::to_string(ids.size() - n0) + " ";
  auto holder_of = [&](int shard) {
    std::string h;
    *site << "SELECT holder FROM engagementd_leader WHERE shard = " + std::to_string(shard),
        soci::into(h);
    return h;
  };
  auto holder_in = [](const std::string& log, int shard) {
    const std::string mark =
        "took the leadership lease of shard " + std::to_string(shard) + "/2 as ";
    const auto at = log.find(mark);
    if (at == std::string::npos) return std::string();
    const auto start = at + mark.size();
    return log.substr(start, log.find(' ', start) - start);
  };
  // The streams an instance simulated: its debug lines, one per stream and tick.
  auto streams_in = [](const std::string& log) {
    std::set<long long> out;
    const std::string mark = "stream=";
    for (auto at = log.find(mark); at != std::string::npos; at = log.find(mark, at + 1)) {
      const auto end = log.find(' ', at);
      if (end == std::string::npos) break;
      if (log.compare(end, 14, " real_viewers=") != 0) continue;
      out.insert(std::stoll(log.substr(at + mark.size(), end - at - mark.size())));
    }
    return out;
  };

  Child a({kBinary, "run", "-c", yaml_for(0, "a")}, db.dir() + "/a.log");
  Child b({kBinary, "run", "-c", yaml_for(1, "b")}, db.dir() + "/b.log");
  REQUIRE(eventually([&] { return !holder_in(a.log(), 0).empty(); }));
  REQUIRE(eventually([&] { return !holder_in(b.log(), 1).empty(); }));
  Child c({kBinary, "run", "-c", yaml_for(1, "c")}, db.dir() + "/c.log");
  REQUIRE(eventually([&] { return count_of(c.log(), "standby:") == 1; }));
  // Every live stream gets simulated state and a display with it.
  CHECK(eventually([&] {
    return query_int(*site,
                     "SELECT COUNT(*) FROM live_streams ls JOIN engagementd_stream_state st"
                     " ON st.stream_id = ls.id WHERE ls.includes_simulated = 1"
                     " AND ls.viewer_count = 1 + st.sim_viewers AND ls.like_count = st.sim_likes"
                     " AND st.sim_likes > 0") == n;
  }));
  std::this_thread::sleep_for(1500ms);
  const std::string a_log = a.log(), b_log = b.log(), c_log = c.log();
  INFO(a_log.substr(0, 3000) << "\n---\n" << b_log.substr(0, 3000));
  CHECK(holder_of(0) == holder_in(a_log, 0));
  CHECK(holder_of(1) == holder_in(b_log, 1));
  CHECK(count_of(a_log, live0) > 3);
  CHECK(count_of(b_log, live1) > 3);
  CHECK(count_of(c_log, "tick live=") == 0);  // the standby writes nothing
  CHECK(streams_in(c_log).empty());
  const std::set<long long> in_a = streams_in(a_log), in_b = streams_in(b_log);
  std::set<long long> both, all;
  for (long long id : in_a) {
    CHECK(shard_of(id, 2) == 0);
    if (in_b.count(id) != 0) both.insert(id);
  }
  for (long long id : in_b) CHECK(shard_of(id, 2) == 1);
  all.insert(in_a.begin(), in_a.end());
  all.insert(in_b.begin(), in_b.end());
  CHECK(both.empty());
  CHECK(all == ids);
  CHECK(in_a.size() == n0);

  // kill -9 of shard 1's holder: its standby takes shard 1 over; shard 0 ticks on.
  b.signal(SIGKILL);
  const auto killed = Clock::now();
  REQUIRE(eventually([&] { return !holder_in(c.log(), 1).empty(); }, 10s));
  WARN("two shards: shard 1 taken over " << ms_since(killed) << " ms after kill -9");
  CHECK(eventually([&] { return holder_of(1) == holder_in(c.log(), 1); }, 5s));
  CHECK(eventually([&] { return count_of(c.log(), live1) >= 2; }, 5s));
  CHECK(holder_of(0) == holder_in(a.log(), 0));
  for (long long id : streams_in(c.log())) CHECK(shard_of(id, 2) == 1);
  a.signal(SIGTERM);
  c.signal(SIGTERM);
  CHECK(a.wait(20s) == 0);
  CHECK(c.wait(20s) == 0);
}

TEST_CASE(
    "migrate killed by kill -9 while it holds the migration lock: the next migrate takes the "
    "lock over at once and finishes",
    "[mysql-only]") {
  TestDatabase db;
  const std::string yaml = db.write_yaml("");
  auto site = db.site();
  const auto lock_rows = [&] {
    try {
      return query_int(*site, "SELECT COUNT(*) FROM engagementd_migration_lock");
    } catch (const soci::soci_error&) {
      return 0LL;  // the table is not there yet
    }
  };
  Child first({kBinary, "migrate", "-c", yaml}, db.dir() + "/first.log");
  // Polled every few ms: a migrate of a new database holds it for a second
  // or so (it creates every table and trigger).
  bool seen = false;
  for (auto until = Clock::now() + 30s; !seen && Clock::now() < until && first.running();) {
    seen = lock_rows() == 1;
    if (!seen) std::this_thread::sleep_for(2ms);
  }
  INFO("the first migrate's log:\n" << first.log());
  REQUIRE(seen);
  first.signal(SIGKILL);
  REQUIRE(first.wait(10s) == -SIGKILL);
  REQUIRE(lock_rows() == 1);  // left behind

  const auto t0 = Clock::now();
  std::string out;
  const int rc = run_command({kBinary, "migrate", "-c", yaml}, out);
  INFO("the second migrate's output:\n" << out);
  CHECK(rc == 0);
  CHECK(ms_since(t0) < 20'000);
  CHECK(out.find("took over the migration lock of ") != std::string::npos);
  CHECK(out.find(": its session is gone") != std::string::npos);
  CHECK(lock_rows() == 0);
  CHECK(query_int(*site, "SELECT MAX(version) FROM engagementd_schema_version") ==
        Store::latest_schema_version(Backend::mysql));
}

TEST_CASE(
    "automatic shards: three instances with shard.count 2 hold one shard each or none, and a "
    "stop says which lease it let go",
    "[mysql-only]") {
  TestDatabase db;
  const std::string yaml = db.write_yaml(
      "tick:\n  interval: 200ms\n  max_catchup: 60s\nleadership:\n  lease: 1s\n"
      "shard:\n  count: 2\nlog:\n  level: info\n");
  migrate(yaml);
  auto site = db.site();
  for (int i = 0; i < 6; ++i) add_stream(*site, kBusyConfig);
  std::vector<std::unique_ptr<Child>> inst;
  for (int i = 0; i < 3; ++i) {
    inst.push_back(std::make_unique<Child>(std::vector<std::string>{kBinary, "run", "-c", yaml},
                                           db.dir() + "/i" + std::to_string(i) + ".log"));
  }
  // Both shards held, by two different instances, with leases running.
  const auto holders = [&] {
    return query_int(*site,
                     "SELECT COUNT(DISTINCT holder) FROM engagementd_leader WHERE shard IN (0, 1)"
                     " AND expires_ms > CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)");
  };
  REQUIRE(eventually([&] { return holders() == 2; }, 20s));
  REQUIRE(eventually(
      [&] { return query_int(*site, "SELECT COUNT(*) FROM engagementd_instances") == 3; }, 5s));
  for (auto& c : inst) c->signal(SIGTERM);
  std::string logs;
  int said = 0;
  std::set<std::string> released;
  // "released the leadership lease of shard 1 and ..." or "... of shards 0, 1 and ...".
  const std::regex release_line("released the leadership lease of shards? ([0-9, ]+) and left");
  for (auto& c : inst) {
    CHECK(c->wait(20s) == 0);
    const std::string log = c->log();
    logs += log + "\n---\n";
    std::smatch m;
    if (std::regex_search(log, m, release_line)) {
      ++said;
      std::istringstream list(m[1].str());
      for (std::string shard; std::getline(list >> std::ws, shard, ',');) released.insert(shard);
    }
    said += static_cast<int>(count_of(log, "held no shard; left the pool of instances"));
  }
  INFO(logs);
  // Each stop says what it let go, and both shards are let go. On a loaded
  // machine an instance whose SIGTERM arrives a moment late may first take
  // over the shard another one has just released: it then names both.
  CHECK(said == 3);
  CHECK(released == std::set<std::string>{"0", "1"});
  CHECK(count_of(logs, "released the leadership lease\n") == 0);
  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_instances") == 0);
}

TEST_CASE(
    "crash loop: kill -9 at random moments over 50 restarts while streams end, every ended "
    "stream has one summary and consistent final numbers",
    "[mysql-only]") {
  TestDatabase db;
  const std::string yaml = db.write_yaml(
      "tick:\n  interval: 100ms\n  max_catchup: 60s\nleadership:\n  lease: 300ms\n"
      "log:\n  level: info\n");
  migrate(yaml);
  auto site = db.site();
  constexpr int kStreams = 40, kRestarts = 50;
  std::vector<long long> ids;
  for (int i = 0; i < kStreams; ++i) {
    const long long id = add_stream(*site, kBusyConfig);
    ids.push_back(id);
    *site << "INSERT INTO stream_viewers (stream_id, session_id, is_fake) VALUES (" +
                 std::to_string(id) + ", 'v" + std::to_string(i) + "', 0)";
    for (int k = 0; k < i % 4; ++k) {
      *site << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES (" +
                   std::to_string(id) + ", 'like', 0)";
    }
    if (i % 3 == 0) {
      *site << "INSERT INTO saved_streams (stream_id, title) VALUES (" + std::to_string(id) +
                   ", 'replay')";
    }
  }
  {
    Child first({kBinary, "run", "-c", yaml}, db.dir() + "/first.log");
    REQUIRE(eventually([&] {
      return query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state") == kStreams;
    }));
    first.signal(SIGKILL);
    first.wait(5s);
  }
  std::mt19937 rng(2024);
  std::size_t next_end = 0;
  int refused = 0;
  for (int k = 0; k < kRestarts; ++k) {
    Child d({kBinary, "run", "-c", yaml}, db.dir() + "/loop.log");
    const auto life = std::chrono::milliseconds(100 + rng() % 700);
    const auto end_at = std::chrono::milliseconds(rng() % life.count());
    std::this_thread::sleep_for(end_at);
    if (next_end < ids.size() && rng() % 3 != 0) {
      *site << std::string("UPDATE live_streams SET status = '") +
                   (next_end % 2 == 0 ? "ended" : "archived") +
                   "', ended_at = NOW() WHERE id = " + std::to_string(ids[next_end]);
      ++next_end;
    }
    std::this_thread::sleep_for(life - end_at);
    d.signal(SIGKILL);
    const std::optional<int> status = d.wait(30s);
    const std::string log = d.log();
    INFO("restart " << k << ": "
                    << (status ? "exit status " + std::to_string(*status)
                               : "not gone 30 s after kill -9, " + process_state(d.pid()))
                    << "; its log:\n"
                    << log);
    REQUIRE(status.has_value());
    if (*status == 1 && log.find("cannot start: ") != std::string::npos) {
      // Exit 1 when the database does not answer at start is the documented
      // behaviour (systemd starts it again): counted, and shown.
      ++refused;
      WARN("crash loop: restart " << k << " exited 1 before its kill:\n" << log);
      continue;
    }
    REQUIRE(*status == -SIGKILL);
  }
  CHECK(refused <= kRestarts / 10);
  REQUIRE(next_end > 10);
  // One clean run finishes what is pending.
  Child last({kBinary, "run", "-c", yaml}, db.dir() + "/last.log");
  // Running (its signal handlers set) before it is asked to stop: the ended
  // streams may all be finalized by the killed ones already, and a SIGTERM
  // that reaches a process still loading ends it by the default action.
  REQUIRE(
      eventually([&] { return last.log().find("engagementd started") != std::string::npos; }, 30s));
  REQUIRE(eventually(
      [&] {
        return query_int(*site,
                         "SELECT COUNT(*) FROM engagementd_stream_state WHERE finalized_ms IS NOT "
                         "NULL") == static_cast<long long>(next_end);
      },
      30s));
  last.signal(SIGTERM);
  const std::optional<int> status = last.wait(20s);
  INFO("the last instance's log:\n" << last.log());
  REQUIRE(status.has_value());
  REQUIRE(*status == 0);
  WARN("crash loop: " << kRestarts << " kill -9 restarts, " << next_end << " streams ended");

  CHECK(query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary") ==
        static_cast<long long>(next_end));
  for (std::size_t i = 0; i < next_end; ++i) {
    const long long id = ids[i];
    INFO("stream " << id);
    long long real_likes = 0, sim_likes = 0, final_likes = 0, final_viewers = 0, shown_likes = 0,
              shown_viewers = 0, state_likes = 0;
    *site << "SELECT su.real_likes, su.sim_likes, su.final_like_count, su.final_viewer_count,"
             " ls.like_count, ls.viewer_count, st.sim_likes FROM engagementd_stream_summary su"
             " JOIN live_streams ls ON ls.id = su.stream_id"
             " JOIN engagementd_stream_state st ON st.stream_id = su.stream_id"
             " WHERE su.stream_id = :id",
        soci::use(id), soci::into(real_likes), soci::into(sim_likes), soci::into(final_likes),
        soci::into(final_viewers), soci::into(shown_likes), soci::into(shown_viewers),
        soci::into(state_likes);
    CHECK(real_likes == static_cast<long long>(i % 4));
    CHECK(sim_likes == state_likes);
    CHECK(final_likes == real_likes + sim_likes);
    CHECK(shown_likes == final_likes);
    CHECK(shown_viewers == final_viewers);
    if (i % 3 == 0) {
      CHECK(query_int(*site, "SELECT like_count FROM saved_streams WHERE stream_id = " +
                                 std::to_string(id)) == final_likes);
    }
  }
}

TEST_CASE(
    "lock wait: a site transaction holding a stream's row past the lock-wait timeout makes "
    "the tick retry, not fail",
    "[mysql-only]") {
  BusyDaemon busy;
  auto& site = busy.site;
  const long long id = busy.id;
  Child& daemon = *busy.daemon;

  // The display row locked for 6 s (the daemon waits at most 5 s per try).
  auto locker = busy.db.site();
  locker->begin();
  *locker << "SELECT id FROM live_streams WHERE id = " + std::to_string(id) + " FOR UPDATE";
  std::this_thread::sleep_for(6s);
  locker->commit();
  const long long after_release = lease_tick(*site);
  REQUIRE(eventually([&] { return lease_tick(*site) > after_release; }));
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);
  const std::string log = daemon.log();
  INFO(log);
  CHECK(count_of(log, "Lock wait timeout exceeded") >= 1);
  CHECK(count_of(log, "retry 1 of 4") >= 1);
  CHECK(count_of(log, "database error") == 0);  // retried, never dropped the connection
  check_likes_match_time(*site, id);
}

TEST_CASE(
    "bad rows: NULL, negative, huge, non-numeric config values, unknown status, NULL "
    "started_at, a deleted stream, each logged once with its id, the others tick on",
    "[both]") {
  TestDatabase db;
  const std::string yaml = db.write_yaml(daemon_yaml());
  migrate(yaml);
  auto site = db.site();
  const bool mysql = is_mysql();
  if (mysql) {
    // Columns as loose as a site's own schema might have them.
    *site << "ALTER TABLE stream_engagement_config MODIFY min_fake_viewers INT NULL,"
             " MODIFY viewer_increase_rate INT NULL, MODIFY like_rate VARCHAR(20) NULL";
    *site << "ALTER TABLE live_streams MODIFY status VARCHAR(32) NOT NULL DEFAULT 'scheduled'";
  } else {
    // SQLite stores any value in any column; its CHECK is the site's to keep,
    // but a database restored without it must not stop the daemon either.
    *site << "PRAGMA ignore_check_constraints = ON";
  }
  const long long good = add_stream(*site, kBusyConfig);
  const long long null_min = mysql ? add_stream(*site, "1, 1, NULL, 10, 5, 3, 60, 2.0") : 0;
  const long long negative = add_stream(*site, "1, 1, 1, 10, -5, 3, 60, 2.0");
  const long long huge = add_stream(*site, "1, 1, 1, 4000000000, 5, 3, 60, 2.0");
  const long long text = add_stream(*site, "1, 1, 1, 10, 5, 3, 'lots', 2.0");
  const long long paused = add_stream(*site, kBusyConfig);
  const long long no_start = add_stream(*site, kBusyConfig, "NULL");
  const long long deleted = add_stream(*site, kBusyConfig);
  *site << "INSERT INTO global_stream_settings (setting_key, setting_value) VALUES "
           "('like_rate', 'abc'), ('min_fake_viewers', '-3')";

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/daemon.log");
  REQUIRE(eventually([&] {
    return query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state") == (mysql ? 8 : 7);
  }));
  // Mid-run: a status the daemon does not know, an end without started_at, a deletion.
  *site << "UPDATE live_streams SET status = 'paused' WHERE id = " + std::to_string(paused);
  *site << "UPDATE live_streams SET status = 'ended' WHERE id = " + std::to_string(no_start);
  *site << "DELETE FROM live_streams WHERE id = " + std::to_string(deleted);
  const Sim good_before = sim_of(*site, good);
  std::this_thread::sleep_for(2s);  // ~10 ticks: each problem must still be said once
  const Sim good_after = sim_of(*site, good);
  CHECK(good_after.last > good_before.last);  // the good stream ticked on
  CHECK(good_after.likes > good_before.likes);
  CHECK(daemon.running());
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);

  const std::string log = daemon.log();
  INFO(log);
  auto once = [&](const std::string& text) {
    INFO("expected once: " << text);
    CHECK(count_of(log, text) == 1);
  };
  const auto sid = [](long long id) { return "stream=" + std::to_string(id) + " "; };
  if (mysql) once(sid(null_min) + "invalid stream_engagement_config (min_fake_viewers is NULL");
  once(sid(negative) + "invalid stream_engagement_config (viewer_increase_rate -5 is outside");
  once(sid(huge) +
       "invalid stream_engagement_config (max_fake_viewers 4000000000 is not a whole number");
  once(sid(text) + "invalid stream_engagement_config (like_rate is not a number");
  once(sid(paused) + "has status 'paused'");
  once(sid(no_start) + "has no started_at");
  once("global setting like_rate 'abc' is not a number");
  once("global setting min_fake_viewers -3 is not a whole number");
  CHECK(count_of(log, "finalized stream=" + std::to_string(deleted) + " status=deleted") == 1);
  CHECK(count_of(log, "finalized stream=" + std::to_string(no_start) + " status=ended") == 1);
  CHECK(count_of(log, "finalized stream=" + std::to_string(paused)) == 0);
  CHECK(count_of(log, "tick failed") == 0);
  CHECK(count_of(log, "database error") == 0);
}

TEST_CASE(
    "bad YAML of every kind: a clear error with file:line and exit 1 at start, kept-old on "
    "reload",
    "[both]") {
  TestDatabase db;
  const std::string base = read_file(db.write_yaml(""));  // the database section only
  const std::string good_text = base + daemon_yaml();
  migrate(db.write_yaml(daemon_yaml()));
  struct Case {
    std::string name, text, expect;
  };
  std::string deep(5000, '[');
  const std::vector<Case> cases = {
      {"tab indent", base + "tick:\n\tinterval: 5s\n", "YAML syntax"},
      {"unclosed flow", base + "simulation: [on\n", "YAML syntax"},
      {"unclosed quote", base + "log:\n  level: \"info\n", "log.level"},
      {"bad duration", base + "tick:\n  interval: fast\n", "tick.interval"},
      {"out of range", base + "tick:\n  interval: 0s\n", "tick.interval"},
      {"unknown key", base + "tick:\n  intervall: 5s\n", "unknown key"},
      {"duplicate key", base + "log:\n  level: info\n  level: debug\n", "given twice"},
      {"wrong type", base + "tick: 5s\n", "expected a mapping"},
      {"list for scalar", base + "log:\n  level: [info]\n", "expected a single value"},
      {"huge number", base + "simulation:\n  seed: 99999999999999999999999\n", "simulation.seed"},
      {"inline password", "database:\n  password: hunter2\n" + base.substr(10),
       "passwords are not read from this file"},
      {"empty", "", "empty"},
      {"binary", std::string("\x00\xff\xfe\x01", 4), "YAML syntax"},
      {"deep nesting", deep, "YAML syntax"},
  };
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    const std::string path = db.dir() + "/bad.yaml";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << c.text;
    std::string out;
    const int rc = run_command({kBinary, "run", "-c", path}, out);
    INFO(out);
    CHECK(rc == 1);
    CHECK(count_of(out, path) >= 1);
    CHECK(count_of(out, c.expect) >= 1);
    CHECK(count_of(out, "hunter2") == 0);
  }

  // On reload, a bad file is reported and the running configuration stays.
  const std::string live = db.dir() + "/live.yaml";
  std::ofstream(live) << good_text;
  Child daemon({kBinary, "run", "-c", live}, db.dir() + "/daemon.log");
  auto site = db.site();
  REQUIRE(eventually([&] { return lease_tick(*site) > 0; }));
  std::ofstream(live, std::ios::trunc) << good_text << "tick:\n  interval: fast\n";
  daemon.signal(SIGHUP);
  REQUIRE(
      eventually([&] { return count_of(daemon.log(), "keeping the current configuration") == 1; }));
  const long long before = lease_tick(*site);
  REQUIRE(eventually([&] { return lease_tick(*site) > before; }));
  CHECK(daemon.running());
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);
  CHECK(count_of(daemon.log(), "reload failed: " + live + ":") >= 1);
}

TEST_CASE(
    "least privilege: the daemon runs on schema/mysql/grants.sql alone and cannot read "
    "stream keys",
    "[mysql-only]") {
  TestDatabase db;
  const std::string admin_yaml = db.write_yaml(daemon_yaml());
  migrate(admin_yaml);
  auto site = db.site();
  const long long id = add_stream(*site, kBusyConfig);
  const long long saved = add_stream(*site, "");  // no config row: the daemon creates it
  *site << "INSERT INTO saved_streams (stream_id, title) VALUES (" + std::to_string(saved) +
               ", 'replay')";

  // The grant script as shipped, for a test account.
  std::string grants = read_file(kSourceDir + "/schema/mysql/grants.sql");
  const std::string account = "'engagementd'@'localhost'";
  const std::string test_account = "'engagementd_lp'@'127.0.0.1'";
  for (auto at = grants.find(account); at != std::string::npos; at = grants.find(account, at)) {
    grants.replace(at, account.size(), test_account);
  }
  *site << "DROP USER IF EXISTS " + test_account;
  *site << "CREATE USER " + test_account + " IDENTIFIED BY 'lp-secret'";
  std::string statement;
  for (std::size_t pos = 0; pos < grants.size();) {
    const auto nl = grants.find('\n', pos);
    const std::string line = grants.substr(pos, nl == std::string::npos ? nl : nl - pos);
    pos = nl == std::string::npos ? grants.size() : nl + 1;
    if (line.rfind("--", 0) == 0) continue;
    statement += line + "\n";
    if (!line.empty() && line.back() == ';') {
      *site << statement;
      statement.clear();
    }
  }
  const std::string pw = db.dir() + "/lp-password";
  std::ofstream(pw) << "lp-secret\n";
  ::chmod(pw.c_str(), 0600);
  std::string yaml_text = read_file(admin_yaml);
  yaml_text.replace(yaml_text.find("user: " + db.config().user), 6 + db.config().user.size(),
                    "user: engagementd_lp");
  yaml_text.replace(yaml_text.find("password_file: "), std::string("password_file: ").size(),
                    "password_file: " + pw + "\n  # was: ");
  const std::string yaml = db.dir() + "/lp.yaml";
  std::ofstream(yaml) << yaml_text;

  Child daemon({kBinary, "run", "-c", yaml}, db.dir() + "/daemon.log");
  REQUIRE(eventually(
      [&] { return query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_state") == 2; }));
  *site << "UPDATE live_streams SET status = 'ended', ended_at = NOW() WHERE id = " +
               std::to_string(saved);
  REQUIRE(eventually(
      [&] { return query_int(*site, "SELECT COUNT(*) FROM engagementd_stream_summary") == 1; }));
  std::this_thread::sleep_for(500ms);
  // A clean stop releases the lease: an UPDATE too.
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);
  const std::string log = daemon.log();
  INFO(log);
  CHECK(count_of(log, "denied") == 0);
  CHECK(count_of(log, "err=") == 0);
  CHECK(count_of(log, "released the leadership lease") == 1);
  CHECK(count_of(log, "lp-secret") == 0);
  CHECK(count_of(log, "LOAD DATA LOCAL INFILE") == 0);
  CHECK(
      query_int(*site, "SELECT like_count FROM saved_streams WHERE stream_id = " +
                           std::to_string(saved)) ==
      query_int(*site, "SELECT like_count FROM live_streams WHERE id = " + std::to_string(saved)));

  // What the account must not do.
  soci::session lp(soci::mysql, "db=" + db.config().name +
                                    " host=127.0.0.1 port=" + std::to_string(db.config().port) +
                                    " user=engagementd_lp password=lp-secret");
  CHECK_THROWS_WITH(lp << "SELECT stream_key FROM live_streams", Catch::Contains("denied"));
  CHECK_THROWS_WITH(lp << "SELECT title FROM live_streams", Catch::Contains("denied"));
  CHECK_THROWS_WITH(lp << "INSERT INTO stream_interactions (stream_id, interaction_type) "
                          "VALUES (1, 'like')",
                    Catch::Contains("denied"));
  CHECK_THROWS_WITH(lp << "UPDATE live_streams SET status = 'ended'", Catch::Contains("denied"));

  // Without CREATE TEMPORARY TABLES the rows go as multi-row statements:
  // said once, and every tick still written.
  *site << "REVOKE CREATE TEMPORARY TABLES ON * FROM " + test_account;
  const long long before = query_int(*site, "SELECT MAX(last_tick_ms) FROM engagementd_leader");
  Child again({kBinary, "run", "-c", yaml}, db.dir() + "/daemon-again.log");
  REQUIRE(eventually([&] { return count_of(again.log(), "tick live=1 ") >= 3; }));
  again.signal(SIGTERM);
  REQUIRE(again.wait(20s) == 0);
  const std::string again_log = again.log();
  INFO(again_log);
  CHECK(count_of(again_log, "LOAD DATA LOCAL INFILE into temporary tables is not available") == 1);
  CHECK(count_of(again_log, "err=") == 0);
  CHECK(query_int(*site, "SELECT MAX(last_tick_ms) FROM engagementd_leader") > before);
  CHECK(query_int(*site,
                  "SELECT viewer_count - sim_viewers FROM live_streams ls JOIN "
                  "engagementd_stream_state st ON st.stream_id = ls.id WHERE ls.id = " +
                      std::to_string(id)) ==
        query_int(*site,
                  "SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 0 AND left_at IS "
                  "NULL AND stream_id = " +
                      std::to_string(id)));
  *site << "DROP USER " + test_account;
}

TEST_CASE(
    "time zone: with the server's zone Europe/Berlin the database clock runs on UTC through "
    "the change back from summer time, and the heartbeat TTL stays right",
    "[mysql-only]") {
  PrivateServer server;
  TestDatabase db;
  {
    // The server's time zone tables for Europe/Berlin, then its global zone:
    // every new session, the daemon's included, starts in it.
    const std::string conf = std::getenv("ENGAGEMENTD_TEST_MYSQL");
    const std::string port = conf.substr(
        conf.find("port=") + 5, conf.find(' ', conf.find("port=")) - conf.find("port=") - 5);
    std::string out;
    REQUIRE(run_command({"/bin/bash", "-c",
                         "mariadb-tzinfo-to-sql /usr/share/zoneinfo/Europe/Berlin Europe/Berlin | "
                         "mariadb --no-defaults -h127.0.0.1 -P" +
                             port + " -uengagementd_test -ptest mysql"},
                        out) == 0);
    auto admin = db.site();
    *admin << "SET GLOBAL time_zone = 'Europe/Berlin'";
  }
  auto store = db.migrated();
  auto berlin = db.site();  // a session of the site's, in the server's zone
  std::string zone;
  *berlin << "SELECT @@session.time_zone", soci::into(zone);
  REQUIRE(zone == "Europe/Berlin");
  session_of(*store) << "SELECT @@session.time_zone", soci::into(zone);
  CHECK(zone == "+00:00");

  // 2026-10-25 00:30 and 01:30 UTC are both 02:30 in Berlin (CEST, then CET).
  const long long before = 1792888200, after = before + 3600;
  const auto clock_at = [](soci::session& sql, long long t) {
    sql << "SET timestamp = " + std::to_string(t);
    return query_int(sql, "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)");
  };
  // What a session in the server's zone makes of it: the hour repeats.
  CHECK(clock_at(*berlin, after) == clock_at(*berlin, before));
  // The daemon's clock moves on by the hour.
  session_of(*store) << "SET timestamp = " + std::to_string(before);
  const std::int64_t t1 = store->now_ms();
  session_of(*store) << "SET timestamp = " + std::to_string(after);
  const std::int64_t t2 = store->now_ms();
  CHECK(t1 == before * 1000);
  CHECK(t2 - t1 == 3'600'000);
  session_of(*store) << "SET timestamp = DEFAULT";
  *berlin << "SET timestamp = DEFAULT";
  // And it is the epoch time of the client's clock (same machine).
  const auto client_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  CHECK(std::llabs(store->now_ms() - client_ms) < 5000);

  // The site writes its viewer rows from Berlin sessions; the daemon's UTC
  // session counts those seen within the TTL, and only those.
  REQUIRE(store->has_column("stream_viewers", "last_seen_at"));
  const long long id = add_stream(*berlin, "1, 1, 0, 0, 5, 3, 3, 1.0");
  *berlin << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, last_seen_at) VALUES (" +
                 std::to_string(id) + ", 'fresh', 0, NOW())";
  *berlin << "INSERT INTO stream_viewers (stream_id, session_id, is_fake, joined_at, last_seen_at)"
             " VALUES (" +
                 std::to_string(id) +
                 ", 'gone', 0, NOW() - INTERVAL 10 MINUTE, NOW() - INTERVAL 2 MINUTE)";
  const std::vector<LiveStream> live = store->read_live_streams(std::chrono::seconds(60));
  REQUIRE(live.size() == 1);
  CHECK(live[0].real.viewers == 1);
  *berlin << "SET GLOBAL time_zone = SYSTEM";
}

TEST_CASE(
    "TLS: verify_identity works with the test CA, a wrong CA or another name is refused, "
    "required and verify_ca encrypt",
    "[mysql-only]") {
  // A CA, a server certificate for 127.0.0.1 only, and a CA that signed nothing.
  const std::string dir = kBuildDir + "/tls-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string out;
  REQUIRE(
      run_command({"/bin/bash", "-c",
                   "set -e; cd '" + dir +
                       "'; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca"
                       " -keyout ca.key -out ca.pem 2>/dev/null;"
                       " openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wrong-ca"
                       " -keyout wrong.key -out wrong.pem 2>/dev/null;"
                       " openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key"
                       " -out server.csr 2>/dev/null;"
                       " printf 'subjectAltName=IP:127.0.0.1\\n' > ext;"
                       " openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                       " -days 2 -extfile ext -out server.pem 2>/dev/null"},
                  out) == 0);
  // Listening on two loopback addresses; the certificate names one.
  ::setenv("MARIADB_TEST_ARGS",
           ("--ssl-ca=" + dir + "/ca.pem --ssl-cert=" + dir + "/server.pem --ssl-key=" + dir +
            "/server.key --bind-address=127.0.0.1,127.0.0.2")
               .c_str(),
           1);
  PrivateServer server;
  ::unsetenv("MARIADB_TEST_ARGS");
  TestDatabase db;
  *db.site() << "CREATE USER IF NOT EXISTS 'engagementd_test'@'127.0.0.2' IDENTIFIED BY 'test'";
  *db.site() << "GRANT ALL PRIVILEGES ON *.* TO 'engagementd_test'@'127.0.0.2'";

  const auto cipher = [&](SslMode mode, const std::string& host, const std::string& ca) {
    DatabaseConfig c = db.config();
    c.host = host;
    c.ssl_mode = mode;
    c.ssl_ca = ca;
    auto store = Store::open(c, "test");
    std::string name, value;
    session_of(*store) << "SHOW SESSION STATUS LIKE 'Ssl_cipher'", soci::into(name),
        soci::into(value);
    return value;
  };
  const std::string ca = dir + "/ca.pem", wrong = dir + "/wrong.pem";
  CHECK_FALSE(cipher(SslMode::verify_identity, "127.0.0.1", ca).empty());
  CHECK_FALSE(cipher(SslMode::verify_ca, "127.0.0.2", ca).empty());
  CHECK_FALSE(cipher(SslMode::required, "127.0.0.1", "").empty());
  CHECK(cipher(SslMode::disabled, "127.0.0.1", "").empty());
  // A server whose certificate another CA signed, or that is not the host
  // connected to, gets no connection (and so no password).
  CHECK_THROWS_WITH(cipher(SslMode::verify_identity, "127.0.0.1", wrong),
                    Catch::Contains("cannot connect"));
  CHECK_THROWS_WITH(cipher(SslMode::verify_ca, "127.0.0.1", wrong),
                    Catch::Contains("cannot connect"));
  CHECK_THROWS_WITH(cipher(SslMode::verify_identity, "127.0.0.2", ca),
                    Catch::Contains("cannot connect"));
  // The daemon itself, on verify_identity: it ticks.
  const std::string yaml = with_database_keys(
      db.write_yaml(daemon_yaml()), "  ssl_mode: verify_identity\n  ssl_ca: " + ca + "\n");
  migrate(yaml);
  std::filesystem::remove_all(dir);
}
