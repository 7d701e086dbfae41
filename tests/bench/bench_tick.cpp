// Tick benchmark on the test MariaDB: prints figures, asserts nothing.
//   tick_bench [--streams 1000,10000,100000] [--ticks 3] [--interval-ms 5000]
//              [--path old|new|both] [--server-pid PID]
//              [--explain] [--no-memory]
//              [--site-writes | --site-writes-only] [--hot-likes 10000]
//              [--hot-clients 16] [--tick-writers 4]
// For each N it creates a fresh database with N live streams and realistic
// real rows (open and closed viewer sessions, likes, dislikes, comments,
// is_fake = 1 leftovers, ended streams with their own rows), then measures,
// for each path (--path: old = tick.cache off, every tick reads every stream
// whole; new = tick.cache on, the live streams kept in memory between ticks;
// both, the default, measures the two in the same run on the same database):
//   create      the very first tick after migrate: config rows, state rows and
//               displays created. Once, for both paths: nothing is in memory
//               yet either way. The site's history is written before migrate,
//               as on a site that installs engagementd (--history-after-migrate:
//               after it, so that the triggers append a delta row for each of
//               its real rows and the first tick folds them all)
//   all-change  the first tick after a restart that followed a minute's pause:
//               (nearly) every stream changes; a new engine, so the new path
//               starts with nothing in memory too
//   steady      one engine ticking every --interval-ms, with the site's light
//               churn between ticks (likes on ~1% of the live streams, an
//               admin's UPDATE of ~0.1% of the stream_engagement_config rows,
//               ~0.1% of the streams ending and as many going live); the new
//               path's engine keeps its memory from one tick to the next
// and, in the same run, the floor of each: what the database needs at least
// to write as many display and state rows as the tick wrote, constants only,
// with the commit, in two forms: (a) one two-table UPDATE ... JOIN and (b) two
// single-table UPDATEs; both are printed and the smaller is the floor. With
// --server-pid (the MariaDB server's process), the server's CPU time per tick
// and per floor statement (the smaller form's), from /proc/PID/stat; the benchmark's own CPU time per tick (the daemon's part) is
// always printed.
// Then it runs the real engagementd binary on the same database for a few
// ticks, with tick.cache on and off, and reads its resident memory (VmRSS,
// and the peak VmHWM) from /proc/PID/status, against the binary idling on an
// empty database. A summary per N sets the figures against the targets.
//
// --site-writes adds two sections after that output (which is unchanged
// without the flag); --site-writes-only prints just these two. Each INSERT is
// the site's like: one row, autocommit, from its own connection; a failed
// INSERT is counted, not retried; latencies include failed INSERTs.
//   hot stream  --hot-likes likes (default 10,000) into ONE live stream of a
//               1,000-stream database from --hot-clients connections (16) at
//               once, with: engagementd's triggers (008: one appended delta row
//               per change); the same with a tick every second meanwhile
//               (deltas left after the run, and kept == counted after a final
//               tick); no engagementd triggers at all; and migration 006's
//               triggers recreated from its text (an UPDATE of the stream's one
//               counts row per INSERT). Inserts/s, p50/p99/max ms per INSERT,
//               failed INSERTs and the server's row lock waits meanwhile.
//   first tick  per N, in a fresh database: --tick-writers connections (4)
//               insert likes on random live streams while the very first tick
//               (create: every stream counted for the first time) runs, at
//               most 60 s; then as long again with no tick (the baseline).
//               p50/p99/max ms of the INSERTs started in each window, and the
//               server's row lock waits in it.
#include <soci/soci.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/test_db.hpp"
#include "tick/tick.hpp"

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

// The floor's own copies of the live streams and their state rows (same
// columns, indexes and rows, no triggers: live_streams has only a BEFORE
// INSERT one), made once after the first tick. The floor writes these, not the
// tables the tick reads: a floor that changed the display columns of the
// real rows would look to the new path like the site changing them, and its
// next tick would read those streams again because of the benchmark itself.
void make_floor_tables(soci::session& sql) {
  sql << "DROP TABLE IF EXISTS bench_floor_streams, bench_floor_state";
  sql << "CREATE TABLE bench_floor_streams LIKE live_streams";
  sql << "CREATE TABLE bench_floor_state LIKE engagementd_stream_state";
  sql << "INSERT INTO bench_floor_streams SELECT * FROM live_streams ORDER BY id";
  sql << "INSERT INTO bench_floor_state SELECT * FROM engagementd_stream_state ORDER BY stream_id";
  sql << "ANALYZE TABLE bench_floor_streams, bench_floor_state";
}

// The last live id of the first `streams` live streams of the floor's copy.
long long floor_last_id(soci::session& sql, std::size_t streams) {
  long long last_id = 0;
  sql << "SELECT id FROM bench_floor_streams WHERE status = 'live' ORDER BY id LIMIT 1 OFFSET " +
             std::to_string(streams - 1),
      soci::into(last_id);
  return last_id;
}

// The floor, form (a): one two-table statement writing the display and
// state rows of the first `streams` live streams, constants only, and its
// commit: what the database needs at least to write what a tick wrote (on
// the floor's copies, see above).
double floor_join_ms(soci::session& sql, std::size_t streams) {
  if (streams == 0) return 0;
  const std::string last_id = std::to_string(floor_last_id(sql, streams));
  const auto t = Clock::now();
  soci::transaction tx(sql);
  sql << "UPDATE bench_floor_streams ls JOIN bench_floor_state st ON st.stream_id = ls.id"
         " SET ls.viewer_count = ls.viewer_count + 1, ls.max_viewers = ls.max_viewers + 1,"
         " ls.like_count = ls.like_count + 1, ls.updated_at = ls.updated_at,"
         " st.sim_viewers = st.sim_viewers + 1, st.sim_joins = st.sim_joins + 1,"
         " st.sim_likes = st.sim_likes + 1, st.peak_viewers = st.peak_viewers + 1,"
         " st.last_tick_ms = st.last_tick_ms + 1, st.sim_peak = st.sim_peak + 1"
         " WHERE ls.status = 'live' AND ls.id <= " +
             last_id;
  tx.commit();
  return ms_since(t);
}

