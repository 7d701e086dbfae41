// engagementd on a 3-node Galera cluster on loopback, started by
// tests/galera/galera_test.sh (scripts/galera-test.sh) and named here by its
// client ports and its directory. The cases run in this file's order, in one
// process: the last one stops a node.
#define CATCH_CONFIG_RUNNER
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/shard_hash.hpp"
#include "support/process.hpp"
#include "support/test_db.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace std::chrono_literals;

namespace {

int g_ports[3] = {0, 0, 0};
std::string g_cluster_dir;
int g_db_counter = 0;

const std::string kBinary = ENGAGEMENTD_BINARY;
// like_rate 3000/min at multiplier 10: 50 simulated likes a second.
const char* const kBusyConfig = "1, 1, 10, 10, 5, 3, 3000, 10.0";
const char* const kFastConfig = "1, 1, 10, 10, 5, 3, 30000, 10.0";
constexpr double kFastLikesPerMs = 30000.0 / 60000.0;

std::string node_conn(int node, const std::string& db) {
  return "db=" + db + " host=127.0.0.1 port=" + std::to_string(g_ports[node - 1]) +
         " user=engagementd_test password=test";
}

std::unique_ptr<soci::session> connect(int node, const std::string& db) {
  return std::make_unique<soci::session>(soci::mysql, node_conn(node, db));
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A database of one test on the cluster: created through node 1, dropped
// at the end; one engagementd.yaml per node.
class ClusterDatabase {
 public:
  ClusterDatabase() {
    name_ = "engagementd_g" + std::to_string(::getpid()) + "_" + std::to_string(g_db_counter++);
    dir_ = g_cluster_dir + "/" + name_;
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/db-password") << "test\n";
    std::filesystem::permissions(dir_ + "/db-password", std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write);
    auto admin = connect(1, "mysql");
    *admin << "DROP DATABASE IF EXISTS " + name_;
    *admin << "CREATE DATABASE " + name_ + " CHARACTER SET utf8mb4";
    // Every node has it before a test connects there (a causal read waits
    // for the node to apply what the cluster committed before it).
    for (int node = 2; node <= 3; ++node) {
      auto s = connect(node, "mysql");
      *s << "SET SESSION wsrep_sync_wait = 1";
      query_int(*s, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                        name_ + "'");
    }
  }
  ~ClusterDatabase() {
    try {
      for (int node = 1; node <= 3; ++node) {
        try {
          auto admin = connect(node, "mysql");
          *admin << "DROP DATABASE IF EXISTS " + name_;
          break;
        } catch (...) {
        }
      }
    } catch (...) {
    }
  }
  const std::string& name() const { return name_; }
  const std::string& dir() const { return dir_; }
  std::unique_ptr<soci::session> site(int node) const { return connect(node, name_); }
  // engagementd.yaml for an instance connected to `node`.
  std::string yaml(int node, const std::string& extra, const std::string& tag = "") const {
    const std::string path = dir_ + "/n" + std::to_string(node) + tag + ".yaml";
    std::ofstream(path, std::ios::trunc)
        << "database:\n  backend: mysql\n  host: 127.0.0.1\n  port: " << g_ports[node - 1]
        << "\n  name: " << name_ << "\n  user: engagementd_test\n  password_file: " << dir_
        << "/db-password\n"
        << extra;
    return path;
  }
  void migrate(int node = 1) const {
    std::string out;
    const int rc = run_command({kBinary, "migrate", "-c", yaml(node, "")}, out);
    INFO(out);
    REQUIRE(rc == 0);
  }

 private:
  std::string name_, dir_;
};

std::string daemon_yaml(const std::string& tick, const std::string& lease,
                        const std::string& extra = "") {
  return "tick:\n  interval: " + tick + "\n  max_catchup: 60s\nleadership:\n  lease: " + lease +
         "\nlog:\n  level: info\n" + extra;
}

long long add_stream(soci::session& sql, const std::string& status = "live",
                     const char* config = kBusyConfig) {
  sql << "INSERT INTO live_streams (vendor_id, title, status, started_at) VALUES (7, 'A stream', "
         "'" +
             status + "', NOW())";
  const long long id = query_int(sql, "SELECT LAST_INSERT_ID()");
  if (config != nullptr) {
    sql << "INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, "
           "fake_likes_enabled, min_fake_viewers, max_fake_viewers, viewer_increase_rate, "
           "viewer_decrease_rate, like_rate, engagement_multiplier) VALUES (" +
               std::to_string(id) + ", " + config + ")";
  }
  return id;
}

// Site clients inserting likes as fast as they can, each on its own session
// through the node given, for `duration`.
struct LoadResult {
  long long ok = 0;
  long long failed = 0;
  std::map<int, long long> errors;  // MariaDB error number -> count
  double seconds = 0;
  long long conflicts = 0;  // the cluster's conflict counters meanwhile
  double rate() const { return seconds > 0 ? ok / seconds : 0; }
};

// Transactions the cluster aborted or refused for a conflict, all nodes:
// certification failures and brute-force aborts (including those the
// server then retried by itself, wsrep_retry_autocommit).
long long cluster_conflicts() {
  long long n = 0;
  for (int node = 1; node <= 3; ++node) {
    try {
      auto s = connect(node, "mysql");
      n += query_int(*s,
                     "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE "
                     "VARIABLE_NAME IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')");
    } catch (const std::exception&) {
    }
  }
  return n;
}

LoadResult insert_likes(const ClusterDatabase& db, long long stream, const std::vector<int>& nodes,
                        std::chrono::milliseconds duration) {
  const long long conflicts_before = cluster_conflicts();
  std::vector<std::thread> clients;
  std::vector<LoadResult> each(nodes.size());
  std::atomic<bool> go{false};
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    clients.emplace_back([&, i] {
      auto sql = db.site(nodes[i]);
      // The stream's row as this node has it (it was just made through another).
      *sql << "SET SESSION wsrep_sync_wait = 1";
      query_int(*sql, "SELECT COUNT(*) FROM live_streams WHERE id = " + std::to_string(stream));
      *sql << "SET SESSION wsrep_sync_wait = 0";
      while (!go) std::this_thread::yield();
      const auto end = std::chrono::steady_clock::now() + duration;
      const std::string insert =
          "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake) VALUES (" +
          std::to_string(stream) + ", 'like', 0)";
      while (std::chrono::steady_clock::now() < end) {
        try {
          *sql << insert;
          ++each[i].ok;
        } catch (const soci::mysql_soci_error& e) {
          ++each[i].failed;
          ++each[i].errors[static_cast<int>(e.err_num_)];
        } catch (const soci::soci_error&) {
          ++each[i].failed;
          ++each[i].errors[0];
        }
      }
    });
  }
  go = true;
  for (auto& c : clients) c.join();
  LoadResult all;
  all.seconds = seconds_since(start);
  for (const LoadResult& r : each) {
    all.ok += r.ok;
    all.failed += r.failed;
    for (const auto& [n, c] : r.errors) all.errors[n] += c;
  }
  all.conflicts = cluster_conflicts() - conflicts_before;
  return all;
}

std::string describe(const LoadResult& r) {
  std::string errors;
  for (const auto& [n, c] : r.errors) {
    errors += (errors.empty() ? " (" : ", ") + std::to_string(c) + " x " + std::to_string(n);
  }
  if (!errors.empty()) errors += ")";
  return std::to_string(r.ok) + " likes in " + fixed(r.seconds) + " s = " + fixed(r.rate(), 0) +
         " likes/s, " + std::to_string(r.failed) + " failed INSERTs" + errors + "; " +
         std::to_string(r.conflicts) + " conflicts in the cluster";
}

// Kept real likes of a stream (engagementd_real_counts plus what is still
// to fold) and the likes counted from the site's rows.
std::pair<long long, long long> kept_and_counted(soci::session& sql, long long stream) {
  const std::string id = std::to_string(stream);
  const long long kept = query_int(
      sql, "SELECT COALESCE((SELECT likes FROM engagementd_real_counts WHERE stream_id = " + id +
               "), 0) + COALESCE((SELECT SUM(likes) FROM engagementd_real_deltas WHERE "
               "stream_id = " +
               id + "), 0)");
  const long long counted =
      query_int(sql, "SELECT COUNT(*) FROM stream_interactions WHERE stream_id = " + id +
                         " AND is_fake = 0 AND interaction_type = 'like'");
  return {kept, counted};
}

// The lease row of shard 0 as a node sees it.
struct LeaseRow {
  std::string holder;
  long long token = 0, expires_ms = 0, last_tick_ms = 0;
};
LeaseRow lease_of(soci::session& sql, int shard = 0) {
  LeaseRow r;
  sql << "SELECT holder, token, expires_ms, last_tick_ms FROM engagementd_leader WHERE shard = "
      << shard,
      soci::into(r.holder), soci::into(r.token), soci::into(r.expires_ms),
      soci::into(r.last_tick_ms);
  return r;
}

std::string holder_in(const std::string& log) {
  const std::string mark = " as ";
  const auto at = log.rfind("took the leadership lease");
  if (at == std::string::npos) return {};
  const auto as = log.find(mark, at) + mark.size();
  return log.substr(as, log.find(' ', as) - as);
}

}  // namespace

