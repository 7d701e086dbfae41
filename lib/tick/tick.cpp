#include "tick/tick.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <utility>

#include "core/audit.hpp"

namespace engagementd {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// A failing stream is left out this long, then tried again (its row may
// have been mended); the log names it once per distinct error.
constexpr std::int64_t kSetAsideForMs = 10 * 60 * 1000;

// A server's start time is taken as now minus its uptime, both in whole
// seconds: two readings of one server's differ by up to a second.
constexpr std::int64_t kServerStartSlackS = 2;

// How long after a stream's finalization a replay row linked to it still
// gets the final numbers (end.php writes it seconds later; a week also
// covers a row added by hand).
constexpr std::int64_t kSavedStreamsWindowMs = 7LL * 24 * 60 * 60 * 1000;

// Within what every display column holds: a number above it would fail the
// whole write (MariaDB strict mode) or be cut by the server.
Display clamped(Display d, std::int64_t limit) {
  for (std::int64_t* v : {&d.viewers, &d.max_viewers, &d.likes, &d.dislikes, &d.comments}) {
    *v = std::clamp<std::int64_t>(*v, 0, limit);
  }
  return d;
}

Display live_display(const RealCounts& real, const SimState& sim, bool simulated) {
  if (!simulated)
    return Display{real.viewers, real.viewers, real.likes, real.dislikes, real.comments, false};
  // The badge: viewers or likes include simulated ones now, or the peak may
  // (simulated viewers have been shown).
  return Display{real.viewers + sim.viewers,
                 sim.peak,
                 real.likes + sim.likes,
                 real.dislikes,
                 real.comments,
                 sim.viewers > 0 || sim.likes > 0 || sim.joins > 0};
}

bool is_known_status(std::string status) {
  for (char& ch : status) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return status == "scheduled" || status == "ended" || status == "archived" ||
         status == "cancelled";
}

}  // namespace

TickEngine::TickEngine(TickStore& store, const Logger& log, std::uint64_t seed, std::string holder,
                       Shard shard)
    : store_(store), log_(log), rng_(seed), holder_(std::move(holder)), shard_(shard) {}

std::string TickEngine::shard_text() const {
  if (shard_.count <= 1) return {};
  return " of shard " + std::to_string(shard_.index) + "/" + std::to_string(shard_.count);
}

bool TickEngine::take_lease(std::int64_t now, const TickSettings& settings, Lease& read) {
  const std::optional<Lease> lease = store_.lock_lease(shard_.index);
  std::string reason;
  if (!lease) {
    // Another instance holds the row lock, normally for the length of its
    // tick. If its lease has run out meanwhile, it has stalled (paused,
    // partitioned) in the middle of a tick: end_stalled_holder ends its
    // session once the transaction is over, if that session is proven to
    // hold the lock.
    const std::optional<Lease> seen = store_.peek_lease(shard_.index);
    if (seen && seen->expires_ms < now) stalled_ = *seen;
    reason = (seen ? seen->holder : std::string("another instance")) + " is ticking";
  } else if (lease->holder == holder_ || lease->expires_ms <= now || lease->holder.empty()) {
    read = *lease;
    if (lease->holder == holder_) {
      // Ours (this process, e.g. after a reconnect): renew it as it is.
      token_ = lease->token;
    } else {
      token_ = lease->token + 1;
      std::string after;
      if (lease->expires_ms == 0 && !lease->holder.empty()) {
        after = ", after " + lease->holder + "'s clean release";
      } else if (!lease->holder.empty()) {
        after = ", after " + lease->holder + "'s expired " +
                std::to_string(now - lease->expires_ms) + " ms ago";
      }
      const auto [host, started] = store_.server_identity();
      if (!lease->holder.empty() && lease->server_started_s > 0 && lease->server_host == host &&
          std::llabs(lease->server_started_s - started) > kServerStartSlackS) {
        after += "; the database server restarted since its last tick";
      }
      // Said once the tick that takes it has committed.
      took_notice_ = "took the leadership lease" + shard_text() + " as " + holder_ + " (token " +
                     std::to_string(token_) + after + ")";
    }
    problems_.clear("lease-holder");
    if (!leader_) standby_reason_.clear();
    leader_ = true;
    return true;
  } else {
    reason = lease->holder + " holds the lease" + shard_text() + " for " +
             std::to_string(lease->expires_ms - now) + " ms more";
  }
  if (leader_) {
    log_.warning("lost the leadership lease" + shard_text() + " (" + reason +
                 "); standing by, writing nothing");
  } else if (standby_reason_.empty()) {
    log_.notice("standby: " + reason + "; waiting to take over when it expires (lease " +
                std::to_string(settings.lease.count()) + " ms)");
  }
  leader_ = false;
  standby_reason_ = reason;
  return false;
}