// The floor, form (b): the same rows by two single-table statements (the
// display rows, then the state rows of the same id range), one commit.
double floor_two_ms(soci::session& sql, std::size_t streams) {
  if (streams == 0) return 0;
  const std::string last_id = std::to_string(floor_last_id(sql, streams));
  const auto t = Clock::now();
  soci::transaction tx(sql);
  sql << "UPDATE bench_floor_streams SET viewer_count = viewer_count + 1,"
         " max_viewers = max_viewers + 1, like_count = like_count + 1, updated_at = updated_at"
         " WHERE status = 'live' AND id <= " +
             last_id;
  sql << "UPDATE bench_floor_state SET sim_viewers = sim_viewers + 1, sim_joins = sim_joins + 1,"
         " sim_likes = sim_likes + 1, peak_viewers = peak_viewers + 1,"
         " last_tick_ms = last_tick_ms + 1, sim_peak = sim_peak + 1 WHERE stream_id <= " +
             last_id;
  tx.commit();
  return ms_since(t);
}

std::size_t streams_written(const TickReport& r) {
  return std::max(r.displays_written, r.states_written);
}

// ---- CPU time --------------------------------------------------------------

// utime + stime of a process from /proc/PID/stat, in ms (the kernel counts
// clock ticks, 10 ms each at the usual 100 Hz); -1 if it cannot be read.
double process_cpu_ms(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  // The command name (field 2) is in parentheses and may hold blanks.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 1));
  std::string skip;
  for (int field = 3; field <= 13; ++field) fields >> skip;
  unsigned long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  return static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// This process's CPU time (user + system, all threads), in ms: the tick's
// own work, what the daemon would spend.
double self_cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
  };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

// The server's process (--server-pid), or none: its CPU is then not measured.
pid_t g_server_pid = 0;
// --history-after-migrate: the bench's history written after migrate (the triggers
// append a delta row for each of its real rows, which the first tick folds).
bool g_history_after_migrate = false;

double server_cpu_ms() {
  return g_server_pid > 0 ? process_cpu_ms(g_server_pid) : 0;
}

// ---- The tick table ----------------------------------------------------------

enum class Path { old_path, new_path };

const char* path_name(Path p) {
  return p == Path::old_path ? "old" : "new";
}

// One measured tick, with its floor measured right after it.
struct Measured {
  TickReport report;
  double floor_ms = 0;  // the smaller of the two forms
  double floor_join_ms = 0, floor_two_ms = 0;
  double cpu_ms = 0;           // this process, during the tick
  double server_ms = 0;        // the server, during the tick
  double floor_server_ms = 0;  // the server, during the floor statement
};

// One tick, timed and its CPU counted; a standby tick (nothing done) throws.
Measured measured_tick(TickEngine& engine, const TickSettings& settings) {
  Measured m;
  const double cpu0 = self_cpu_ms(), server0 = server_cpu_ms();
  m.report = engine.run(settings);
  m.cpu_ms = self_cpu_ms() - cpu0;
  m.server_ms = server_cpu_ms() - server0;
  if (m.report.standby) throw std::runtime_error("the benchmark's engine did not get the lease");
  return m;
}

// The floor of the tick m, right after it.
// Both forms, each with the server's CPU during it; the floor is the
// smaller, with its server CPU.
void add_floor(Measured& m, soci::session& site) {
  const std::size_t n = streams_written(m.report);
  const double s0 = server_cpu_ms();
  m.floor_join_ms = floor_join_ms(site, n);
  const double s1 = server_cpu_ms();
  m.floor_two_ms = floor_two_ms(site, n);
  const double s2 = server_cpu_ms();
  const bool join = m.floor_join_ms <= m.floor_two_ms;
  m.floor_ms = join ? m.floor_join_ms : m.floor_two_ms;
  m.floor_server_ms = join ? s1 - s0 : s2 - s1;
}

Measured measure(TickEngine& engine, const TickSettings& settings, soci::session& site) {
  Measured m = measured_tick(engine, settings);
  add_floor(m, site);
  return m;
}

// A scenario's figures: times are medians of its ticks; CPU times are summed
// over its ticks and divided by their number (the server's is counted in
// 10 ms clock ticks, too coarse for one short tick).
struct Figures {
  bool measured = false;
  int ticks = 0, from_cache = 0;
  double read = 0, step = 0, write = 0, total = 0, rows = 0, floor = 0;
  double floor_join = 0, floor_two = 0;
  double cpu = 0, server = 0, floor_server = 0;
  double ratio() const { return floor > 0 ? total / floor : 0; }
  // 0 when not measured (no --server-pid, or the floor's too short to count).
  double server_ratio() const { return floor_server > 0 ? server / floor_server : 0; }
};

