// Tick benchmark on the test MariaDB: prints figures, asserts nothing.
//   tick_bench [--streams 1000,10000,100000] [--ticks 3] [--interval-ms 5000]
//              [--explain] [--no-memory]
// For each N it creates a fresh database with N live streams and realistic
// real rows (open and closed viewer sessions, likes, dislikes, comments,
// is_fake = 1 leftovers, ended streams with their own rows), then measures:
//   create      the very first tick: config rows, state rows and displays created
//   all-change  the first tick after a restart that followed a minute's pause:
//               (nearly) every stream changes
//   steady      ticks every --interval-ms: typical churn, only some rows change
// and, in the same run, the floor of each: one server-side statement
// (UPDATE ... JOIN setting constants) writing the same display and state rows
// (as many streams as the tick wrote), with its commit.
// Then it runs the real engagementd binary on the same database for a few
// ticks and reads its resident memory (VmRSS, and the peak VmHWM) from
// /proc/PID/status, against the binary idling on an empty database.
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "process.hpp"
#include "test_db.hpp"
#include "tick.hpp"

using namespace engagementd;
using namespace engagementd::test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kBinary = ENGAGEMENTD_BINARY;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void populate(soci::session& sql, long long n) {
  const std::string N = std::to_string(n);
  const std::string ended = std::to_string(std::max<long long>(1, n / 10));
  // Live streams, plus ended ones whose rows the aggregation must not scan.
  sql << "INSERT INTO live_streams (vendor_id, title, status, started_at) SELECT seq % 1000,"
         " CONCAT('stream ', seq), 'live', NOW() - INTERVAL (seq % 3600) SECOND FROM seq_1_to_" +
             N;
  sql << "INSERT INTO live_streams (vendor_id, title, status, started_at, ended_at) SELECT"
         " seq % 1000, CONCAT('old ', seq), 'archived', NOW() - INTERVAL 1 DAY, NOW() - INTERVAL"
         " 20 HOUR FROM seq_1_to_" +
             ended;
  // Per live stream: 3 open real sessions; per stream: 5 closed ones; a fake
  // leftover on every 10th.
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
         " is_fake) SELECT ls.id, s.seq, 'comment', 'nice', 0 FROM live_streams ls JOIN "
         "seq_1_to_3 s";
  sql << "INSERT INTO stream_interactions (stream_id, user_id, interaction_type, is_fake)"
         " SELECT id, 1, 'dislike', 0 FROM live_streams";
  sql << "ANALYZE TABLE live_streams, stream_viewers, stream_interactions";
}

// One statement writing the display and state rows of the first `streams`
// live streams, constants only, and its commit: what the database needs at
// least to write what a tick wrote.
double floor_ms(soci::session& sql, std::size_t streams) {
  if (streams == 0) return 0;
  long long last_id = 0;
  sql << "SELECT id FROM live_streams WHERE status = 'live' ORDER BY id LIMIT 1 OFFSET " +
             std::to_string(streams - 1),
      soci::into(last_id);
  const auto t = Clock::now();
  soci::transaction tx(sql);
  sql << "UPDATE live_streams ls JOIN engagementd_stream_state st ON st.stream_id = ls.id"
         " SET ls.viewer_count = ls.viewer_count + 1, ls.max_viewers = ls.max_viewers + 1,"
         " ls.like_count = ls.like_count + 1, ls.updated_at = ls.updated_at,"
         " st.sim_viewers = st.sim_viewers + 1, st.sim_joins = st.sim_joins + 1,"
         " st.sim_likes = st.sim_likes + 1, st.peak_viewers = st.peak_viewers + 1,"
         " st.last_tick_ms = st.last_tick_ms + 1, st.sim_peak = st.sim_peak + 1"
         " WHERE ls.status = 'live' AND ls.id <= " +
             std::to_string(last_id);
  tx.commit();
  return ms_since(t);
}

std::size_t streams_written(const TickReport& r) {
  return std::max(r.displays_written, r.states_written);
}