void TickEngine::end_stalled_holder(std::int64_t now) {
  const Lease seen = std::move(*stalled_);
  stalled_.reset();
  const std::string what = "lease holder " + seen.holder + shard_text() + " (token " +
                           std::to_string(seen.token) + ") ran past its lease with the row locked";
  const std::optional<LeaseLockHolder> locker = store_.lease_lock_holder(shard_.index);
  if (!locker || locker->connection_id == store_.connection_id()) {
    // Perhaps an older engagementd, a person's session, or a holder that
    // has just committed: nothing proves which session holds the lock, so
    // none is ended.
    if (problems_.first("lease-holder", what + "; no session is proven to hold the lock")) {
      log_.warning(what +
                   ", but no session is proven to hold the lock; ending none, waiting "
                   "for the lock to be released");
    }
    return;
  }
  if (!locker->own_account) {
    if (problems_.first("lease-holder", what + "; other account " + locker->account)) {
      log_.warning(what + "; its session " + std::to_string(locker->connection_id) + " runs as " +
                   locker->account +
                   ", not this instance's account: not ending it, waiting for the lock to be "
                   "released");
    }
    return;
  }
  log_.warning(what + " " + std::to_string(now - seen.expires_ms) +
               " ms past its lease; ending its connection " +
               std::to_string(locker->connection_id) + ", proven to hold the lock");
  try {
    store_.kill_connection(locker->connection_id);
  } catch (const std::exception& e) {
    if (problems_.first("lease-holder", what + "; KILL failed")) {
      log_.warning(std::string("cannot end the stalled holder's connection: err=\"") + e.what() +
                   "\"");
    }
  }
}

void TickEngine::release() {
  if (!leader_) return;
  TickStore::Transaction tx(store_);
  store_.release_lease(shard_.index, holder_, token_);
  tx.commit();
  leader_ = false;
}