TEST_CASE(
    "site likes on one stream through two nodes: no failed INSERT with the triggers, "
    "kept counts exact") {
  ClusterDatabase db;
  db.migrate();
  auto site1 = db.site(1);
  const long long stream = add_stream(*site1);
  Child daemon({kBinary, "run", "-c", db.yaml(1, daemon_yaml("1s", "3s"))}, db.dir() + "/d.log");
  REQUIRE(eventually(
      [&] { return daemon.log().find("took the leadership lease") != std::string::npos; }));
  const auto len = 5000ms;
  const LoadResult one = insert_likes(db, stream, {2, 2, 2, 2, 2, 2, 2, 2}, len);
  const LoadResult two = insert_likes(db, stream, {2, 2, 2, 2, 3, 3, 3, 3}, len);
  std::cout << "[galera] 8 clients, one stream, triggers present, ticks every 1 s:\n"
            << "  through node 2:          " << describe(one) << "\n"
            << "  through nodes 2 and 3:   " << describe(two) << std::endl;
  CHECK(one.failed == 0);
  CHECK(two.failed == 0);
  CHECK(one.ok > 0);
  CHECK(two.ok > 0);
  // Every like is kept once, as every node sees it, once the tick folded it.
  CHECK(eventually(
      [&] {
        for (int node = 1; node <= 3; ++node) {
          auto s = db.site(node);
          const auto [kept, counted] = kept_and_counted(*s, stream);
          if (kept != counted || counted != one.ok + two.ok) return false;
          if (query_int(*s, "SELECT COUNT(*) FROM engagementd_real_deltas") != 0) return false;
        }
        return true;
      },
      20s));
  for (int node = 1; node <= 3; ++node) {
    auto s = db.site(node);
    const auto [kept, counted] = kept_and_counted(*s, stream);
    INFO("node " << node);
    CHECK(kept == counted);
    CHECK(counted == one.ok + two.ok);
    std::cout << "  node " << node << ": kept likes " << kept << ", counted " << counted
              << ", inserted " << one.ok + two.ok << std::endl;
  }
  CHECK(daemon.log().find("reconnect") == std::string::npos);

  // The same load without engagementd's triggers on stream_interactions.
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == std::optional<int>(0));
  for (const char* t : {"engagementd_interactions_insert", "engagementd_interactions_update",
                        "engagementd_interactions_delete"}) {
    *site1 << std::string("DROP TRIGGER IF EXISTS ") + t;
  }
  const LoadResult bare_one = insert_likes(db, stream, {2, 2, 2, 2, 2, 2, 2, 2}, len);
  const LoadResult bare_two = insert_likes(db, stream, {2, 2, 2, 2, 3, 3, 3, 3}, len);
  std::cout << "[galera] the same without engagementd's triggers:\n"
            << "  through node 2:          " << describe(bare_one) << "\n"
            << "  through nodes 2 and 3:   " << describe(bare_two) << std::endl;
}

