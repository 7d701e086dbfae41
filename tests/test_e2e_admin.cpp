// End to end with the real binary: the kill switch by YAML reload, and the
// operator's config and report commands, on SQLite and MariaDB.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <thread>

#include "process.hpp"
#include "site.hpp"

using namespace engagementd;
using namespace engagementd::test;
using namespace engagementd::test::site;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

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