void TickEngine::step_stream(const LiveStream& s, TickContext& tick, Pending& out) {
  const GlobalSettings& globals = tick.globals;
  const bool simulate = tick.simulate;
  const std::int64_t now = tick.now;
  auto& json_of = tick.json_of;
  const auto key = [&] { return "stream:" + std::to_string(s.id); };
  EngagementConfig config = globals.defaults;
  std::string source = "stream_engagement_config";
  if (!s.config) {
    out.configs.push_back({s.id, globals.defaults});
    source = "global defaults (new stream_engagement_config row)";
  } else {
    std::string error;
    if (const auto parsed = config_from_raw(*s.config, error)) {
      config = *parsed;
      config.watch_minutes = globals.defaults.watch_minutes;  // global only: no column
      if (!problems_.empty() && problems_.clear(key())) {
        log_.notice("stream=" + std::to_string(s.id) + " engagement config is valid again");
      }
    } else {
      source = "global defaults (invalid stream_engagement_config: " + error + ")";
      if (problems_.first(key(), error)) {
        log_.warning("stream=" + std::to_string(s.id) + " invalid stream_engagement_config (" +
                     error + "); using the global defaults until it is fixed");
      }
    }
  }
  if (!json_of || json_of->first != config) json_of.emplace(config, config_json(config));
  const std::string& used = json_of->second;

  SimState sim;
  bool write_state = false;
  std::int64_t first_tick = s.state ? s.state->first_tick_ms : now;
  if (!simulate) {
    if (s.state) {
      // Frozen while off; the real peak is still followed.
      sim = s.state->sim;
      sim.real_peak = std::max(sim.real_peak, s.real.viewers);
      write_state = sim != s.state->sim;
    }
  } else if (!s.state) {
    sim = first_sight(config, s.real, rng_);
    write_state = true;
    out.audits.push_back({now, "first_simulated", s.id,
                          JsonObject()
                              .raw("config", used)
                              .add("config_source", source)
                              .add("real_viewers", s.real.viewers)
                              .add("sim_viewers", sim.viewers)
                              .str()});
  } else {
    // A stream whose numbers did not change last tick was not written,
    // but its time was spent: the lease row says until when.
    const std::int64_t since = std::max(s.state->last_tick_ms, tick.lease.last_tick_ms);
    const double dt =
        std::clamp(static_cast<double>(now - since) / 1000.0, 0.0, tick.max_catchup_s);
    sim = step(config, s.state->sim, s.real, dt, rng_);
    // A finalized stream that is live again is simulated on from its totals.
    write_state = sim != s.state->sim || s.state->finalized;
  }
  if (s.state && s.state->config_json != used) {
    // Recorded with the state; a change is audited (a state from before
    // the column existed is just recorded).
    if (!s.state->config_json.empty()) {
      out.audits.push_back({now, "config_changed", s.id,
                            JsonObject()
                                .raw("from", s.state->config_json)
                                .raw("to", used)
                                .add("config_source", source)
                                .str()});
    }
    write_state = true;
  }
  // The settings are written only when they differ from the stored ones
  // (an empty value keeps the column as it is).
  if (write_state) {
    out.states.push_back({s.id, s.state && !s.state->finalized, sim, first_tick, now,
                          s.state && s.state->config_json == used ? "" : used});
  }

  const Display wanted = live_display(s.real, sim, simulate);
  const Display display = clamped(wanted, tick.display_limit);
  if (display != wanted && problems_.first("clamp:" + std::to_string(s.id), "clamped")) {
    log_.warning("stream=" + std::to_string(s.id) +
                 " display numbers above what the columns hold (" +
                 std::to_string(tick.display_limit) + "); shown clamped to it");
  }
  if (display != s.shown) out.displays.push_back({s.id, display});
  if (log_.enabled(LogLevel::debug)) {
    log_.debug(
        "stream=" + std::to_string(s.id) + " real_viewers=" + std::to_string(s.real.viewers) +
        " sim_viewers=" + std::to_string(sim.viewers) +
        " target=" + std::to_string(simulate ? target_viewers(config, s.real.viewers) : 0) +
        " viewers=" + std::to_string(display.viewers) +
        " real_likes=" + std::to_string(s.real.likes) + " sim_likes=" + std::to_string(sim.likes) +
        " likes=" + std::to_string(display.likes) + " peak=" + std::to_string(display.max_viewers));
  }
}

bool TickEngine::set_aside(std::int64_t stream_id, std::int64_t now) const {
  const auto it = set_aside_until_.find(stream_id);
  return it != set_aside_until_.end() && now < it->second;
}

void TickEngine::take_store_problems(std::int64_t now, std::vector<AuditEvent>& audits) {
  for (const StreamProblem& p : store_.take_problems()) {
    const std::string id = std::to_string(p.stream_id);
    if (p.set_aside) {
      set_aside_until_[p.stream_id] = now + kSetAsideForMs;
      if (problems_.first("set-aside:" + id, p.what)) {
        audits.push_back({now, "set_aside", p.stream_id, JsonObject().add("cause", p.what).str()});
        log_.error("stream=" + id + " set aside: " + p.what + "; its numbers are not written, " +
                   "the other streams tick on; tried again every " +
                   std::to_string(kSetAsideForMs / 60000) + " min");
      }
    } else {
      log_.warning("stream=" + id + " " + p.what);
    }
  }
}