void print(long long n, const char* scenario, const std::vector<TickReport>& rs,
           const std::vector<double>& floors) {
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
  const double f = median(floors);
  const double rows_per_tick = static_cast<double>(rows) / static_cast<double>(rs.size());
  std::printf("%9lld  %-10s  %8.1f  %8.1f  %8.1f  %9.1f  %9.0f  %8.1f  %6.1f\n", n, scenario,
              median(read), median(step), median(write), t, rows_per_tick, f, t / f);
  std::fflush(stdout);
}

struct Memory {
  long long rss_kb = 0, hwm_kb = 0;
};

long long status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

// The real binary on db for `ticks` ticks of `live` streams; its memory after them.
Memory daemon_memory(const TestDatabase& db, std::size_t live, int ticks) {
  auto site = db.site();
  // The benchmark's own engines held the lease: let it go.
  *site << "UPDATE engagementd_leader SET expires_ms = 0";
  const std::string yaml =
      db.write_yaml("tick:\n  interval: 1s\n  max_catchup: 60s\nlog:\n  level: info\n");
  const std::string log_path = db.dir() + "/daemon.log";
  Child daemon({kBinary, "run", "-c", yaml}, log_path);
  const std::string line = "tick live=" + std::to_string(live) + " ";
  if (!eventually([&] { return count_of(daemon.log(), line) >= static_cast<std::size_t>(ticks); },
                  std::chrono::minutes(10))) {
    throw std::runtime_error("the daemon did not tick: " + daemon.log());
  }
  Memory m{status_kb(daemon.pid(), "VmRSS"), status_kb(daemon.pid(), "VmHWM")};
  daemon.signal(SIGTERM);
  if (daemon.wait(std::chrono::minutes(2)) != 0) {
    throw std::runtime_error("the daemon did not stop cleanly: " + daemon.log());
  }
  return m;
}

