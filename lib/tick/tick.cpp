#include "tick/tick.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "core/audit.hpp"
#include "store/db_errors.hpp"

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

// The state row of a stream the site deleted outright is removed this long
// after its finalization (its summary row stays, marked 'deleted').
constexpr std::int64_t kDeletedStateKeptMs = 7LL * 24 * 60 * 60 * 1000;

// Another writer seen on a stream again within this time is the same
// episode (said once); after it, a new one.
constexpr std::int64_t kOverwrittenEpisodeMs = 10 * 60 * 1000;

using Displays = std::vector<std::pair<std::int64_t, Display>>;

Displays::iterator find_display(Displays& displays, std::int64_t id) {
  const auto it = std::lower_bound(
      displays.begin(), displays.end(), id,
      [](const std::pair<std::int64_t, Display>& d, std::int64_t v) { return d.first < v; });
  return it != displays.end() && it->first == id ? it : displays.end();
}

std::string display_change(const Display& was, const Display& found) {
  std::string out;
  const auto field = [&](const char* name, std::int64_t a, std::int64_t b) {
    if (a != b)
      out += (out.empty() ? "" : ", ") + std::string(name) + " " + std::to_string(a) + " -> " +
             std::to_string(b);
  };
  field("viewers", was.viewers, found.viewers);
  field("max_viewers", was.max_viewers, found.max_viewers);
  field("likes", was.likes, found.likes);
  field("dislikes", was.dislikes, found.dislikes);
  field("comments", was.comments, found.comments);
  field("includes_simulated", was.simulated, found.simulated);
  return out;
}

// How long after a stream's finalization a replay row linked to it still
// gets the final numbers (end.php writes it seconds later; a week also
// covers a row added by hand).
constexpr std::int64_t kSavedStreamsWindowMs = 7LL * 24 * 60 * 60 * 1000;

// How long a connection this instance ended may still show as the lock's
// holder before it is ended again: a KILL is carried out at the session's
// next check, and a session busy in the server or a loaded machine may take
// seconds to go.
constexpr std::int64_t kEndedConnectionGrace = 10'000;

}  // namespace

TickEngine::TickEngine(TickStore& store, const Logger& log, std::uint64_t seed, std::string holder,
                       Shard shard)
    : cache_(std::make_unique<StreamCache>(store)),
      store_(*cache_),
      log_(log),
      rng_(seed),
      holder_(std::move(holder)),
      shard_(shard) {}

std::string TickEngine::shard_text() const {
  if (shard_.count <= 1) return {};
  return " of shard " + std::to_string(shard_.index) + "/" + std::to_string(shard_.count);
}

