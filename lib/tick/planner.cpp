#include "tick/planner.hpp"

#include <algorithm>
#include <cctype>

#include "core/audit.hpp"
#include "core/setting_text.hpp"

namespace engagementd {
namespace {

// The config_source of the audit rows: where the settings came from.
std::string source_text(ConfigSource source, const std::string& error) {
  switch (source) {
    case ConfigSource::new_row:
      return "global defaults (new stream_engagement_config row)";
    case ConfigSource::invalid_row:
      return "global defaults (invalid stream_engagement_config: " + error + ")";
    case ConfigSource::stream_row:
      break;
  }
  return "stream_engagement_config";
}

// Calls field(name, value) for each number a finalization records, in the
// order of the audit row's detail.
template <class Field>
void each_final_number(const Finalization& f, Field&& field) {
  field("status", f.final_status);
  field("duration_seconds", f.duration_seconds);
  field("real_viewers_total", f.real_viewers_total);
  field("sim_viewers_total", f.sim_viewers_total);
  field("real_peak", f.real_peak);
  field("sim_peak", f.sim_peak);
  field("real_likes", f.real.likes);
  field("sim_likes", f.sim_likes);
  field("final_viewer_count", f.final_display.viewers);
  field("final_like_count", f.final_display.likes);
  field("final_max_viewers", f.final_display.max_viewers);
  field("includes_simulated", f.final_display.simulated);
}

struct LineField {
  std::string& out;
  void operator()(const char* name, const std::string& v) const {
    out.append(" ").append(name).append("=").append(v);
  }
  void operator()(const char* name, std::int64_t v) const { (*this)(name, std::to_string(v)); }
  void operator()(const char* name, bool v) const {
    (*this)(name, std::string(v ? "true" : "false"));
  }
};

}  // namespace

std::string config_problem_key(std::int64_t stream_id) {
  return "stream:" + std::to_string(stream_id);
}

const std::string& StreamPlanner::json_of(const EngagementConfig& c) {
  if (!json_ || json_->first != c) json_.emplace(c, config_json(c));
  return json_->second;
}

StreamPlan StreamPlanner::plan(const LiveStream& s, Rng& rng) {
  const TickFacts& tick = facts_;
  const std::int64_t now = tick.now_ms;
  StreamPlan p;
  p.config = tick.defaults;
  if (!s.config) {
    p.source = ConfigSource::new_row;
    p.config_row = ConfigInsert{s.id, tick.defaults};
  } else if (const auto parsed = config_from_raw(*s.config, p.config_error)) {
    p.source = ConfigSource::stream_row;
    p.config = *parsed;
    p.config.watch_minutes = tick.defaults.watch_minutes;  // global only: no column
  } else {
    p.source = ConfigSource::invalid_row;
    p.warnings.push_back({config_problem_key(s.id), p.config_error,
                          "stream=" + std::to_string(s.id) + " invalid stream_engagement_config (" +
                              p.config_error + "); using the global defaults until it is fixed"});
  }
  const std::string& used = json_of(p.config);

  bool write_state = false;
  const std::int64_t first_tick = s.state ? s.state->first_tick_ms : now;
  if (!tick.simulate) {
    if (s.state) {
      // Frozen while off; the real peak is still followed.
      p.sim = s.state->sim;
      p.sim.real_peak = std::max(p.sim.real_peak, s.real.viewers);
      write_state = p.sim != s.state->sim;
    }
  } else if (!s.state) {
    p.sim = first_sight(p.config, s.real, rng);
    write_state = true;
    p.audits.push_back({now, "first_simulated", s.id,
                        JsonObject()
                            .raw("config", used)
                            .add("config_source", source_text(p.source, p.config_error))
                            .add("real_viewers", s.real.viewers)
                            .add("sim_viewers", p.sim.viewers)
                            .str()});
  } else {
    // A stream whose numbers did not change last tick was not written,
    // but its time was spent: the lease row says until when.
    const std::int64_t since = std::max(s.state->last_tick_ms, tick.lease_last_tick_ms);
    p.dt_seconds = std::clamp(static_cast<double>(now - since) / 1000.0, 0.0, tick.max_catchup_s);
    p.sim = step(p.config, s.state->sim, s.real, p.dt_seconds, rng);
    // A finalized stream that is live again is simulated on from its totals.
    write_state = p.sim != s.state->sim || s.state->finalized;
  }
  if (s.state && s.state->config_json != used) {
    // Recorded with the state; a change is audited (a state from before
    // the column existed is just recorded).
    if (!s.state->config_json.empty()) {
      p.audits.push_back({now, "config_changed", s.id,
                          JsonObject()
                              .raw("from", s.state->config_json)
                              .raw("to", used)
                              .add("config_source", source_text(p.source, p.config_error))
                              .str()});
    }
    write_state = true;
  }
  // The settings are written only when they differ from the stored ones
  // (an empty value keeps the column as it is).
  if (write_state) {
    p.state = StateWrite{s.id,  s.state && !s.state->finalized,
                         p.sim, first_tick,
                         now,   s.state && s.state->config_json == used ? "" : used};
  }
  p.target = tick.simulate ? target_viewers(p.config, s.real.viewers) : 0;

  const Display wanted = live_display(s.real, p.sim, tick.simulate);
  p.display = clamped(wanted, tick.display_limit);
  p.clamped = p.display != wanted;
  if (p.clamped) {
    p.warnings.push_back({"clamp:" + std::to_string(s.id), "clamped",
                          "stream=" + std::to_string(s.id) +
                              " display numbers above what the columns hold (" +
                              std::to_string(tick.display_limit) + "); shown clamped to it"});
  }
  p.write_display = p.display != s.shown;
  return p;
}

Display live_display(const RealCounts& real, const SimState& sim, bool simulated) {
  if (!simulated)
    return Display{real.viewers, real.viewers, real.likes, real.dislikes, real.comments, false};
  return Display{real.viewers + sim.viewers,
                 sim.peak,
                 real.likes + sim.likes,
                 real.dislikes,
                 real.comments,
                 sim.viewers > 0 || sim.likes > 0 || sim.joins > 0};
}

Display clamped(Display d, std::int64_t limit) {
  for (std::int64_t* v : {&d.viewers, &d.max_viewers, &d.likes, &d.dislikes, &d.comments}) {
    *v = std::clamp<std::int64_t>(*v, 0, limit);
  }
  return d;
}

bool is_known_status(std::string_view status) {
  std::string s(status);
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s == "scheduled" || s == "ended" || s == "archived" || s == "cancelled";
}

FinalPlan plan_finalization(const EndedStream& e, const TickFacts& tick) {
  FinalPlan plan;
  const std::string id = std::to_string(e.stream_id);
  if (e.exists && !is_known_status(e.status)) {
    // Not 'live', but not a status that ends a stream either: leave it be.
    const std::string what = "stream=" + id + " has status " + setting_text_excerpt(e.status) +
                             ", which is not one of live, scheduled, ended, archived, "
                             "cancelled; it is neither simulated nor finalized meanwhile";
    plan.warnings.push_back({"status:" + id, what, what});
    return plan;
  }
  if (e.exists && e.duration_seconds < 0) {
    plan.warnings.push_back(
        {"", "",
         "stream=" + id + " has no started_at; its duration is taken from its simulated span"});
  }
  const SimState& sim = e.state.sim;
  Finalization f;
  f.stream_id = e.stream_id;
  f.stream_exists = e.exists;
  f.final_status = e.exists ? e.status : "deleted";
  f.duration_seconds = e.duration_seconds >= 0
                           ? e.duration_seconds
                           : (e.state.last_tick_ms - e.state.first_tick_ms) / 1000;
  f.real_viewers_total = e.real_viewers_total;
  f.sim_viewers_total = sim.joins;
  f.real = e.real;
  f.sim_likes = sim.likes;
  f.real_peak = sim.real_peak;
  f.sim_peak = sim.sim_peak;
  // With simulation off, the final numbers are real only, as the live ones were.
  const Display wanted = tick.simulate
                             ? Display{e.real_viewers_total + sim.joins,
                                       sim.peak,
                                       e.real.likes + sim.likes,
                                       e.real.dislikes,
                                       e.real.comments,
                                       sim.joins > 0 || sim.likes > 0}
                             : Display{e.real_viewers_total, e.real_viewers_total, e.real.likes,
                                       e.real.dislikes,      e.real.comments,      false};
  f.final_display = clamped(wanted, tick.display_limit);
  f.finalized_ms = tick.now_ms;
  plan.finalization = std::move(f);
  return plan;
}

std::string finalized_detail(const Finalization& f) {
  JsonObject detail;
  each_final_number(f, [&](const char* name, const auto& value) { detail.add(name, value); });
  return detail.str();
}

std::string finalized_line(const Finalization& f) {
  std::string line = "finalized stream=" + std::to_string(f.stream_id);
  each_final_number(f, LineField{line});
  return line;
}

AuditEvent finalized_audit(const Finalization& f) {
  return {f.finalized_ms, "finalized", f.stream_id, finalized_detail(f)};
}

KillSwitchPlan plan_kill_switch(bool file_enabled, bool global_enabled,
                                const std::optional<std::string>& last_audit_detail,
                                std::int64_t now_ms) {
  KillSwitchPlan plan;
  plan.simulate = file_enabled && global_enabled;
  const bool audited_on =
      !last_audit_detail || last_audit_detail->find("\"simulation\":\"off\"") == std::string::npos;
  if (plan.simulate != audited_on) {
    JsonObject detail;
    detail.add("simulation", plan.simulate ? "on" : "off");
    if (!file_enabled) detail.add("off_by_config_file", true);
    if (!global_enabled) detail.add("off_by_global_setting", true);
    plan.audit = AuditEvent{now_ms, "kill_switch", std::nullopt, detail.str()};
  }
  return plan;
}

}  // namespace engagementd