TEST_CASE("site likes through two nodes with the production foreign key to live_streams") {
  // The production schema has stream_interactions.stream_id REFERENCES
  // live_streams(id): each like then certifies against the stream's row,
  // which the tick updates (its display numbers).
  ClusterDatabase db;
  db.migrate();
  auto site1 = db.site(1);
  *site1 << "ALTER TABLE stream_interactions ADD CONSTRAINT stream_interactions_ibfk_1"
            " FOREIGN KEY (stream_id) REFERENCES live_streams (id) ON DELETE CASCADE";
  const long long stream = add_stream(*site1);
  const LoadResult none = insert_likes(db, stream, {2, 2, 2, 2, 3, 3, 3, 3}, 5000ms);
  Child daemon({kBinary, "run", "-c", db.yaml(1, daemon_yaml("1s", "3s"))}, db.dir() + "/d.log");
  REQUIRE(eventually(
      [&] { return daemon.log().find("took the leadership lease") != std::string::npos; }));
  const LoadResult ticking = insert_likes(db, stream, {2, 2, 2, 2, 3, 3, 3, 3}, 5000ms);
  std::cout << "[galera] with the foreign key, 8 clients through nodes 2 and 3:\n"
            << "  no daemon running:       " << describe(none) << "\n"
            << "  ticks every 1 s:         " << describe(ticking) << std::endl;
  // How the tick fares: each like's foreign key check takes a share lock on
  // the stream's row, which the tick's display write locks too.
  const std::string log = daemon.log();
  std::cout << "  the tick meanwhile: " << count_of(log, "tick live=") << " ticks committed, "
            << count_of(log, "tick rolled back") << " rolled back and retried, "
            << count_of(log, "lost a race") << " lost races" << std::endl;
  CHECK(ticking.failed == 0);
  CHECK(eventually(
      [&] {
        const auto [kept, counted] = kept_and_counted(*site1, stream);
        return kept == counted && counted == none.ok + ticking.ok;
      },
      20s));
}

