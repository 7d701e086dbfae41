#include "service/metrics.hpp"

#include <cstdio>

namespace engagementd {
namespace {

std::string number(double v, const char* format = "%.9g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& value) {
  out += name;
  out += ' ';
  out += value;
  out += '\n';
}

// A metric with a single sample and no labels.
void metric(std::string& out, const char* name, const char* type, const char* help,
            const std::string& value) {
  header(out, name, type, help);
  sample(out, name, value);
}

}  // namespace

Metrics::Metrics(std::string version)
    : version_(std::move(version)),
      start_unix_(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                      .count()) {
  // Series that exist before the first event, so rate() and alerts see zeros.
  for (const char* table : {"live_streams", "engagementd_stream_state", "stream_engagement_config",
                            "engagementd_stream_summary"}) {
    rows_written_[table] = 0;
  }
  for (const char* kind : {"connect", "connection", "deadlock", "lock_timeout", "statement",
                           "privilege", "constraint", "transaction", "system", "schema", "other"}) {
    db_errors_[kind] = 0;
  }
}

void Metrics::tick_succeeded(const TickReport& r, double seconds,
                             std::chrono::system_clock::time_point when) {
  ++ticks_ok_;
  failing_ = 0;
  database_up_ = true;
  phase_seconds_[0] += r.read_ms / 1000.0;
  phase_seconds_[1] += r.step_ms / 1000.0;
  phase_seconds_[2] += r.write_ms / 1000.0;
  set_aside_ = r.set_aside;
  real_viewers_ = r.real_viewers;
  sim_viewers_ = r.sim_viewers;
  real_likes_ = r.real_likes;
  sim_likes_ = r.sim_likes;
  for (std::size_t i = 0; i < kTickBuckets.size(); ++i) {
    if (seconds <= kTickBuckets[i]) ++bucket_counts_[i];
  }
  tick_seconds_sum_ += seconds;
  live_streams_ = r.live;
  simulated_streams_ = r.simulation_enabled ? r.live : 0;
  stream_ticks_ += simulated_streams_;
  finalized_ += r.finalized;
  simulation_enabled_ = r.simulation_enabled;
  rows_written_["live_streams"] += r.displays_written + r.finalized;
  rows_written_["engagementd_stream_state"] += r.states_written + r.finalized;
  rows_written_["stream_engagement_config"] += r.configs_created;
  rows_written_["engagementd_stream_summary"] += r.finalized;
  last_success_unix_ = std::chrono::duration<double>(when.time_since_epoch()).count();
}

void Metrics::tick_failed(const std::string& kind) {
  ++ticks_failed_;
  ++failing_;
  ++db_errors_[kind];
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  header(out, "engagementd_build_info", "gauge", "Version of the running engagementd.");
  sample(out, "engagementd_build_info{version=\"" + version_ + "\"}", "1");

  header(out, "engagementd_ticks_total", "counter", "Ticks run, by result.");
  sample(out, "engagementd_ticks_total{result=\"ok\"}", std::to_string(ticks_ok_));
  sample(out, "engagementd_ticks_total{result=\"failed\"}", std::to_string(ticks_failed_));

  metric(out, "engagementd_ticks_failing", "gauge",
         "Ticks failed in a row since the last successful one (0: the last tick succeeded).",
         std::to_string(failing_));
  metric(out, "engagementd_ticks_skipped_total", "counter",
         "Tick slots skipped because a successful tick overran its interval.",
         std::to_string(ticks_skipped_));
  metric(out, "engagementd_tick_interval_seconds", "gauge", "The configured tick interval.",
         number(std::chrono::duration<double>(tick_interval_).count()));

  header(out, "engagementd_tick_duration_seconds", "histogram",
         "Duration of successful ticks (read, step, write and commit).");
  for (std::size_t i = 0; i < kTickBuckets.size(); ++i) {
    sample(out,
           "engagementd_tick_duration_seconds_bucket{le=\"" + number(kTickBuckets[i], "%g") + "\"}",
           std::to_string(bucket_counts_[i]));
  }
  sample(out, "engagementd_tick_duration_seconds_bucket{le=\"+Inf\"}", std::to_string(ticks_ok_));
  sample(out, "engagementd_tick_duration_seconds_sum", number(tick_seconds_sum_));
  sample(out, "engagementd_tick_duration_seconds_count", std::to_string(ticks_ok_));

  header(out, "engagementd_tick_phase_seconds_total", "counter",
         "Time spent by successful ticks, by phase (read, step, write and commit).");
  const char* const phases[] = {"read", "step", "write"};
  for (std::size_t i = 0; i < phase_seconds_.size(); ++i) {
    sample(out, std::string("engagementd_tick_phase_seconds_total{phase=\"") + phases[i] + "\"}",
           number(phase_seconds_[i]));
  }

  metric(out, "engagementd_live_streams", "gauge", "Live streams seen by the last successful tick.",
         std::to_string(live_streams_));
  metric(out, "engagementd_streams_simulated", "gauge",
         "Streams given a simulated audience by the last successful tick.",
         std::to_string(simulated_streams_));
  metric(out, "engagementd_streams_simulated_total", "counter",
         "Streams simulated, summed over successful ticks.", std::to_string(stream_ticks_));
  metric(out, "engagementd_streams_finalized_total", "counter",
         "Streams finalized after leaving live.", std::to_string(finalized_));
  metric(out, "engagementd_streams_set_aside", "gauge",
         "Streams left out by the last successful tick: writing their rows failed "
         "('engagementd doctor', the log says why).",
         std::to_string(set_aside_));
  header(out, "engagementd_viewers", "gauge",
         "Viewers of the streams ticked by the last successful tick: real (open sessions) and "
         "the simulated part of the numbers shown.");
  sample(out, "engagementd_viewers{source=\"real\"}", std::to_string(real_viewers_));
  sample(out, "engagementd_viewers{source=\"simulated\"}", std::to_string(sim_viewers_));
  header(out, "engagementd_likes", "gauge",
         "Likes of the streams ticked by the last successful tick: real and the simulated part "
         "of the numbers shown.");
  sample(out, "engagementd_likes{source=\"real\"}", std::to_string(real_likes_));
  sample(out, "engagementd_likes{source=\"simulated\"}", std::to_string(sim_likes_));
  metric(out, "engagementd_simulation_enabled", "gauge",
         "1 when simulation is on (YAML kill switch and global setting), 0 when off.",
         simulation_enabled_ ? "1" : "0");

  header(out, "engagementd_rows_written_total", "counter",
         "Rows written by committed ticks, by table.");
  for (const auto& [table, n] : rows_written_) {
    sample(out, "engagementd_rows_written_total{table=\"" + table + "\"}", std::to_string(n));
  }
  header(out, "engagementd_db_errors_total", "counter",
         "Database errors that failed a tick, by kind.");
  for (const auto& [kind, n] : db_errors_) {
    sample(out, "engagementd_db_errors_total{kind=\"" + kind + "\"}", std::to_string(n));
  }
  metric(out, "engagementd_db_reconnects_total", "counter",
         "Connections re-established after a lost or failed one.", std::to_string(reconnects_));
  metric(out, "engagementd_last_successful_tick_timestamp_seconds", "gauge",
         "Unix time of the last successful tick (0: none yet).",
         number(last_success_unix_, "%.3f"));
  metric(out, "engagementd_leader", "gauge", "1 when this instance is the one writing ticks.",
         std::to_string(leader_.load()));
  metric(out, "engagementd_shards", "gauge",
         "Shards this instance is configured for (shard.count; 1 without sharding).",
         std::to_string(shards_));
  metric(out, "engagementd_shards_led", "gauge",
         "Shards whose leadership lease this instance holds.", std::to_string(shards_led_));
  metric(out, "engagementd_database_up", "gauge",
         "1 while the database connection works, 0 from a lost or refused one until it is back.",
         database_up_ ? "1" : "0");
  metric(out, "process_start_time_seconds", "gauge",
         "Start time of the process since the Unix epoch in seconds.", number(start_unix_, "%.3f"));
  return out;
}

}  // namespace engagementd
