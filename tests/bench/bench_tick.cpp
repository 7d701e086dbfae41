// Tick benchmark on the test MariaDB: prints figures, asserts nothing.
//   tick_bench [--streams 1000,10000,100000] [--ticks 3] [--interval-ms 5000]
//              [--explain] [--no-memory]
//              [--site-writes | --site-writes-only] [--hot-likes 10000]
//              [--hot-clients 16] [--tick-writers 4]
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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
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
                   " [--chunk ROWS] [--explain] [--no-memory]\n"
                   "                  [--site-writes | --site-writes-only] [--hot-likes N]"
                   " [--hot-clients C] [--tick-writers W]\n";
      return 2;
    }
  }
  if (!tick_table) with_memory = false;
  set_backend(Backend::mysql);
  try {
    Memory idle;
    if (with_memory) {
      TestDatabase db;
      db.migrated();
      idle = daemon_memory(db, 0, 3);
    }
    if (tick_table) {
      std::printf(
          "# engagementd tick benchmark (MariaDB; medians of %d ticks; chunks of %zu"
          " streams; times in ms)\n",
          ticks, chunk_rows);
      std::printf(
          "# rows: rows written per tick (displays + states + configs); floor: one\n"
          "# UPDATE ... JOIN writing the same streams' display and state rows\n");
      std::printf("# %7s  %-10s  %8s  %8s  %8s  %9s  %9s  %8s  %6s\n", "streams", "scenario",
                  "read", "step", "write", "total", "rows", "floor", "ratio");
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