TEST_CASE("a stream going live while likes arrive through another node is counted exactly") {
  ClusterDatabase db;
  db.migrate();
  auto site1 = db.site(1);
  Child daemon({kBinary, "run", "-c", db.yaml(1, daemon_yaml("300ms", "3s"))}, db.dir() + "/d.log");
  REQUIRE(eventually(
      [&] { return daemon.log().find("took the leadership lease") != std::string::npos; }));
  long long off_total = 0;
  const int trials = 5;
  for (int trial = 0; trial < trials; ++trial) {
    const long long stream = add_stream(*site1, "scheduled");
    std::atomic<bool> stop{false};
    std::atomic<long long> inserted{0}, failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        auto sql = db.site(c % 2 == 0 ? 2 : 3);
        while (!stop) {
          try {
            *sql << "INSERT INTO stream_interactions (stream_id, interaction_type, is_fake)"
                    " VALUES (" +
                        std::to_string(stream) + ", 'like', 0)";
            ++inserted;
          } catch (const soci::soci_error&) {
            ++failed;
          }
        }
      });
    }
    std::this_thread::sleep_for(700ms + 100ms * trial);
    // Live through node 3: the leader (node 1) counts it first while likes
    // keep arriving through nodes 2 and 3.
    {
      auto site3 = db.site(3);
      *site3 << "UPDATE live_streams SET status = 'live' WHERE id = " + std::to_string(stream);
    }
    std::this_thread::sleep_for(1500ms);
    stop = true;
    for (auto& t : clients) t.join();
    // Once the last likes are folded, the kept count is the count.
    long long kept = -1, counted = -2;
    eventually(
        [&] {
          auto s = db.site(1);
          if (query_int(*s, "SELECT COUNT(*) FROM engagementd_real_deltas WHERE stream_id = " +
                                std::to_string(stream)) != 0) {
            return false;
          }
          std::tie(kept, counted) = kept_and_counted(*s, stream);
          return kept == counted;
        },
        10s);
    std::cout << "[galera] first count, trial " << trial + 1 << ": " << inserted
              << " likes through nodes 2 and 3 (" << failed << " failed), kept " << kept
              << ", counted " << counted << std::endl;
    CHECK(failed == 0);
    CHECK(counted == inserted);
    CHECK(kept == counted);
    off_total += std::llabs(kept - counted);
  }
  std::cout << "[galera] first count: likes missing or doubled over " << trials
            << " trials: " << off_total << std::endl;
  CHECK(daemon.log().find("reconnect") == std::string::npos);
}