bool TickEngine::take_lease(std::int64_t now, const TickSettings& settings, Lease& read) {
  // Said only by a tick that took the lease and committed (a tick that lost
  // a race at COMMIT, e.g. on a cluster, never held it).
  took_notice_.clear();
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
    reason = seen && !seen->holder.empty()
                 ? seen->holder + " is ticking"
                 : std::string("another instance is taking the lease over");
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
    // leader_ is set once the tick commits (run).
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

void TickEngine::end_stalled_holder(std::int64_t now, std::chrono::milliseconds own_lease) {
  const Lease seen = std::move(*stalled_);
  stalled_.reset();
  const std::string what =
      seen.holder.empty()
          ? "the lease row" + shard_text() + ", never held, stayed locked past a lease"
          : "lease holder " + seen.holder + shard_text() + " (token " + std::to_string(seen.token) +
                ") ran past its lease with the row locked";
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
  // The lease the locking tick is renewing runs from when it locked the row,
  // for the holder's lease (as its last commit recorded it; else this
  // instance's). Within it the lock is a tick in progress: most often another
  // instance taking the expired lease over, which must not be ended.
  const std::int64_t lease_ms = seen.expires_ms > seen.last_tick_ms
                                    ? seen.expires_ms - seen.last_tick_ms
                                    : static_cast<std::int64_t>(own_lease.count());
  if (locker->locked_ms + lease_ms >= now) {
    log_.debug(what + "? no: session " + std::to_string(locker->connection_id) + " locked it " +
               std::to_string(now - locker->locked_ms) + " ms ago, within a lease; waiting");
    return;
  }
  if (!locker->own_node) {
    // A connection id of another node of a cluster names another session
    // here. Galera itself aborts the stalled transaction there once a
    // standby's tick commits the lease (a standby on that node may end it).
    if (problems_.first("lease-holder", what + "; on node " + locker->node)) {
      log_.warning(what + "; its session is on node " + locker->node +
                   ", not this one: not ending it, taking over by committing the lease");
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
  if (ended_ && ended_->id == locker->connection_id && now - ended_->at_ms < kEndedConnectionGrace) {
    log_.debug(what + "; its connection " + std::to_string(locker->connection_id) + " was ended " +
               std::to_string(now - ended_->at_ms) + " ms ago and is still going; waiting");
    return;
  }
  ended_ = EndedConnection{locker->connection_id, now};
  const std::int64_t held = now - locker->locked_ms;
  log_.warning(what + "; ending its connection " + std::to_string(locker->connection_id) +
               ", proven to hold the lock" +
               (held < 86'400'000 ? ", held for " + std::to_string(held) + " ms" : "") +
               " (lease " + std::to_string(lease_ms) + " ms)");
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

void TickEngine::log_warnings(const std::vector<PlanWarning>& warnings) {
  for (const PlanWarning& w : warnings) {
    if (w.key.empty() || problems_.first(w.key, w.what)) log_.warning(w.text);
  }
}

void TickEngine::take_plan(const LiveStream& s, StreamPlan& plan, Pending& out) {
  if (plan.source == ConfigSource::stream_row) {
    if (!problems_.empty() && problems_.clear(config_problem_key(s.id))) {
      log_.notice("stream=" + std::to_string(s.id) + " engagement config is valid again");
    }
  }
  log_warnings(plan.warnings);
  if (plan.config_row) out.configs.push_back(std::move(*plan.config_row));
  if (plan.state) out.states.push_back(std::move(*plan.state));
  if (plan.write_display) out.displays.push_back({s.id, plan.display});
  for (AuditEvent& a : plan.audits) out.audits.push_back(std::move(a));
  if (log_.enabled(LogLevel::debug)) {
    const Display& display = plan.display;
    log_.debug(
        "stream=" + std::to_string(s.id) + " real_viewers=" + std::to_string(s.real.viewers) +
        " sim_viewers=" + std::to_string(plan.sim.viewers) +
        " target=" + std::to_string(plan.target) + " viewers=" + std::to_string(display.viewers) +
        " real_likes=" + std::to_string(s.real.likes) +
        " sim_likes=" + std::to_string(plan.sim.likes) + " likes=" + std::to_string(display.likes) +
        " peak=" + std::to_string(display.max_viewers));
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
      // Its display was not written.
      if (const auto it = find_display(leaving_, p.stream_id); it != leaving_.end()) {
        leaving_.erase(it);
      }
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

void TickEngine::check_display_writer(const LiveStream& s, std::int64_t now) {
  if (!unbroken_) return;
  const auto left = find_display(left_, s.id);
  if (left == left_.end() || left->second == s.shown) return;
  const auto [episode, fresh] = overwritten_until_.try_emplace(s.id, 0);
  const bool said = !fresh && now < episode->second;
  episode->second = now + kOverwrittenEpisodeMs;
  if (said) return;
  log_.warning("stream=" + std::to_string(s.id) +
               " display numbers changed by another writer since this instance's last tick (" +
               display_change(left->second, s.shown) +
               "): something else writes live_streams' display columns (the site's own code, "
               "e.g. with the PHP kit removed while engagementd runs, or a second daemon on "
               "another lease table); engagementd writes its numbers again at every tick, so the "
               "page's numbers jump between the two. Said once per stream every " +
               std::to_string(kOverwrittenEpisodeMs / 60000) + " min while it goes on");
}

TickReport TickEngine::run(const TickSettings& settings) {
  TickRun tick;
  TickReport& report = tick.report;
  const auto t0 = Clock::now();
  cache_->enable(settings.cache);
  cache_->set_sweep(settings.real_viewer_sweep);
  // The store's shard and TTL, once (again when the settings change).
  if (configured_ttl_ != settings.real_viewer_ttl) {
    store_.configure(shard_, settings.real_viewer_ttl);
    configured_ttl_ = settings.real_viewer_ttl;
  }
  TickStore::Transaction tx(store_);

  const std::int64_t now = store_.now_ms();
  tick.now = now;
  if (!take_lease(now, settings, tick.lease)) {
    tx.rollback();
    if (stalled_) end_stalled_holder(now, settings.lease);
    report.standby = true;
    report.cache_dropped = cache_->take_dropped();
    report.total_ms = ms_between(t0, Clock::now());
    return report;
  }
  begin_leading(tick.lease, now);
  const GlobalSettings globals = read_globals(settings);
  tick.read_ms = ms_between(t0, Clock::now());

  // Whether this tick simulates; the kill switch's audit row, if any, is the
  // first still to be written.
  take_kill_switch(settings, globals, tick);

  // The live streams are read, stepped and written a chunk at a time, so
  // the memory a tick needs does not grow with the number of streams.
  StreamPlanner planner(TickFacts{globals.defaults, tick.simulate, now, tick.lease.last_tick_ms,
                                  std::chrono::duration<double>(settings.max_catchup).count(),
                                  store_.display_limit()});
  store_.begin_writes();
  const auto r0 = Clock::now();
  store_.read_live_streams(settings.chunk_rows, [&](const std::vector<LiveStream>& live) {
    write_chunk(live, planner, tick);
  });
  const std::vector<EndedStream> ended = store_.read_ended_streams();
  const auto t2 = Clock::now();
  tick.read_ms += ms_between(r0, t2) - tick.step_ms - tick.write_ms;
  store_.finish_writes();
  const std::string notice = store_.take_notice();
  if (!notice.empty() && problems_.first("store:bulk", notice)) log_.warning(notice);

  finalize_ended(ended, planner, tick);
  sync_replays(now);
  sweep_when_due(tick);
  take_store_problems(now, tick.pending.audits);

  store_.append_audit(tick.pending.audits);

  write_fenced_lease(settings, tick);
  tx.commit();
  const auto t3 = Clock::now();
  keep_committed(settings, tick);

  report.from_cache = cache_->used();
  report.cache_dropped = cache_->take_dropped();
  report.finalized = tick.finals.size();
  report.read_ms = tick.read_ms;
  report.step_ms = tick.step_ms;
  report.write_ms = tick.write_ms + ms_between(t2, t3);
  report.total_ms = ms_between(t0, t3);
  return report;
}

void TickEngine::begin_leading(const Lease& lease, std::int64_t now) {
  // The numbers this instance left are still the last any daemon wrote
  // only if its lease went on unbroken since its last tick.
  leaving_.clear();
  leaving_.reserve(left_.size());
  unbroken_ = leader_ && lease.holder == holder_ && lease.token == token_ &&
              lease.last_tick_ms == left_tick_ms_ && lease.expires_ms >= now;
  if (!unbroken_) left_.clear();
}

GlobalSettings TickEngine::read_globals(const TickSettings& settings) {
  std::vector<std::string> global_problems;
  GlobalSettings globals = resolve_global_settings(store_.read_global_settings(),
                                                   global_problems, settings.watch_minutes);
  for (const std::string& p : global_problems) {
    if (problems_.first("global:" + p, p)) log_.warning(p);
  }
  return globals;
}

void TickEngine::take_kill_switch(const TickSettings& settings, const GlobalSettings& globals,
                                  TickRun& tick) {
  KillSwitchPlan kill_switch =
      plan_kill_switch(settings.simulation_enabled, globals.simulation_enabled,
                       store_.last_audit_detail("kill_switch"), tick.now);
  const bool simulate = kill_switch.simulate;
  tick.simulate = simulate;
  tick.report.simulation_enabled = simulate;
  if (kill_switch.audit) tick.pending.audits.push_back(std::move(*kill_switch.audit));
  if (simulate != last_simulation_enabled_) {
    log_.notice(simulate ? "simulation on: display = real + simulated"
                         : std::string("simulation off (") +
                               (settings.simulation_enabled ? "global setting simulation_enabled"
                                                            : "simulation.enabled in the config") +
                               "): display = real only");
  }
}

void TickEngine::write_chunk(const std::vector<LiveStream>& live, StreamPlanner& planner,
                             TickRun& tick) {
  TickReport& report = tick.report;
  Pending& pending = tick.pending;
  const auto c0 = Clock::now();
  for (const LiveStream& s : live) {
    if (set_aside(s.id, tick.now)) {
      ++report.set_aside;
      continue;
    }
    check_display_writer(s, tick.now);
    StreamPlan plan = planner.plan(s, rng_);
    leaving_.emplace_back(s.id, plan.display);
    report.real_viewers += s.real.viewers;
    report.real_likes += s.real.likes;
    report.sim_viewers += std::max<std::int64_t>(0, plan.display.viewers - s.real.viewers);
    report.sim_likes += std::max<std::int64_t>(0, plan.display.likes - s.real.likes);
    take_plan(s, plan, pending);
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
  tick.step_ms += ms_between(c0, c1);
  tick.write_ms += ms_between(c1, Clock::now());
}

void TickEngine::finalize_ended(const std::vector<EndedStream>& ended,
                                const StreamPlanner& planner, TickRun& tick) {
  for (const EndedStream& e : ended) {
    if (set_aside(e.stream_id, tick.now)) {
      ++tick.report.set_aside;
      continue;
    }
    FinalPlan plan = plan_finalization(e, planner.facts());
    log_warnings(plan.warnings);
    if (!plan.finalization) continue;
    Finalization& f = *plan.finalization;
    if (!store_.finalize(f)) continue;
    tick.pending.audits.push_back(finalized_audit(f));
    tick.finals.push_back(std::move(f));
  }
}

void TickEngine::sync_replays(std::int64_t now) {
  // Replay rows written after their stream was finalized (end.php may save
  // the replay a moment after the stream ended) get the final numbers.
  try {
    store_.sync_saved_streams(now, kSavedStreamsWindowMs);
    if (problems_.clear("saved_streams")) log_.notice("final numbers reach saved_streams again");
  } catch (const std::exception& e) {
    if (!is_statement_error(e)) throw;
    if (problems_.first("saved_streams", error_text(e))) {
      log_.error(
          "final numbers cannot be written into saved_streams rows written after their "
          "stream ended: " +
          kv("err", error_text(e)) + "; the ticks go on ('engagementd doctor' tells more)");
    }
  }
}

void TickEngine::sweep_when_due(TickRun& tick) {
  // The summary follows what the site did after the finalization.
  tick.sweeping = shard_.index == 0 && tick.now >= next_sweep_ms_;
  if (!tick.sweeping) return;
  try {
    tick.sweep = store_.sweep_summaries(sweep_after_, tick.now - kDeletedStateKeptMs);
    if (problems_.clear("summary-sweep")) log_.notice("the summary follows the site again");
  } catch (const std::exception& e) {
    if (!is_statement_error(e)) throw;
    if (problems_.first("summary-sweep", error_text(e))) {
      log_.error("the summary cannot follow the site's statuses and deletions: " +
                 kv("err", error_text(e)) + "; the ticks go on");
    }
  }
}

void TickEngine::write_fenced_lease(const TickSettings& settings, const TickRun& tick) {
  // The fencing check: the row is still the one this tick locked and read.
  const auto [server_host, server_started] = store_.server_identity();
  const Lease next{holder_,
                   token_,
                   store_.connection_id(),
                   tick.now + static_cast<std::int64_t>(settings.lease.count()),
                   tick.now,
                   server_host,
                   server_started};
  if (!store_.write_lease(shard_.index, tick.lease, next)) {
    throw std::runtime_error("the leadership lease changed during the tick; rolled back");
  }
}

void TickEngine::keep_committed(const TickSettings& settings, const TickRun& tick) {
  const std::int64_t now = tick.now;
  // A failing sweep too waits for its time (it said why once).
  if (tick.sweeping) {
    next_sweep_ms_ = now + static_cast<std::int64_t>(settings.summary_sweep.count());
  }
  if (tick.sweep) keep_sweep(*tick.sweep);
  keep_displays_left(now);
  if (!leader_) standby_reason_.clear();
  leader_ = true;
  if (!took_notice_.empty()) log_.notice(std::exchange(took_notice_, std::string()));

  last_simulation_enabled_ = tick.simulate;
  for (const Finalization& f : tick.finals) {
    problems_.clear(config_problem_key(f.stream_id));
    log_.info(finalized_line(f));
  }
}

void TickEngine::keep_sweep(const SummarySweep& sweep) {
  sweep_after_ = sweep.upto;
  if (sweep.status_followed + sweep.deleted + sweep.states_removed > 0) {
    log_.info("summary follows the site: " + std::to_string(sweep.status_followed) +
              " stream(s) with the status the site set since their finalization, " +
              std::to_string(sweep.deleted) + " deleted by the site, " +
              std::to_string(sweep.states_removed) +
              " state row(s) removed (streams deleted by the site, finalized over a week ago)");
  }
}

void TickEngine::keep_displays_left(std::int64_t now) {
  // In id order already (one read in id order); sorted in case a store
  // ever reads otherwise.
  if (!std::is_sorted(leaving_.begin(), leaving_.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; })) {
    std::sort(leaving_.begin(), leaving_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  left_.swap(leaving_);
  leaving_.clear();
  left_tick_ms_ = now;
  for (auto it = overwritten_until_.begin(); it != overwritten_until_.end();) {
    it = it->second <= now ? overwritten_until_.erase(it) : std::next(it);
  }
}

}  // namespace engagementd