void explain(soci::session& sql, Store& store) {
  std::printf("# EXPLAIN of the read of one chunk of live streams (ids 1..5000):\n");
  std::string query = "EXPLAIN " + store.live_streams_query();
  for (const auto& [name, value] : {std::pair<std::string, std::string>{":after", "0"},
                                    std::pair<std::string, std::string>{":upto", "5000"}}) {
    for (auto at = query.find(name); at != std::string::npos; at = query.find(name, at)) {
      query.replace(at, name.size(), value);
    }
  }
  soci::rowset<soci::row> rows = (sql.prepare << query);
  std::printf("# %-3s %-18s %-6s %-6s %-40s %-32s %-4s %-24s %-8s %s\n", "id", "select_type",
              "table", "type", "possible_keys", "key", "len", "ref", "rows", "Extra");
  for (const soci::row& r : rows) {
    auto text = [&](std::size_t i) {
      if (r.get_indicator(i) == soci::i_null) return std::string("NULL");
      switch (r.get_properties(i).get_data_type()) {
        case soci::dt_string:
          return r.get<std::string>(i);
        case soci::dt_long_long:
          return std::to_string(r.get<long long>(i));
        case soci::dt_unsigned_long_long:
          return std::to_string(r.get<unsigned long long>(i));
        case soci::dt_integer:
          return std::to_string(r.get<int>(i));
        case soci::dt_double:
          return std::to_string(r.get<double>(i));
        default:
          return std::string("?");
      }
    };
    std::printf("# %-3s %-18s %-6s %-6s %-40s %-32s %-4s %-24s %-8s %s\n", text(0).c_str(),
                text(1).c_str(), text(2).c_str(), text(3).c_str(), text(4).c_str(), text(5).c_str(),
                text(6).c_str(), text(7).c_str(), text(8).c_str(), text(9).c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<long long> sizes = {1000, 10000, 100000};
  int ticks = 3;
  int interval_ms = 5000;
  bool with_explain = false;
  bool with_memory = true;
  std::size_t chunk_rows = TickSettings{}.chunk_rows;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const std::string v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--streams" && !v.empty()) {
      sizes.clear();
      std::stringstream ss(v);
      std::string part;
      while (std::getline(ss, part, ',')) sizes.push_back(std::stoll(part));
      ++i;
    } else if (a == "--ticks" && !v.empty()) {
      ticks = std::stoi(v);
      ++i;
    } else if (a == "--interval-ms" && !v.empty()) {
      interval_ms = std::stoi(v);
      ++i;
    } else if (a == "--chunk" && !v.empty()) {
      chunk_rows = static_cast<std::size_t>(std::stoul(v));
      ++i;
    } else if (a == "--explain") {
      with_explain = true;
    } else if (a == "--no-memory") {
      with_memory = false;
    } else {
      std::cerr << "usage: tick_bench [--streams N,N] [--ticks K] [--interval-ms MS]"
                   " [--chunk ROWS] [--explain] [--no-memory]\n";
      return 2;
    }
  }
  set_backend(Backend::mysql);
  try {
    Memory idle;
    if (with_memory) {
      TestDatabase db;
      db.migrated();
      idle = daemon_memory(db, 0, 3);
    }
    std::printf(
        "# engagementd tick benchmark (MariaDB; medians of %d ticks; chunks of %zu"
        " streams; times in ms)\n",
        ticks, chunk_rows);
    std::printf(
        "# rows: rows written per tick (displays + states + configs); floor: one\n"
        "# UPDATE ... JOIN writing the same streams' display and state rows\n");
    std::printf("# %7s  %-10s  %8s  %8s  %8s  %9s  %9s  %8s  %6s\n", "streams", "scenario", "read",
                "step", "write", "total", "rows", "floor", "ratio");
    std::vector<std::string> memory_lines;
    for (const long long n : sizes) {
      TestDatabase db;
      auto store = db.migrated();
      auto site = db.site();
      populate(*site, n);
      if (with_explain && n == sizes.back()) explain(*site, *store);
      TickSettings settings;
      settings.max_catchup = std::chrono::seconds(60);
      settings.chunk_rows = chunk_rows;

      std::vector<TickReport> create, all, steady;
      std::vector<double> create_floor, all_floor, steady_floor;
      {
        TickEngine engine(*store, quiet_logger(), 1);
        create.push_back(engine.run(settings));
      }
      create_floor.push_back(floor_ms(*site, streams_written(create.back())));
      for (int k = 0; k < ticks; ++k) {
        // A minute's pause, then a restart: every stream has a minute to catch up.
        *site << "UPDATE engagementd_stream_state SET last_tick_ms = last_tick_ms - 60000";
        *site << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms - 60000";
        TickEngine restarted(*store, quiet_logger(), 100 + k);
        all.push_back(restarted.run(settings));
        all_floor.push_back(floor_ms(*site, streams_written(all.back())));
      }
      TickEngine engine(*store, quiet_logger(), 7);
      engine.run(settings);
      for (int k = 0; k < ticks; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
        steady.push_back(engine.run(settings));
        steady_floor.push_back(floor_ms(*site, streams_written(steady.back())));
      }
      print(n, "create", create, create_floor);
      print(n, "all-change", all, all_floor);
      print(n, "steady", steady, steady_floor);

      if (with_memory) {
        const Memory m = daemon_memory(db, static_cast<std::size_t>(n), 3);
        char buf[256];
        std::snprintf(
            buf, sizeof buf, "# %7lld  %9lld  %9lld  %9.0f  %9.0f", n, m.rss_kb, m.hwm_kb,
            static_cast<double>(m.rss_kb - idle.rss_kb) * 1024.0 / static_cast<double>(n),
            static_cast<double>(m.hwm_kb - idle.hwm_kb) * 1024.0 / static_cast<double>(n));
        memory_lines.push_back(buf);
      }
    }
    if (with_memory) {
      std::printf(
          "# memory of the engagementd binary after 3 ticks (idle on an empty database:"
          " VmRSS %lld kB, VmHWM %lld kB)\n",
          idle.rss_kb, idle.hwm_kb);
      std::printf("# %7s  %9s  %9s  %9s  %9s\n", "streams", "rss_kB", "peak_kB", "B/stream",
                  "peak_B/str");
      for (const auto& l : memory_lines) std::printf("%s\n", l.c_str());
    }
  } catch (const std::exception& e) {
    std::cerr << "tick_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