TEST_CASE("three migrate at once on three nodes all succeed") {
  ClusterDatabase db;
  std::vector<std::thread> runs;
  int rc[3] = {-1, -1, -1};
  std::string out[3];
  const auto t0 = std::chrono::steady_clock::now();
  for (int node = 1; node <= 3; ++node) {
    const std::string yaml = db.yaml(node, "");
    runs.emplace_back([&, node, yaml] {
      rc[node - 1] = run_command({kBinary, "migrate", "-c", yaml}, out[node - 1]);
    });
  }
  for (auto& t : runs) t.join();
  std::cout << "[galera] three migrate at once: exit codes " << rc[0] << " " << rc[1] << " "
            << rc[2] << " in " << fixed(seconds_since(t0)) << " s" << std::endl;
  for (int node = 1; node <= 3; ++node) {
    INFO("migrate on node " << node << ":\n" << out[node - 1]);
    CHECK(rc[node - 1] == 0);
    auto s = db.site(node);
    CHECK(query_int(*s, "SELECT MAX(version) FROM engagementd_schema_version") == 12);
    CHECK(query_int(*s, "SELECT COUNT(*) FROM engagementd_migration_lock") == 0);
  }
  // Exactly one of them applied the migrations.
  int applied = 0;
  for (const std::string& o : out)
    applied += o.find("applying schema migration") != std::string::npos;
  CHECK(applied == 1);
}

TEST_CASE("a stalled lease holder through another node: no session ended, the standby leads") {
  ClusterDatabase db;
  db.migrate();
  auto site1 = db.site(1);
  add_stream(*site1);
  // An idle session on node 2 whose connection id the stalled holder's stamp
  // carries (ids are per node: the same number names another session here).
  auto idle2 = db.site(2);
  const long long idle_id = query_int(*idle2, "SELECT CONNECTION_ID()");
  // The holder, through node 1: an unexpired lease of someone else's, then
  // stalled in the middle of a tick with the row locked and stamped.
  *site1 << "UPDATE engagementd_leader SET holder = 'stalled:1:x', token = 7,"
            " expires_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) + 1500,"
            " last_tick_ms = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) WHERE shard = 0";
  auto stalled = db.site(1);
  *stalled << "BEGIN";
  *stalled << "SELECT holder FROM engagementd_leader WHERE shard = 0 FOR UPDATE";
  *stalled << "UPDATE engagementd_leader SET connection_id = " + std::to_string(idle_id) +
                  ", lock_account = CURRENT_USER(), lock_nonce = lock_nonce + 1,"
                  " lock_node = 'node1' WHERE shard = 0";
  const auto t0 = std::chrono::steady_clock::now();
  Child standby({kBinary, "run", "-c", db.yaml(2, daemon_yaml("500ms", "1500ms"))},
                db.dir() + "/b.log");
  REQUIRE(eventually(
      [&] { return standby.log().find("took the leadership lease") != std::string::npos; }, 15s));
  const double took = seconds_since(t0);
  std::cout << "[galera] stalled holder on node 1 (lease 1.5 s): the standby on node 2 led after "
            << fixed(took) << " s" << std::endl;
  CHECK(took < 1.5 + 0.5 + 2.0);
  // The idle session on node 2 is alive; the stalled transaction on node 1
  // was aborted by the cluster, not by a KILL.
  CHECK(query_int(*idle2, "SELECT 1") == 1);
  bool aborted = false;
  try {
    *stalled << "COMMIT";
  } catch (const soci::soci_error& e) {
    aborted = true;
    std::cout << "[galera] the stalled transaction on node 1 ended by the cluster: "
              << e.get_error_message() << std::endl;
  }
  CHECK(aborted);
  const std::string log = standby.log();
  INFO(log);
  CHECK(log.find("ending its connection") == std::string::npos);
  CHECK(log.find("KILL") == std::string::npos);
  CHECK(eventually([&] { return lease_of(*site1).holder == holder_in(standby.log()); }));
}