TickReport TickEngine::run(const TickSettings& settings) {
  TickReport report;
  const auto t0 = Clock::now();
  TickStore::Transaction tx(store_);

  const std::int64_t now = store_.now_ms();
  Lease lease;
  if (!take_lease(now, settings, lease)) {
    tx.rollback();
    if (stalled_) end_stalled_holder(now);
    report.standby = true;
    report.total_ms = ms_between(t0, Clock::now());
    return report;
  }
  std::vector<std::string> global_problems;
  const GlobalSettings globals = resolve_global_settings(store_.read_global_settings(),
                                                         global_problems, settings.watch_minutes);
  for (const std::string& p : global_problems) {
    if (problems_.first("global:" + p, p)) log_.warning(p);
  }
  double read_ms = ms_between(t0, Clock::now());

  const bool simulate = settings.simulation_enabled && globals.simulation_enabled;
  report.simulation_enabled = simulate;
  // What is still to be written: the audit rows from here on, each chunk's rows.
  Pending pending;
  // Flips are audited against the last audited state, not this process's
  // memory: a restart or a new leader records only real changes.
  const std::optional<std::string> last_switch = store_.last_audit_detail("kill_switch");
  const bool audited_on =
      !last_switch || last_switch->find("\"simulation\":\"off\"") == std::string::npos;
  if (simulate != audited_on) {
    JsonObject detail;
    detail.add("simulation", simulate ? "on" : "off");
    if (!settings.simulation_enabled) detail.add("off_by_config_file", true);
    if (!globals.simulation_enabled) detail.add("off_by_global_setting", true);
    pending.audits.push_back({now, "kill_switch", std::nullopt, detail.str()});
  }
  if (simulate != last_simulation_enabled_) {
    log_.notice(simulate ? "simulation on: display = real + simulated"
                         : std::string("simulation off (") +
                               (settings.simulation_enabled ? "global setting simulation_enabled"
                                                            : "simulation.enabled in the config") +
                               "): display = real only");
  }

  // The live streams are read, stepped and written a chunk at a time, so
  // the memory a tick needs does not grow with the number of streams.
  TickContext context{globals,
                      simulate,
                      now,
                      lease,
                      std::chrono::duration<double>(settings.max_catchup).count(),
                      store_.display_limit(),
                      std::nullopt};
  double step_ms = 0, write_ms = 0;
  store_.begin_writes();
  const auto chunk = [&](const std::vector<LiveStream>& live) {
    const auto c0 = Clock::now();
    for (const LiveStream& s : live) {
      if (set_aside(s.id, now)) {
        ++report.set_aside;
        continue;
      }
      step_stream(s, context, pending);
    }
    const auto c1 = Clock::now();
    store_.insert_configs(pending.configs);
    store_.write_states(pending.states);
    store_.write_displays(pending.displays);
    store_.append_audit(pending.audits);
    report.live += live.size();
    report.configs_created += pending.configs.size();
    report.states_written += pending.states.size();
    report.displays_written += pending.displays.size();
    pending.configs.clear();
    pending.states.clear();
    pending.displays.clear();
    pending.audits.clear();
    step_ms += ms_between(c0, c1);
    write_ms += ms_between(c1, Clock::now());
  };
  const auto r0 = Clock::now();
  store_.read_live_streams(settings.real_viewer_ttl, shard_, settings.chunk_rows, chunk);
  const std::vector<EndedStream> ended = store_.read_ended_streams(shard_);
  const auto t2 = Clock::now();
  read_ms += ms_between(r0, t2) - step_ms - write_ms;
  store_.finish_writes();
  const std::string notice = store_.take_notice();
  if (!notice.empty() && problems_.first("store:bulk", notice)) log_.warning(notice);

  std::vector<Finalization> finals;
  for (const EndedStream& e : ended) {
    if (set_aside(e.id, now)) {
      ++report.set_aside;
      continue;
    }
    if (e.exists && !is_known_status(e.status)) {
      // Not 'live', but not a status that ends a stream either: leave it be.
      const std::string key = "status:" + std::to_string(e.id);
      const std::string what = "stream=" + std::to_string(e.id) + " has status '" + e.status +
                               "', which is not one of live, scheduled, ended, archived, "
                               "cancelled; it is neither simulated nor finalized meanwhile";
      if (problems_.first(key, what)) log_.warning(what);
      continue;
    }
    if (e.exists && e.duration_seconds < 0) {
      log_.warning("stream=" + std::to_string(e.id) +
                   " has no started_at; its duration is taken from its simulated span");
    }
    Finalization f;
    f.stream_id = e.id;
    f.stream_exists = e.exists;
    f.final_status = e.exists ? e.status : "deleted";
    f.duration_seconds = e.duration_seconds >= 0
                             ? e.duration_seconds
                             : (e.state.last_tick_ms - e.state.first_tick_ms) / 1000;
    f.real_viewers_total = e.real_viewers_total;
    f.sim_viewers_total = e.state.sim.joins;
    f.real = e.real;
    f.sim_likes = e.state.sim.likes;
    f.real_peak = e.state.sim.real_peak;
    f.sim_peak = e.state.sim.sim_peak;
    // With simulation off, the final numbers are real only, as the live ones were.
    f.final_display = simulate ? Display{e.real_viewers_total + e.state.sim.joins,
                                         e.state.sim.peak,
                                         e.real.likes + e.state.sim.likes,
                                         e.real.dislikes,
                                         e.real.comments,
                                         e.state.sim.joins > 0 || e.state.sim.likes > 0}
                               : Display{e.real_viewers_total, e.real_viewers_total, e.real.likes,
                                         e.real.dislikes,      e.real.comments,      false};
    f.finalized_ms = now;
    f.final_display = clamped(f.final_display, context.display_limit);
    if (!store_.finalize(f)) continue;
    pending.audits.push_back({now, "finalized", f.stream_id,
                              JsonObject()
                                  .add("status", f.final_status)
                                  .add("duration_seconds", f.duration_seconds)
                                  .add("real_viewers_total", f.real_viewers_total)
                                  .add("sim_viewers_total", f.sim_viewers_total)
                                  .add("real_peak", f.real_peak)
                                  .add("sim_peak", f.sim_peak)
                                  .add("real_likes", f.real.likes)
                                  .add("sim_likes", f.sim_likes)
                                  .add("final_viewer_count", f.final_display.viewers)
                                  .add("final_like_count", f.final_display.likes)
                                  .add("final_max_viewers", f.final_display.max_viewers)
                                  .add("includes_simulated", f.final_display.simulated)
                                  .str()});
    finals.push_back(std::move(f));
  }

  // Replay rows written after their stream was finalized (end.php may save
  // the replay a moment after the stream ended) get the final numbers.
  try {
    store_.sync_saved_streams(now, kSavedStreamsWindowMs);
    if (problems_.clear("saved_streams")) log_.notice("final numbers reach saved_streams again");
  } catch (const soci::soci_error& e) {
    if (!TickStore::is_statement_error(e)) throw;
    if (problems_.first("saved_streams", e.get_error_message())) {
      log_.error(
          "final numbers cannot be written into saved_streams rows written after their "
          "stream ended: " +
          kv("err", e.get_error_message()) + "; the ticks go on ('engagementd doctor' tells more)");
    }
  }
  take_store_problems(now, pending.audits);

  store_.append_audit(pending.audits);

  // The fencing check: the row is still the one this tick locked and read.
  const auto [server_host, server_started] = store_.server_identity();
  const Lease next{holder_,
                   token_,
                   store_.connection_id(),
                   now + static_cast<std::int64_t>(settings.lease.count()),
                   now,
                   server_host,
                   server_started};
  if (!store_.write_lease(shard_.index, lease, next)) {
    throw std::runtime_error("the leadership lease changed during the tick; rolled back");
  }
  tx.commit();
  const auto t3 = Clock::now();
  if (!took_notice_.empty()) log_.notice(std::exchange(took_notice_, std::string()));

  last_simulation_enabled_ = simulate;
  for (const Finalization& f : finals) {
    problems_.clear("stream:" + std::to_string(f.stream_id));
    log_.info("finalized stream=" + std::to_string(f.stream_id) + " status=" + f.final_status +
              " viewers=" + std::to_string(f.final_display.viewers) + " (real=" +
              std::to_string(f.real_viewers_total) + " sim=" + std::to_string(f.sim_viewers_total) +
              ") likes=" + std::to_string(f.final_display.likes) +
              " (real=" + std::to_string(f.real.likes) + " sim=" + std::to_string(f.sim_likes) +
              ") peak=" + std::to_string(f.final_display.max_viewers) +
              " duration_s=" + std::to_string(f.duration_seconds));
  }

  report.finalized = finals.size();
  report.read_ms = read_ms;
  report.step_ms = step_ms;
  report.write_ms = write_ms + ms_between(t2, t3);
  report.total_ms = ms_between(t0, t3);
  return report;
}

}  // namespace engagementd
