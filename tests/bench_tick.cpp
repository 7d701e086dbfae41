// Tick benchmark on the test MariaDB: prints figures, asserts nothing.
//   tick_bench [--streams 1000,10000,100000] [--ticks 3] [--interval-ms 5000]
// For each N it creates a fresh database with N live streams and realistic
// real rows, then measures three scenarios:
//   first       the first tick: config rows, state rows and displays created
//   all-change  a restart after a minute's pause: (nearly) every stream changes
//   steady      ticks every --interval-ms: typical churn, few rows change
// and, in the same run, the floor: one server-side statement (UPDATE ... JOIN
// adding constants) writing the same display and state rows, and its commit.
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_db.hpp"
#include "tick.hpp"

using namespace engagementd;
using namespace engagementd::test;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void populate(soci::session& sql, long long n) {
  const std::string N = std::to_string(n);
  const std::string ended = std::to_string(std::max<long long>(1, n / 10));
  // Live streams, plus ended ones whose rows the aggregation must not scan.
  sql << "INSERT INTO live_streams (vendor_id, title, status, started_at) SELECT seq % 1000,"
         " CONCAT('stream ', seq), 'live', NOW() - INTERVAL (seq % 3600) SECOND FROM seq_1_to_" + N;
  sql << "INSERT INTO live_streams (vendor_id, title, status, started_at, ended_at) SELECT"
         " seq % 1000, CONCAT('old ', seq), 'archived', NOW() - INTERVAL 1 DAY, NOW() - INTERVAL"
         " 20 HOUR FROM seq_1_to_" + ended;
  // Per live stream: 3 open real sessions, 5 closed ones; a fake leftover on every 10th.
  sql << "INSERT INTO stream_viewers (stream_id, user_id, session_id, is_fake, left_at)"
         " SELECT ls.id, s.seq, CONCAT(ls.id, '-o', s.seq), 0, NULL FROM live_streams ls"
         " JOIN seq_1_to_3 s WHERE ls.status = 'live'";
  sql << "INSERT INTO stream_viewers (stream_id, user_id, session_id, is_fake, left_at)"
         " SELECT ls.id, NULL, CONCAT(ls.id, '-c', s.seq), 0, NOW() FROM live_streams ls"
         " JOIN seq_1_to_5 s";
  sql << "INSERT INTO stream_viewers (stream_id, session_id, is_fake) SELECT id,"
         " CONCAT(id, '-fake'), 1 FROM live_streams WHERE id % 10 = 0";
  // 10 likes (every 5th an old fake one), 3 comments, 1 dislike.
  sql << "INSERT INTO stream_interactions (stream_id, user_id, interaction_type, is_fake)"
         " SELECT ls.id, s.seq, 'like', s.seq % 5 = 0 FROM live_streams ls JOIN seq_1_to_10 s";
  sql << "INSERT INTO stream_interactions (stream_id, user_id, interaction_type, comment_text,"
         " is_fake) SELECT ls.id, s.seq, 'comment', 'nice', 0 FROM live_streams ls JOIN seq_1_to_3 s";
  sql << "INSERT INTO stream_interactions (stream_id, user_id, interaction_type, is_fake)"
         " SELECT id, 1, 'dislike', 0 FROM live_streams";
  sql << "ANALYZE TABLE live_streams, stream_viewers, stream_interactions";
}

// One statement writing the same display and state rows, no client data.
double floor_ms(soci::session& sql) {
  const auto t = Clock::now();
  soci::transaction tx(sql);
  sql << "UPDATE live_streams ls JOIN engagementd_stream_state st ON st.stream_id = ls.id"
         " SET ls.viewer_count = ls.viewer_count + 1, ls.max_viewers = ls.max_viewers + 1,"
         " ls.like_count = ls.like_count + 1, ls.updated_at = ls.updated_at,"
         " st.sim_viewers = st.sim_viewers + 1, st.sim_likes = st.sim_likes + 1,"
         " st.peak_viewers = st.peak_viewers + 1, st.last_tick_ms = st.last_tick_ms + 1"
         " WHERE ls.status = 'live'";
  tx.commit();
  return ms_since(t);
}

struct Line {
  std::string scenario;
  std::vector<TickReport> reports;
};

void print(long long n, const std::string& scenario, const std::vector<TickReport>& rs,
           double floor) {
  std::vector<double> read, step, write, total;
  std::size_t rows = 0;
  for (const auto& r : rs) {
    read.push_back(r.read_ms);
    step.push_back(r.step_ms);
    write.push_back(r.write_ms);
    total.push_back(r.total_ms);
    rows += r.displays_written + r.states_written + r.configs_created;
  }
  const double t = median(total);
  const double rows_per_tick = static_cast<double>(rows) / static_cast<double>(rs.size());
  std::printf("%9lld  %-10s  %8.1f  %8.1f  %8.1f  %9.1f  %9.0f  %9.0f  %8.1f  %6.2f\n", n,
              scenario.c_str(), median(read), median(step), median(write), t, rows_per_tick,
              rows_per_tick / (t / 1000.0), floor, t / floor);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<long long> sizes = {1000, 10000, 100000};
  int ticks = 3;
  int interval_ms = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--streams") {
      sizes.clear();
      std::stringstream ss(v);
      std::string part;
      while (std::getline(ss, part, ',')) sizes.push_back(std::stoll(part));
    } else if (a == "--ticks") {
      ticks = std::stoi(v);
    } else if (a == "--interval-ms") {
      interval_ms = std::stoi(v);
    } else {
      std::cerr << "usage: tick_bench [--streams N,N] [--ticks K] [--interval-ms MS]\n";
      return 2;
    }
  }
  set_backend(Backend::mysql);
  std::printf("# engagementd tick benchmark (MariaDB, medians of %d ticks; ms)\n", ticks);
  std::printf("# %7s  %-10s  %8s  %8s  %8s  %9s  %9s  %9s  %8s  %6s\n", "streams", "scenario",
              "read", "step", "write", "total", "rows", "rows/s", "floor", "ratio");
  try {
    for (const long long n : sizes) {
      TestDatabase db;
      auto store = db.migrated();
      auto site = db.site();
      populate(*site, n);
      TickSettings settings;
      settings.max_catchup = std::chrono::seconds(60);

      std::vector<TickReport> first, all, steady;
      std::vector<double> floors;
      {
        TickEngine engine(*store, quiet_logger(), 1);
        first.push_back(engine.run(settings));
      }
      floors.push_back(floor_ms(*site));
      for (int k = 0; k < ticks; ++k) {
        // A minute's pause, then a restart: every stream has a minute to catch up.
        *site << "UPDATE engagementd_stream_state SET last_tick_ms = last_tick_ms - 60000";
        *site << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms - 60000";
        TickEngine restarted(*store, quiet_logger(), 100 + k);
        all.push_back(restarted.run(settings));
        floors.push_back(floor_ms(*site));
      }
      TickEngine engine(*store, quiet_logger(), 7);
      engine.run(settings);
      for (int k = 0; k < ticks; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
        steady.push_back(engine.run(settings));
      }
      const double floor = median(floors);
      print(n, "first", first, floor);
      print(n, "all-change", all, floor);
      print(n, "steady", steady, floor);
    }
  } catch (const std::exception& e) {
    std::cerr << "tick_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