TEST_CASE("streams created through one node spread over every shard, each ticked by one instance") {
  ClusterDatabase db;
  db.migrate();
  auto site2 = db.site(2);
  REQUIRE(query_int(*site2, "SELECT @@auto_increment_increment") == 3);
  std::set<long long> ids;
  for (int i = 0; i < 30; ++i) ids.insert(add_stream(*site2));
  std::vector<int> per(3, 0);
  for (long long id : ids) ++per[static_cast<std::size_t>(shard_of(id, 3))];
  std::cout << "[galera] 30 streams created through node 2 (ids step 3): per shard " << per[0]
            << " " << per[1] << " " << per[2] << std::endl;
  for (int c : per) CHECK(c > 0);
  std::vector<std::unique_ptr<Child>> instances;
  for (int i = 0; i < 3; ++i) {
    instances.push_back(std::make_unique<Child>(
        std::vector<std::string>{
            kBinary, "run", "-c",
            db.yaml(i + 1,
                    daemon_yaml("500ms", "2s",
                                "shard:\n  index: " + std::to_string(i) + "\n  count: 3\n"))},
        db.dir() + "/s" + std::to_string(i) + ".log"));
  }
  // Every stream simulated, each shard by its own instance.
  CHECK(eventually(
      [&] { return query_int(*site2, "SELECT COUNT(*) FROM engagementd_stream_state") == 30; },
      20s));
  auto s1 = db.site(1);
  for (int i = 0; i < 3; ++i) {
    const LeaseRow l = lease_of(*s1, i);
    INFO("shard " << i);
    CHECK(!l.holder.empty());
    CHECK(l.holder == holder_in(instances[static_cast<std::size_t>(i)]->log()));
    CHECK(instances[static_cast<std::size_t>(i)]->log().find(
              "tick live=" + std::to_string(per[static_cast<std::size_t>(i)]) + " ") !=
          std::string::npos);
  }
}