Figures figures(const std::vector<Measured>& ms) {
  Figures f;
  if (ms.empty()) return f;
  f.measured = true;
  f.ticks = static_cast<int>(ms.size());
  std::vector<double> read, step, write, total, floors, joins, twos;
  std::size_t rows = 0;
  for (const auto& m : ms) {
    const TickReport& r = m.report;
    read.push_back(r.read_ms);
    step.push_back(r.step_ms);
    write.push_back(r.write_ms);
    total.push_back(r.total_ms);
    floors.push_back(m.floor_ms);
    joins.push_back(m.floor_join_ms);
    twos.push_back(m.floor_two_ms);
    rows += r.displays_written + r.states_written + r.configs_created;
    if (r.from_cache) ++f.from_cache;
    f.cpu += m.cpu_ms;
    f.server += m.server_ms;
    f.floor_server += m.floor_server_ms;
  }
  const double k = static_cast<double>(ms.size());
  f.read = median(read);
  f.step = median(step);
  f.write = median(write);
  f.total = median(total);
  f.floor = median(floors);
  f.floor_join = median(joins);
  f.floor_two = median(twos);
  f.rows = static_cast<double>(rows) / k;
  f.cpu /= k;
  f.server /= k;
  f.floor_server /= k;
  return f;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void print_header() {
  std::printf(
      "# %7s  %-4s  %-10s  %8s  %8s  %8s  %9s  %9s  %8s  %8s  %8s  %6s  %5s  %8s  %8s  %8s  %7s\n",
      "streams", "path", "scenario", "read", "step", "write", "total", "rows", "flr_join",
      "flr_two", "floor", "ratio", "cache", "cpu", "srv_cpu", "flr_srv", "srv/flr");
}

void print_row(long long n, const char* path, const char* scenario, const Figures& f) {
  const bool server = g_server_pid > 0;
  const std::string cache = std::to_string(f.from_cache) + "/" + std::to_string(f.ticks);
  std::printf(
      "%9lld  %-4s  %-10s  %8.1f  %8.1f  %8.1f  %9.1f  %9.0f  %8.1f  %8.1f  %8.1f  %6.2f  %5s  %8.1f"
      "  %8s  %8s  %7s\n",
      n, path, scenario, f.read, f.step, f.write, f.total, f.rows, f.floor_join, f.floor_two,
      f.floor, f.ratio(),
      cache.c_str(), f.cpu, server ? fixed(f.server, 1).c_str() : "-",
      server ? fixed(f.floor_server, 1).c_str() : "-",
      server && f.server_ratio() > 0 ? fixed(f.server_ratio(), 2).c_str() : "-");
  std::fflush(stdout);
}

// The site's churn between two steady ticks: as many rows each time, on other
// streams for each `round` (a stream that ended stays ended, so no round
// repeats another's). Each kind is one statement; the site would send them
// one by one, which the tick does not see.
struct Churn {
  long long likes = 0, configs = 0, ended = 0, started = 0;
};

Churn site_churn(soci::session& site, int round) {
  Churn c;
  const auto pick = [&](const std::string& column, int mult, int per) {
    return " MOD(" + column + " * 7919 + " + std::to_string(round * mult + mult) + ", " +
           std::to_string(per) + ") = 0";
  };
  // One statement; the rows it changed.
  const auto run = [&](const std::string& text) {
    soci::statement st = (site.prepare << text);
    st.execute(true);
    return st.get_affected_rows();
  };
  c.likes =
      run("INSERT INTO stream_interactions (stream_id, user_id, interaction_type, is_fake)"
          " SELECT id, 3000000 + id, 'like', 0 FROM live_streams WHERE status = 'live' AND" +
          pick("id", 1, 100));
  // An admin changing a stream's settings.
  c.configs = run("UPDATE stream_engagement_config SET like_rate = IF(like_rate = 3, 4, 3) WHERE" +
                  pick("stream_id", 17, 1000));
  c.ended =
      run("UPDATE live_streams SET status = 'ended', ended_at = NOW() WHERE status = 'live' AND" +
          pick("id", 53, 1000));
  if (c.ended > 0) {
    c.started =
        run("INSERT INTO live_streams (vendor_id, title, status, started_at) SELECT seq % 1000,"
            " CONCAT('new ', seq), 'live', NOW() FROM seq_1_to_" +
            std::to_string(c.ended));
  }
  return c;
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

// The real binary on db for `ticks` ticks of `live` streams, with tick.cache
// on or off; its memory after them.
Memory daemon_memory(const TestDatabase& db, std::size_t live, int ticks, bool cache = true) {
  auto site = db.site();
  // The benchmark's own engines (or the previous run) held the lease: let it go.
  *site << "UPDATE engagementd_leader SET expires_ms = 0";
  const std::string yaml = db.write_yaml(std::string("tick:\n  interval: 1s\n  max_catchup: 60s\n"
                                                     "  cache: ") +
                                         (cache ? "true" : "false") + "\nlog:\n  level: info\n");
  const std::string log_path =
      db.dir() + "/daemon-" + (cache ? "cache" : "nocache") + "-" + std::to_string(live) + ".log";
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
                                    std::pair<std::string, std::string>{":upto", "5000"},
                                    std::pair<std::string, std::string>{":shard_count", "1"},
                                    std::pair<std::string, std::string>{":shard_index", "0"}}) {
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

// ---- Site writes ---------------------------------------------------------

// The site's like, as it writes it: one row, autocommit.
const char* const kLikeInsert =
    "INSERT INTO stream_interactions (stream_id, user_id, interaction_type, is_fake)"
    " VALUES (:stream, :user, 'like', 0)";

const char* const kTriggers[] = {
    "engagementd_viewers_insert",      "engagementd_viewers_update",
    "engagementd_viewers_delete",      "engagementd_interactions_insert",
    "engagementd_interactions_update", "engagementd_interactions_delete"};

// What a set of site INSERTs took.
struct Writes {
  std::vector<double> ms;  // every INSERT, failed ones included
  long long failed = 0;
  std::string first_error;
  double wall_ms = 0;
};

Writes merged(std::vector<Writes>& parts) {
  Writes all;
  for (Writes& w : parts) {
    all.ms.insert(all.ms.end(), w.ms.begin(), w.ms.end());
    all.failed += w.failed;
    if (all.first_error.empty()) all.first_error = w.first_error;
  }
  std::sort(all.ms.begin(), all.ms.end());
  return all;
}

// Nearest rank.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

// InnoDB's row lock waits since the server started: how many, and the
// milliseconds spent in them, by any session (Innodb_row_lock_waits and
// _time). A wait for a table's AUTO-INC lock (an INSERT ... SELECT into a
// table with an AUTO_INCREMENT column, as the 008 triggers do, takes it for
// the statement) is not among them.
struct LockWaits {
  long long waits = 0, ms = 0;
};

LockWaits lock_waits(soci::session& sql) {
  const auto status = [&](const std::string& name) {
    std::string v;
    sql << "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '" +
               name + "'",
        soci::into(v);
    return std::stoll(v);
  };
  return {status("INNODB_ROW_LOCK_WAITS"), status("INNODB_ROW_LOCK_TIME")};
}

void drop_triggers(soci::session& sql) {
  for (const char* t : kTriggers) sql << std::string("DROP TRIGGER IF EXISTS ") + t;
}

// The triggers of migration 006, from its text as compiled in: each one
// UPDATEs the stream's row of engagementd_real_counts.
void create_hot_row_triggers(soci::session& sql) {
  int created = 0;
  for (const Migration& m : parse_migrations(embedded_migrations_mysql())) {
    if (m.version != 6) continue;
    for (const MigrationStatement& s : m.statements) {
      if (s.sql.find(" TRIGGER ") == std::string::npos) continue;
      sql << s.sql;
      if (s.sql.rfind("CREATE TRIGGER", 0) == 0) ++created;
    }
  }
  if (created != 6) throw std::runtime_error("migration 006 did not give its six triggers");
}

// `total` likes into one stream from `clients` connections at once, started
// together; the wall time runs from the start to the last INSERT's end.
Writes hot_likes(const TestDatabase& db, long long stream, int total, int clients) {
  std::vector<std::unique_ptr<soci::session>> sessions;
  for (int c = 0; c < clients; ++c) sessions.push_back(db.site());
  std::vector<Writes> parts(static_cast<std::size_t>(clients));
  std::promise<void> start;
  std::shared_future<void> go = start.get_future().share();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    const int share = total / clients + (c < total % clients ? 1 : 0);
    threads.emplace_back([&, c, share] {
      Writes& w = parts[static_cast<std::size_t>(c)];
      w.ms.reserve(static_cast<std::size_t>(share));
      long long stream_id = stream, user = 0;
      soci::statement st = (sessions[static_cast<std::size_t>(c)]->prepare << kLikeInsert,
                            soci::use(stream_id), soci::use(user));
      go.wait();
      for (int i = 0; i < share; ++i) {
        user = 1'000'000 + static_cast<long long>(c) * total + i;
        const auto t = Clock::now();
        try {
          st.execute(true);
        } catch (const std::exception& e) {
          if (w.failed++ == 0) w.first_error = e.what();
        }
        w.ms.push_back(ms_since(t));
      }
    });
  }
  const auto t = Clock::now();
  start.set_value();
  for (auto& th : threads) th.join();
  Writes all = merged(parts);
  all.wall_ms = ms_since(t);
  return all;
}

// `clients` connections inserting likes on random live streams (ids lo..hi)
// until stop() or the deadline, each INSERT timed with when it started.
class RandomLikes {
 public:
  RandomLikes(const TestDatabase& db, int clients, long long lo, long long hi,
              Clock::time_point deadline)
      : samples_(static_cast<std::size_t>(clients)) {
    for (int c = 0; c < clients; ++c) sessions_.push_back(db.site());
    for (int c = 0; c < clients; ++c) {
      threads_.emplace_back([this, c, lo, hi, deadline] {
        std::mt19937_64 rng(static_cast<std::uint64_t>(c) + 1);
        std::uniform_int_distribution<long long> pick(lo, hi);
        long long stream_id = 0, user = 0;
        soci::statement st = (sessions_[static_cast<std::size_t>(c)]->prepare << kLikeInsert,
                              soci::use(stream_id), soci::use(user));
        auto& out = samples_[static_cast<std::size_t>(c)];
        while (!stop_ && Clock::now() < deadline) {
          stream_id = pick(rng);
          user = 2'000'000 + pick(rng);
          const auto t = Clock::now();
          Sample s{t, 0, false, {}};
          try {
            st.execute(true);
          } catch (const std::exception& e) {
            s.failed = true;
            s.error = e.what();
          }
          s.ms = ms_since(t);
          out.push_back(std::move(s));
        }
      });
    }
  }
  RandomLikes(const RandomLikes&) = delete;
  RandomLikes& operator=(const RandomLikes&) = delete;
  ~RandomLikes() { stop(); }

  void stop() {
    stop_ = true;
    for (auto& th : threads_) {
      if (th.joinable()) th.join();
    }
  }

  // The INSERTs started in [from, to); after stop().
  Writes between(Clock::time_point from, Clock::time_point to) const {
    Writes w;
    for (const auto& part : samples_) {
      for (const Sample& s : part) {
        if (s.at < from || s.at >= to) continue;
        w.ms.push_back(s.ms);
        if (s.failed && w.failed++ == 0) w.first_error = s.error;
      }
    }
    std::sort(w.ms.begin(), w.ms.end());
    w.wall_ms = std::chrono::duration<double, std::milli>(to - from).count();
    return w;
  }

 private:
  struct Sample {
    Clock::time_point at;
    double ms;
    bool failed;
    std::string error;
  };
  std::vector<std::unique_ptr<soci::session>> sessions_;
  std::vector<std::vector<Sample>> samples_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

void print_errors(const char* what, const Writes& w) {
  if (w.failed > 0) std::printf("#   %s: first failure: %s\n", what, w.first_error.c_str());
}

// engagementd's tick every second, on its own connection, until stopped.
class TickEverySecond {
 public:
  TickEverySecond(const TestDatabase& db, const TickSettings& settings)
      : thread_([this, &db, settings] {
          try {
            auto store = db.open();
            TickEngine engine(*store, quiet_logger(), 21);
            while (!stop_) {
              const auto t = Clock::now();
              try {
                ms_.push_back(engine.run(settings).total_ms);
              } catch (const std::exception& e) {
                if (failed_++ == 0) error_ = e.what();
              }
              while (!stop_ && Clock::now() < t + std::chrono::seconds(1)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
              }
            }
          } catch (const std::exception& e) {
            ++failed_;
            error_ = e.what();
          }
        }) {}
  TickEverySecond(const TickEverySecond&) = delete;
  TickEverySecond& operator=(const TickEverySecond&) = delete;
  ~TickEverySecond() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // After stop().
  const std::vector<double>& ms() const { return ms_; }
  int failed() const { return failed_; }
  const std::string& error() const { return error_; }

 private:
  std::atomic<bool> stop_{false};
  std::vector<double> ms_;
  int failed_ = 0;
  std::string error_;
  std::thread thread_;  // last: starts once the rest is built
};

void print_hot(const char* triggers, const Writes& w, LockWaits before, LockWaits after) {
  std::printf("  %-20s  %9.0f  %7.2f  %7.2f  %8.2f  %6lld  %10lld  %12lld\n", triggers,
              static_cast<double>(w.ms.size()) * 1000.0 / w.wall_ms, percentile(w.ms, 0.50),
              percentile(w.ms, 0.99), w.ms.empty() ? 0.0 : w.ms.back(), w.failed,
              after.waits - before.waits, after.ms - before.ms);
  std::fflush(stdout);
}

// The hot stream: the same likes into one stream with each set of triggers.
void hot_stream(int likes, int clients) {
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  populate(*site, 1000);
  const long long stream =
      query_int(*site, "SELECT MIN(id) FROM live_streams WHERE status = 'live'");
  TickSettings settings;
  settings.max_catchup = std::chrono::seconds(60);
  // The first tick creates every live stream's counts row.
  TickEngine(*store, quiet_logger(), 1).run(settings);
  const auto fold = [&] { TickEngine(*store, quiet_logger(), 2).run(settings); };
  const auto deltas = [&] {
    return query_int(*site, "SELECT COUNT(*) FROM engagementd_real_deltas");
  };

  std::printf(
      "# site writes, hot stream: %d likes into one live stream (of 1,000) from %d connections at"
      " once\n# (the site's INSERT: one row, autocommit; ms per INSERT, failed ones included;\n#"
      " lock waits: InnoDB row lock waits meanwhile, and their ms; waits for a table's\n#"
      " AUTO-INC lock are not among them)\n",
      likes, clients);
  std::printf("# %-20s  %9s  %7s  %7s  %8s  %6s  %10s  %12s\n", "triggers", "inserts/s", "p50",
              "p99", "max", "failed", "lock_waits", "lock_wait_ms");
  std::fflush(stdout);
  // Warms the connections' path and the tables' pages; not measured.
  hot_likes(db, stream, std::max(100, likes / 10), clients);
  fold();

  std::vector<std::string> notes;
  LockWaits before = lock_waits(*site);
  Writes w = hot_likes(db, stream, likes, clients);
  print_hot("deltas (008)", w, before, lock_waits(*site));
  notes.push_back(w.failed ? "deltas (008): first failure: " + w.first_error : "");
  fold();

  before = lock_waits(*site);
  TickEverySecond ticker(db, settings);
  w = hot_likes(db, stream, likes, clients);
  const LockWaits after = lock_waits(*site);
  ticker.stop();
  const long long left = deltas();
  print_hot("deltas + tick 1/s", w, before, after);
  notes.push_back(w.failed ? "deltas + tick 1/s: first failure: " + w.first_error : "");
  fold();
  const long long left_after_fold = deltas();
  std::size_t differ = 0, checked = 0;
  RealCounts kept, counted;
  for (const auto& c : store->check_real_counts(std::nullopt)) {
    ++checked;
    if (c.kept.viewers != c.counted.viewers || c.kept.likes != c.counted.likes ||
        c.kept.dislikes != c.counted.dislikes || c.kept.comments != c.counted.comments) {
      ++differ;
    }
    if (c.stream_id == stream) {
      kept = c.kept;
      counted = c.counted;
    }
  }
  std::vector<double> tick_ms = ticker.ms();
  std::sort(tick_ms.begin(), tick_ms.end());
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "deltas + tick 1/s: %zu ticks meanwhile (median %.1f ms, max %.1f ms, %d failed);"
                " deltas left after the run: %lld; after a final tick: %lld; hot stream likes"
                " kept %lld, counted %lld; streams whose kept counts differ from their rows:"
                " %zu of %zu",
                tick_ms.size(), median(tick_ms), tick_ms.empty() ? 0.0 : tick_ms.back(),
                ticker.failed(), left, left_after_fold, static_cast<long long>(kept.likes),
                static_cast<long long>(counted.likes), differ, checked);
  notes.push_back(buf);
  if (ticker.failed()) notes.push_back("tick failure: " + ticker.error());

  drop_triggers(*site);
  before = lock_waits(*site);
  w = hot_likes(db, stream, likes, clients);
  print_hot("none", w, before, lock_waits(*site));
  notes.push_back(w.failed ? "none: first failure: " + w.first_error : "");

  create_hot_row_triggers(*site);
  // The counts row as 006 kept it: exact when the triggers start.
  *site << "UPDATE engagementd_real_counts SET likes = (SELECT COUNT(*) FROM stream_interactions"
           " WHERE stream_id = " +
               std::to_string(stream) +
               " AND is_fake = 0 AND interaction_type = 'like') WHERE stream_id = " +
               std::to_string(stream);
  before = lock_waits(*site);
  w = hot_likes(db, stream, likes, clients);
  print_hot("hot row (006)", w, before, lock_waits(*site));
  notes.push_back(w.failed ? "hot row (006): first failure: " + w.first_error : "");
  const long long row_likes =
      query_int(*site, "SELECT likes FROM engagementd_real_counts WHERE stream_id = " +
                           std::to_string(stream));
  const long long rows = query_int(
      *site, "SELECT COUNT(*) FROM stream_interactions WHERE stream_id = " +
                 std::to_string(stream) + " AND is_fake = 0 AND interaction_type = 'like'");
  notes.push_back("hot row (006): counts row likes " + std::to_string(row_likes) + ", rows " +
                  std::to_string(rows));
  for (const auto& n : notes) {
    if (!n.empty()) std::printf("# %s\n", n.c_str());
  }
  std::fflush(stdout);
}

void print_window(long long n, const char* phase, const Writes& w, LockWaits before,
                  LockWaits after) {
  std::printf("  %7lld  %-8s  %9.1f  %7zu  %6lld  %7.2f  %7.2f  %8.2f  %10lld  %12lld\n", n, phase,
              w.wall_ms, w.ms.size(), w.failed, percentile(w.ms, 0.50), percentile(w.ms, 0.99),
              w.ms.empty() ? 0.0 : w.ms.back(), after.waits - before.waits, after.ms - before.ms);
  std::fflush(stdout);
}

// Site writes during the very first tick on n streams, and as long without one.
void first_tick_writes(long long n, int writers, std::size_t chunk_rows) {
  const auto cap = std::chrono::seconds(60);
  TestDatabase db;
  auto store = db.migrated();
  auto site = db.site();
  populate(*site, n);
  const long long lo = query_int(*site, "SELECT MIN(id) FROM live_streams WHERE status = 'live'");
  const long long hi = query_int(*site, "SELECT MAX(id) FROM live_streams WHERE status = 'live'");
  TickSettings settings;
  settings.max_catchup = std::chrono::seconds(60);
  settings.chunk_rows = chunk_rows;

  Writes during;
  LockWaits before, after;
  double tick_ms = 0;
  {
    RandomLikes likes(db, writers, lo, hi, Clock::now() + cap + std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // connections under way
    before = lock_waits(*site);
    const auto from = Clock::now();
    TickEngine engine(*store, quiet_logger(), 1);
    const TickReport r = engine.run(settings);
    const auto to = std::min(Clock::now(), from + cap);
    likes.stop();
    after = lock_waits(*site);
    tick_ms = r.total_ms;
    during = likes.between(from, to);
  }
  print_window(n, "tick", during, before, after);

  Writes base;
  {
    const auto span = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::milli>(during.wall_ms));
    RandomLikes likes(db, writers, lo, hi, Clock::now() + cap + std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    before = lock_waits(*site);
    const auto from = Clock::now();
    std::this_thread::sleep_for(span);
    const auto to = Clock::now();
    likes.stop();
    after = lock_waits(*site);
    base = likes.between(from, to);
  }
  print_window(n, "no tick", base, before, after);
  if (tick_ms > std::chrono::duration<double, std::milli>(cap).count()) {
    std::printf("#   the tick took %.0f ms; the writers stopped at %lld s\n", tick_ms,
                static_cast<long long>(cap.count()));
  }
  print_errors("tick", during);
  print_errors("no tick", base);
}

// ---- The tick table and its summary ------------------------------------------

// One N's figures.
struct Result {
  long long n = 0;
  Figures create;
  std::map<Path, Figures> all, steady;
  std::map<Path, Memory> memory;
  Churn churn;  // the last interval's
  std::vector<std::string> notes;
};

const char* verdict(bool met) {
  return met ? "met" : "NOT met";
}

// The figures of one N against the targets (set for 100,000 live streams),
// the new path's where it was measured; then the gain over the old path.
void print_summary(const Result& r, const Result* smaller, const Memory& idle) {
  const Path p = r.steady.count(Path::new_path) ? Path::new_path : Path::old_path;
  const char* name = path_name(p);
  const Figures& steady = r.steady.at(p);
  const Figures& all = r.all.at(p);
  std::printf("# summary, %lld live streams%s\n", r.n,
              r.n == 100000 ? "" : " (the targets are set for 100,000; here for comparison)");
  std::printf("#   create (the very first tick after migrate): %.1f ms = %.2fx floor (targets"
              " <=5000 ms, <=6.0x) %s, %s\n",
              r.create.total, r.create.ratio(), verdict(r.create.total <= 5000),
              verdict(r.create.ratio() <= 6.0));
  std::printf("#   steady %s: %.2fx floor (target <=1.5x) %s\n", name, steady.ratio(),
              verdict(steady.ratio() <= 1.5));
  std::printf("#   steady %s: %.1f ms per tick (target <=600 ms) %s\n", name, steady.total,
              verdict(steady.total <= 600));
  std::printf("#   first tick after a start (all-change) %s: %.2fx floor (target <=2.0x) %s\n",
              name, all.ratio(), verdict(all.ratio() <= 2.0));
  if (g_server_pid <= 0) {
    std::printf(
        "#   steady %s: daemon CPU %.1f ms per tick; server CPU not measured (no"
        " --server-pid)\n",
        name, steady.cpu);
  } else if (steady.floor_server <= 0) {
    std::printf(
        "#   steady %s: daemon CPU %.1f ms, server CPU %.1f ms per tick; the floor's"
        " server CPU is under the 10 ms clock tick (more --ticks to count it)\n",
        name, steady.cpu, steady.server);
  } else {
    std::printf(
        "#   steady %s: daemon CPU %.1f ms, server CPU %.1f ms per tick = %.2fx the"
        " floor statement's %.1f ms (target <=2.0x) %s\n",
        name, steady.cpu, steady.server, steady.server_ratio(), steady.floor_server,
        verdict(steady.server_ratio() <= 2.0));
  }
  if (r.memory.count(Path::new_path)) {
    const Memory& m = r.memory.at(Path::new_path);
    const double per =
        static_cast<double>(m.hwm_kb - idle.hwm_kb) * 1024.0 / static_cast<double>(r.n);
    std::printf("#   memory with tick.cache on: %.0f B per live stream, peak (target <=400) %s\n",
                per, verdict(per <= 400));
  }
  const double us = steady.total * 1000.0 / static_cast<double>(r.n);
  if (smaller && smaller->steady.count(p)) {
    const double before = smaller->steady.at(p).total * 1000.0 / static_cast<double>(smaller->n);
    std::printf(
        "#   steady %s per stream: %.2f us, %.2f at %lld (target: no growth, within"
        " 10%%) %s\n",
        name, us, before, smaller->n, verdict(us <= before * 1.1));
  } else {
    std::printf("#   steady %s per stream: %.2f us\n", name, us);
  }
  if (r.steady.count(Path::old_path) && r.steady.count(Path::new_path)) {
    const Figures& so = r.steady.at(Path::old_path);
    const Figures& ao = r.all.at(Path::old_path);
    const Figures& an = r.all.at(Path::new_path);
    std::printf("#   gain old/new: steady %.1f/%.1f ms = %.2fx, all-change %.1f/%.1f ms = %.2fx",
                so.total, steady.total, so.total / steady.total, ao.total, an.total,
                ao.total / an.total);
    if (g_server_pid > 0 && steady.server > 0) {
      std::printf(", server CPU per steady tick %.1f/%.1f ms = %.2fx", so.server, steady.server,
                  so.server / steady.server);
    }
    if (r.memory.count(Path::old_path) && r.memory.count(Path::new_path)) {
      std::printf(", memory peak %lld/%lld kB", r.memory.at(Path::old_path).hwm_kb,
                  r.memory.at(Path::new_path).hwm_kb);
    }
    std::printf("\n");
  }
  for (const auto& note : r.notes) std::printf("#   %s\n", note.c_str());
}

void tick_table_run(std::vector<long long> sizes, int ticks, int interval_ms,
                    std::size_t chunk_rows, const std::vector<Path>& paths, bool with_explain,
                    bool with_memory) {
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
      "# path: old = tick.cache off (every stream read whole every tick), new = tick.cache on\n"
      "# (live streams kept in memory between ticks); create runs once for both: the very\n"
      "# first tick has nothing in memory either way\n"
      "# rows: rows written per tick (displays + states + configs); flr_join: one two-table\n"
      "# UPDATE ... JOIN writing the same streams' display and state rows, flr_two: the two\n"
      "# single-table UPDATEs of the same rows; floor: the smaller; ratio: total/floor\n"
      "# cache: ticks whose live streams came from memory, of the scenario's\n"
      "# cpu: this process's CPU ms per tick (the daemon's part); srv_cpu: the server's\n"
      "# (%s), flr_srv: the server's during the floor statement; CPU is summed\n"
      "# over the scenario's ticks and divided (the server's clock ticks are 10 ms)\n"
      "# steady: a tick every %d ms; between ticks the site likes ~1%% of the live streams,\n"
      "# an admin updates ~0.1%% of the stream_engagement_config rows, ~0.1%% of the streams\n"
      "# end and as many go live (the same for both paths); with both paths, the old path's\n"
      "# ticks run half before and half after the new path's, which run in a row\n",
      g_server_pid > 0 ? ("/proc/" + std::to_string(g_server_pid) + "/stat").c_str()
                       : "not measured: no --server-pid",
      interval_ms);
  print_header();
  std::fflush(stdout);
  std::vector<Result> results;
  for (const long long n : sizes) {
    TestDatabase db;
    auto site = db.site();
    std::unique_ptr<Store> store;
    if (g_history_after_migrate) {
      store = db.migrated();
      populate(*site, n);
    } else {
      // As on a site that installs engagementd: its tables and history
      // first, then migrate (the first counts come from the site's rows).
      for (const Migration& m : parse_migrations(embedded_migrations_mysql())) {
        if (m.version != 1) continue;
        for (const MigrationStatement& st : m.statements) *site << st.sql;
      }
      populate(*site, n);
      store = db.migrated();
    }
    const long long pending = query_int(*site, "SELECT COUNT(*) FROM engagementd_real_deltas");
    if (with_explain && n == sizes.back()) explain(*site, *store);
    std::map<Path, TickSettings> settings;
    for (const Path p : paths) {
      TickSettings s;
      s.max_catchup = std::chrono::seconds(60);
      s.chunk_rows = chunk_rows;
      s.cache = p == Path::new_path;
      settings[p] = s;
    }
    Result res;
    res.n = n;
    res.notes.push_back(std::string("create: history written ") +
                        (g_history_after_migrate ? "after" : "before") + " migrate, " +
                        std::to_string(pending) +
                        " real-count delta rows pending at the first tick");

    // create: the very first tick, with the new path's settings when it is
    // measured (it has nothing in memory yet: the same work as the old path).
    {
      TickEngine engine(*store, quiet_logger(), 1);
      Measured m = measured_tick(engine, settings.at(paths.back()));
      make_floor_tables(*site);
      add_floor(m, *site);
      res.create = figures({m});
    }

    // all-change: a new engine per tick, so the new path starts with nothing
    // in memory, as after a real restart. The paths take turns, the order
    // swapped every round, so that neither always runs on the server state
    // the other left (pages just written, purge still running).
    std::map<Path, std::vector<Measured>> all, steady;
    for (int k = 0; k < ticks; ++k) {
      for (std::size_t i = 0; i < paths.size(); ++i) {
        const Path p = paths[k % 2 == 0 ? i : paths.size() - 1 - i];
        // A minute's pause, then a restart: every stream has a minute to catch up.
        *site << "UPDATE engagementd_stream_state SET last_tick_ms = last_tick_ms - 60000";
        *site << "UPDATE engagementd_leader SET last_tick_ms = last_tick_ms - 60000";
        // Both paths' engines of a round with the same seed.
        TickEngine restarted(*store, quiet_logger(), static_cast<std::uint64_t>(100 + k));
        all[p].push_back(measure(restarted, settings.at(p), *site));
      }
    }

    // steady: per path, ONE engine, a tick every interval_ms and the site's
    // churn before each. The new path's engine runs all its ticks in a row:
    // its first (not measured) fills its memory and commits, the measured
    // ticks follow. The paths do not take turns tick by tick: a tick by the
    // other engine in between would be another writer for the new path's
    // memory (its lease row shows it), which would then be dropped and the
    // new path never measured warm. The old path reads everything every tick
    // whoever ticked before, so its ticks go half before and half after the
    // new path's (old, new, old): a drift of the server's state over the run
    // (pages, purge, rows added by the churn) weighs on both alike.
    struct Step {
      Path path;
      bool measured;
    };
    std::vector<Step> plan;
    const int before = paths.size() == 2 ? (ticks + 1) / 2 : ticks;
    plan.push_back({paths.front(), false});
    for (int k = 0; k < before; ++k) plan.push_back({paths.front(), true});
    if (paths.size() == 2) {
      plan.push_back({paths.back(), false});
      for (int k = 0; k < ticks; ++k) plan.push_back({paths.back(), true});
      for (int k = before; k < ticks; ++k) plan.push_back({paths.front(), true});
    }
    // The same seed for both: the same simulated audience, the same rows.
    std::map<Path, std::unique_ptr<TickEngine>> engines;
    for (const Path p : paths) engines[p] = std::make_unique<TickEngine>(*store, quiet_logger(), 7);
    int round = 0;
    auto started = Clock::now();
    for (std::size_t i = 0; i < plan.size(); ++i) {
      const Path p = plan[i].path;
      if (i > 0) {
        res.churn = site_churn(*site, round++);
        std::this_thread::sleep_until(started + std::chrono::milliseconds(interval_ms));
      }
      started = Clock::now();
      if (!plan[i].measured) {
        measured_tick(*engines.at(p), settings.at(p));
        continue;
      }
      steady[p].push_back(measure(*engines.at(p), settings.at(p), *site));
      const TickReport& r = steady[p].back().report;
      if (!r.cache_dropped.empty()) {
        res.notes.push_back(std::string("steady ") + path_name(p) + " tick " +
                            std::to_string(steady[p].size()) +
                            ": memory dropped: " + r.cache_dropped);
      }
    }
    for (const Path p : paths) {
      res.all[p] = figures(all[p]);
      res.steady[p] = figures(steady[p]);
    }
    print_row(n, "-", "create", res.create);
    for (const Path p : paths) print_row(n, path_name(p), "all-change", res.all[p]);
    for (const Path p : paths) print_row(n, path_name(p), "steady", res.steady[p]);
    res.notes.push_back("churn per steady interval: " + std::to_string(res.churn.likes) +
                        " likes, " + std::to_string(res.churn.configs) + " config rows updated, " +
                        std::to_string(res.churn.ended) + " streams ended, " +
                        std::to_string(res.churn.started) + " went live");

    if (with_memory) {
      const auto live = static_cast<std::size_t>(
          query_int(*site, "SELECT COUNT(*) FROM live_streams WHERE status = 'live'"));
      for (const Path p : paths) res.memory[p] = daemon_memory(db, live, 3, p == Path::new_path);
    }
    results.push_back(std::move(res));
  }
  if (with_memory) {
    std::printf(
        "# memory of the engagementd binary after 3 ticks, tick.cache off (old) and on (new)"
        " (idle on an empty database: VmRSS %lld kB, VmHWM %lld kB)\n",
        idle.rss_kb, idle.hwm_kb);
    std::printf("# %7s  %-4s  %9s  %9s  %9s  %9s\n", "streams", "path", "rss_kB", "peak_kB",
                "B/stream", "peak_B/str");
    for (const Result& r : results) {
      for (const auto& [p, m] : r.memory) {
        const double n = static_cast<double>(r.n);
        std::printf("%9lld  %-4s  %9lld  %9lld  %9.0f  %9.0f\n", r.n, path_name(p), m.rss_kb,
                    m.hwm_kb, static_cast<double>(m.rss_kb - idle.rss_kb) * 1024.0 / n,
                    static_cast<double>(m.hwm_kb - idle.hwm_kb) * 1024.0 / n);
      }
    }
  }
  for (const Result& r : results) {
    // The per-stream cost against the largest smaller N.
    const Result* smaller = nullptr;
    for (const Result& o : results) {
      if (o.n < r.n && (!smaller || o.n > smaller->n)) smaller = &o;
    }
    print_summary(r, smaller, idle);
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
  bool site_writes = false;
  bool tick_table = true;
  int hot_likes_total = 10000;
  int hot_clients = 16;
  int tick_writers = 4;
  std::vector<Path> paths = {Path::old_path, Path::new_path};
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
    } else if (a == "--path" && (v == "old" || v == "new" || v == "both")) {
      paths.clear();
      if (v != "new") paths.push_back(Path::old_path);
      if (v != "old") paths.push_back(Path::new_path);
      ++i;
    } else if (a == "--server-pid" && !v.empty()) {
      g_server_pid = static_cast<pid_t>(std::stol(v));
      if (process_cpu_ms(g_server_pid) < 0) {
        std::cerr << "tick_bench: no process " << v << " (--server-pid)\n";
        return 2;
      }
      ++i;
    } else if (a == "--explain") {
      with_explain = true;
    } else if (a == "--history-after-migrate") {
      g_history_after_migrate = true;
    } else if (a == "--no-memory") {
      with_memory = false;
    } else if (a == "--site-writes") {
      site_writes = true;
    } else if (a == "--site-writes-only") {
      site_writes = true;
      tick_table = false;
    } else if (a == "--hot-likes" && !v.empty()) {
      hot_likes_total = std::max(1, std::stoi(v));
      ++i;
    } else if (a == "--hot-clients" && !v.empty()) {
      hot_clients = std::max(1, std::stoi(v));
      ++i;
    } else if (a == "--tick-writers" && !v.empty()) {
      tick_writers = std::max(1, std::stoi(v));
      ++i;
    } else {
      std::cerr << "usage: tick_bench [--streams N,N] [--ticks K] [--interval-ms MS]"
                   " [--chunk ROWS] [--path old|new|both]\n"
                   "                  [--server-pid PID] [--explain] [--no-memory]"
                   " [--history-after-migrate]\n"
                   "                  [--site-writes | --site-writes-only] [--hot-likes N]"
                   " [--hot-clients C] [--tick-writers W]\n";
      return 2;
    }
  }
  if (!tick_table) with_memory = false;
  set_backend(Backend::mysql);
  try {
    if (tick_table) {
      tick_table_run(sizes, ticks, interval_ms, chunk_rows, paths, with_explain, with_memory);
    }
    if (site_writes) {
      hot_stream(hot_likes_total, hot_clients);
      std::printf(
          "# site writes during the first tick (create): %d connections inserting likes on"
          " random live streams\n# while it runs (at most 60 s), then as long with no tick;"
          " ms per INSERT started in the\n# window, failed ones included; lock waits:"
          " InnoDB row lock waits in the window, and their ms (waits\n# for a table's AUTO-INC"
          " lock are not among them)\n",
          tick_writers);
      std::printf("# %7s  %-8s  %9s  %7s  %6s  %7s  %7s  %8s  %10s  %12s\n", "streams", "phase",
                  "window_ms", "inserts", "failed", "p50", "p99", "max", "lock_waits",
                  "lock_wait_ms");
      for (const long long n : sizes) first_tick_writes(n, tick_writers, chunk_rows);
    }
  } catch (const std::exception& e) {
    std::cerr << "tick_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