TEST_CASE(
    "identical instances with shard.count alone split the shards and take over a dead "
    "one's") {
  ClusterDatabase db;
  db.migrate();
  auto site2 = db.site(2);
  std::set<long long> ids;
  for (int i = 0; i < 30; ++i) ids.insert(add_stream(*site2));
  std::vector<std::unique_ptr<Child>> inst;
  const auto t0 = std::chrono::steady_clock::now();
  for (int node = 1; node <= 3; ++node) {
    inst.push_back(std::make_unique<Child>(
        std::vector<std::string>{
            kBinary, "run", "-c",
            db.yaml(node, daemon_yaml("500ms", "2s", "shard:\n  count: 3\n"), "auto")},
        db.dir() + "/a" + std::to_string(node) + ".log"));
  }
  auto s1 = db.site(1);
  // Each shard held, by three different instances.
  const auto holders = [&] {
    std::set<std::string> out;
    for (int shard = 0; shard < 3; ++shard) {
      const LeaseRow l = lease_of(*s1, shard);
      if (!l.holder.empty() && l.expires_ms > query_int(*s1,
                                                        "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) "
                                                        "* 1000 AS SIGNED)")) {
        out.insert(l.holder);
      }
    }
    return out;
  };
  CHECK(eventually([&] { return holders().size() == 3; }, 30s));
  std::cout << "[galera] 3 instances with shard.count 3 and no index: one shard each after "
            << fixed(seconds_since(t0)) << " s" << std::endl;
  CHECK(eventually(
      [&] { return query_int(*s1, "SELECT COUNT(*) FROM engagementd_stream_state") == 30; }, 10s));
  // kill -9 of one: its shard goes to one of the two others.
  const std::string dead = [&] {
    const std::string log = inst[0]->log();
    const auto at = log.find(" instance ");
    return at == std::string::npos
               ? std::string()
               : log.substr(at + 10, log.find_first_of(" \n", at + 10) - at - 10);
  }();
  int dead_shard = -1;
  for (int shard = 0; shard < 3; ++shard) {
    if (lease_of(*s1, shard).holder.rfind(dead, 0) == 0 && !dead.empty()) dead_shard = shard;
  }
  INFO("instance 1 is " << dead << "\n" << inst[0]->log());
  REQUIRE(dead_shard >= 0);
  const long long before =
      query_int(*s1, "SELECT last_tick_ms FROM engagementd_leader WHERE shard = " +
                         std::to_string(dead_shard));
  const auto k0 = std::chrono::steady_clock::now();
  ::kill(inst[0]->pid(), SIGKILL);
  inst[0]->wait(5s);
  REQUIRE(eventually(
      [&] {
        const LeaseRow l = lease_of(*s1, dead_shard);
        return l.holder.rfind(dead, 0) != 0 && l.last_tick_ms > before;
      },
      30s));
  const double took = seconds_since(k0);
  std::cout << "[galera] kill -9 of the instance holding shard " << dead_shard
            << ": taken over after " << fixed(took) << " s (lease 2 s, tick 0.5 s)" << std::endl;
  CHECK(took <= 2.0 + 3 * 0.5 + 1.5);
  CHECK(eventually([&] { return holders().size() == 2; }, 10s));
}

TEST_CASE("doctor reports the cluster") {
  ClusterDatabase db;
  db.migrate();
  std::string out;
  const int rc = run_command({kBinary, "doctor", "-c", db.yaml(2, "")}, out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("Galera cluster of 3 node(s); this node is node2 (Synced, Primary)") !=
        std::string::npos);
  CHECK(out.find("auto_increment_increment = 3 (offset ") != std::string::npos);
  CHECK(out.find("wsrep_sync_wait = 0") != std::string::npos);
  CHECK(out.find("log_bin_trust_function_creators = 0, but this account has SUPER") !=
        std::string::npos);
  std::cout << "[galera] doctor on node 2:\n" << out << std::endl;
}

TEST_CASE(
    "kill -9 of the leader, then SIGTERM of the leader's node: a standby on another node "
    "leads within lease + one tick, no tick doubled") {
  ClusterDatabase db;
  db.migrate();
  auto site3 = db.site(3);
  // 500 simulated likes a second: a tick applied twice would show.
  const long long stream = add_stream(*site3, "live", kFastConfig);
  const double lease_s = 2.0, tick_s = 0.5;
  std::vector<std::unique_ptr<Child>> inst(3);
  for (int node = 1; node <= 3; ++node) {
    inst[static_cast<std::size_t>(node - 1)] = std::make_unique<Child>(
        std::vector<std::string>{kBinary, "run", "-c", db.yaml(node, daemon_yaml("500ms", "2s"))},
        db.dir() + "/i" + std::to_string(node) + ".log");
    if (node == 1) {
      REQUIRE(eventually(
          [&] { return inst[0]->log().find("took the leadership lease") != std::string::npos; }));
    }
  }
  // Which instance leads, by its lease row.
  const auto leader = [&](soci::session& sql) {
    const std::string h = lease_of(sql).holder;
    for (int i = 0; i < 3; ++i) {
      if (inst[static_cast<std::size_t>(i)] &&
          holder_in(inst[static_cast<std::size_t>(i)]->log()) == h && !h.empty()) {
        return i + 1;
      }
    }
    return 0;
  };
  std::this_thread::sleep_for(3s);
  const long long first_tick = lease_of(*site3).last_tick_ms;
  const long long likes_before =
      query_int(*site3, "SELECT sim_likes FROM engagementd_stream_state WHERE stream_id = " +
                            std::to_string(stream));
  int lead = leader(*site3);
  REQUIRE(lead == 1);

  // kill -9 of the leader (instance on node 1).
  const LeaseRow before = lease_of(*site3);
  auto t0 = std::chrono::steady_clock::now();
  ::kill(inst[0]->pid(), SIGKILL);
  inst[0]->wait(5s);
  REQUIRE(eventually([&] { return lease_of(*site3).holder != before.holder; }, 20s));
  const double kill9 = seconds_since(t0);
  lead = 0;
  eventually([&] { return (lead = leader(*site3)) != 0; }, 5s);
  std::cout << "[galera] kill -9 of the leader on node 1: instance on node " << lead
            << " led after " << fixed(kill9) << " s (lease " << lease_s << " s, tick " << tick_s
            << " s)" << std::endl;
  // Lease + one tick, and a margin for a loaded machine (the tests run in
  // parallel) and this test's own polling.
  const double margin = 1.5;
  CHECK(kill9 <= lease_s + tick_s + margin);
  REQUIRE((lead == 2 || lead == 3));

  // SIGTERM of the node the new leader is connected to.
  const int other = lead == 2 ? 3 : 2;
  auto survivor = db.site(other);
  std::this_thread::sleep_for(2s);
  const LeaseRow before2 = lease_of(*survivor);
  const pid_t node_pid =
      std::stoi(read_file(g_cluster_dir + "/node" + std::to_string(lead) + "/mariadbd.pid"));
  t0 = std::chrono::steady_clock::now();
  ::kill(node_pid, SIGTERM);
  REQUIRE(eventually(
      [&] {
        try {
          return lease_of(*survivor).holder != before2.holder;
        } catch (...) {
          survivor = db.site(other);
          return false;
        }
      },
      40s));
  const double term = seconds_since(t0);
  std::cout << "[galera] SIGTERM of node " << lead << " (the leader's): instance on node " << other
            << " led after " << fixed(term) << " s" << std::endl;
  CHECK(term <= lease_s + tick_s + margin);
  CHECK(holder_in(inst[static_cast<std::size_t>(other - 1)]->log()) == lease_of(*survivor).holder);

  // The simulated likes over the whole run match the time the lease covers:
  // no tick lost or applied twice through both takeovers.
  std::this_thread::sleep_for(3s);
  const long long last_tick = lease_of(*survivor).last_tick_ms;
  const long long likes =
      query_int(*survivor, "SELECT sim_likes FROM engagementd_stream_state WHERE stream_id = " +
                               std::to_string(stream));
  const double expected = kFastLikesPerMs * static_cast<double>(last_tick - first_tick);
  const double got = static_cast<double>(likes - likes_before);
  std::cout << "[galera] simulated likes over " << fixed((last_tick - first_tick) / 1000.0)
            << " s with two takeovers: " << got << ", expected " << fixed(expected, 0) << " +- "
            << fixed(5 * std::sqrt(expected), 0) << std::endl;
  CHECK(std::fabs(got - expected) <= 5 * std::sqrt(expected) + 2);
  for (int i = 1; i < 3; ++i) {
    const std::string log = inst[static_cast<std::size_t>(i)]->log();
    INFO("instance on node " << i + 1 << ":\n" << log.substr(0, 4000));
    CHECK(log.find("ending its connection") == std::string::npos);
  }
}

int main(int argc, char* argv[]) {
  Catch::Session session;
  std::string ports;
  using Catch::clara::Opt;
  session.cli(session.cli() | Opt(ports, "\"P1 P2 P3\"")["--ports"]("the nodes' client ports") |
              Opt(g_cluster_dir, "DIR")["--cluster"]("the cluster's directory (galera-test.sh)"));
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  std::istringstream in(ports);
  if (!(in >> g_ports[0] >> g_ports[1] >> g_ports[2]) || g_cluster_dir.empty()) {
    std::cerr << "galera_tests needs --ports \"P1 P2 P3\" and --cluster DIR (run it through "
                 "tests/galera/galera_test.sh, which starts the cluster)\n";
    return 2;
  }
  return session.run();
}
