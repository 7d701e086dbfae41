#include "service/daemon.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <random>

#include "core/duration.hpp"
#include "core/retry.hpp"
#include "service/version.hpp"
#include "store/cluster.hpp"
#include "store/db_errors.hpp"
#include "store/doctor.hpp"
#include "store/transport.hpp"

namespace engagementd {
namespace {

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string seconds_text(std::chrono::steady_clock::duration d) {
  return fixed(std::chrono::duration<double>(d).count()) + "s";
}

std::uint64_t pick_seed(const Config& c) {
  if (c.seed) return *c.seed;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// host:pid:random, unique per process even across hosts and PID reuse.
std::string make_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  std::random_device rd;
  char tail[16];
  std::snprintf(tail, sizeof tail, "%08x", static_cast<unsigned>(rd()));
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + tail;
}

constexpr int kTickAttempts = 5;  // a deadlocked tick is tried up to this often

}  // namespace

Daemon::Daemon(Config config, Logger& log)
    : config_(std::move(config)),
      log_(log),
      timer_(io_),
      stop_timer_(io_),
      watchdog_timer_(io_),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      metrics_(version()),
      seed_(pick_seed(config_)),
      holder_(make_holder()),
      interval_(config_.tick_interval) {}

Daemon::~Daemon() = default;

void Daemon::ensure_store() {
  if (store_) return;
  const Secret password = read_password(config_.database);
  std::unique_ptr<Store> store = Store::open(config_.database, password);
  try {
    store->check_schema();
  } catch (const SchemaError&) {
    // At start: refuse. A running daemon that reconnects stands by instead
    // (schema_is_ours, at every tick) until the schema is its own again.
    if (started_ == Clock::time_point{}) throw;
    schema_recheck_ = true;
  }
  store_ = std::move(store);
  if (config_.shard.automatic) {
    pool_ =
        std::make_unique<ShardPool>(*store_, log_, seed_ + ticks_, holder_, config_.shard.count);
  } else {
    engine_ = std::make_unique<TickEngine>(*store_, log_, seed_ + ticks_, holder_, config_.shard);
  }
  if (connection_down_) {
    metrics_.reconnected();
    const double down_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - down_since_).count();
    log_.notice("reconnected to " + describe(config_.database) + " after " +
                std::to_string(failed_connects_) + " failed attempt(s); down for " + fixed(down_s) +
                " s");
  } else {
    const std::string tls = describe_tls(config_.database);
    log_.notice("connected to " + describe(config_.database) + (tls.empty() ? "" : ", " + tls) +
                ", schema version " +
                std::to_string(Store::latest_schema_version(config_.database.backend)) +
                ", instance " + holder_);
    // What 'engagementd doctor' would say, once at start.
    for (const Finding& f : inspect_site(*store_, config_.real_viewer_ttl)) {
      const std::string line = "doctor: " + f.text;
      if (f.level == Finding::Level::ok) {
        log_.info(line);
      } else if (f.level == Finding::Level::warning) {
        log_.warning(line);
      } else if (f.level == Finding::Level::skipped) {
        log_.warning("doctor: skipped: " + f.text);
      } else {
        log_.error(line);
      }
    }
  }
  metrics_.set_database_up(true);
  connection_down_ = false;
  failed_connects_ = 0;
  backoff_ = std::chrono::milliseconds(1'000);
}

void Daemon::connection_lost(const std::string& what) {
  pool_.reset();
  store_.reset();
  engine_.reset();
  metrics_.set_database_up(false);
  metrics_.set_leader(false);
  metrics_.set_shards(config_.shard.count, 0);
  const auto now = std::chrono::steady_clock::now();
  if (!connection_down_) {
    connection_down_ = true;
    down_since_ = now;
    backoff_ = std::chrono::milliseconds(1'000);
    log_.error("database error, err=\"" + what + "\"; reconnecting (backoff 1 s doubling up to " +
               format_duration(config_.database.reconnect_max) + ")");
    last_error_ = what;
  } else {
    ++failed_connects_;
    if (what != last_error_) {
      log_.error("still cannot reach the database, err=\"" + what + "\"; next attempt in " +
                 format_duration(backoff_));
      last_error_ = what;
    } else {
      log_.debug("reconnect attempt " + std::to_string(failed_connects_) + " failed; next in " +
                 format_duration(backoff_));
    }
  }
  // While it lasts, a line every few minutes says it still does.
  if (repeated_errors_.occurred(what, now).action == RepeatLog::Action::summarize) {
    log_.warning("database still unreachable: failed_attempts=" + std::to_string(failed_connects_) +
                 " down_s=" + fixed(std::chrono::duration<double>(now - down_since_).count()) +
                 " " + kv("err", what));
  }
  set_status("database unreachable, reconnecting: " + what);
  reconnect_at_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, config_.database.reconnect_max);
}

TickSettings Daemon::settings() const {
  TickSettings s;
  s.simulation_enabled = config_.simulation_enabled;
  s.max_catchup = config_.max_catchup;
  s.real_viewer_ttl = config_.real_viewer_ttl;
  s.real_viewer_sweep = real_viewer_sweep_for(config_);
  s.watch_minutes = std::chrono::duration<double, std::ratio<60>>(config_.watch_time).count();
  s.lease = lease_for(config_);
  s.cache = config_.tick_cache;
  return s;
}

int Daemon::run(std::optional<std::chrono::milliseconds> run_for) {
  for (const std::string& w : permission_warnings(config_)) log_.warning(w);
  for (const std::string& w : setting_warnings(config_)) log_.warning(w);
  log_.info("database password from " + password_source(config_.database));
  // Ready means: the config parsed (the caller did that), the database
  // answers and its schema is the one this build knows.
  try {
    ensure_store();
  } catch (const std::exception& e) {
    log_.error("cannot start: " + kv("err", error_text(e)));
    notifier_.status("cannot start: " + error_text(e));
    return 1;
  }
  if (config_.metrics.enabled) {
    try {
      http_ = std::make_unique<HttpServer>(
          io_, config_.metrics.listen, static_cast<unsigned short>(config_.metrics.port),
          [this](const std::string& target) { return handle_http(target); }, log_);
    } catch (const std::exception& e) {
      const std::string where = config_.metrics.listen + ":" + std::to_string(config_.metrics.port);
      log_.error("cannot start: metrics listener on " + where + ": " + kv("err", e.what()));
      notifier_.status("cannot start: metrics listener on " + where + ": " + e.what());
      return 1;
    }
    const auto ep = http_->local_endpoint();
    const std::string host =
        ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    log_.notice("metrics listening on http://" + host + ":" + std::to_string(ep.port()) +
                "/metrics (health: /healthz)");
  }
  started_ = Clock::now();
  last_tick_done_ = started_;
  metrics_.set_simulation_enabled(config_.simulation_enabled);
  metrics_.set_tick_interval(interval_);
  metrics_.set_shards(config_.shard.count, 0);
  log_.notice("engagementd started: tick " + format_duration(interval_) + ", max catch-up " +
              format_duration(config_.max_catchup) + ", simulation " +
              (config_.simulation_enabled ? "on" : "off") +
              (config_.seed ? ", seed " + std::to_string(*config_.seed) : std::string()) +
              (config_.shard.automatic
                   ? ", claiming its part of " + std::to_string(config_.shard.count) + " shards"
               : config_.shard.count > 1
                   ? ", shard " + std::to_string(config_.shard.index) + " of " +
                         std::to_string(config_.shard.count) + " (streams whose id hashes to " +
                         std::to_string(config_.shard.index) + ")"
                   : std::string()));
  status_ = "started, first tick pending";
  notifier_.ready(status_);
  if (notifier_.watchdog()) arm_watchdog();

  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (!ec) on_signal(signo);
  });
  if (run_for) {
    stop_timer_.expires_after(*run_for);
    stop_timer_.async_wait([this, limit = *run_for](const boost::system::error_code& ec) {
      if (!ec) stop("run time of " + format_duration(limit) + " reached");
    });
  }
  // The first tick runs at once; the next ones at start + k x interval.
  timer_.expires_after(std::chrono::milliseconds(0));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
  io_.run();
  if ((engine_ && engine_->leader()) || pool_) {
    try {
      if (pool_) {
        pool_->release();  // it says which leases it let go
      } else {
        engine_->release();
        log_.notice("released the leadership lease");
      }
    } catch (const std::exception& e) {
      log_.warning(
          std::string("could not release the leadership lease (it expires by itself): err=\"") +
          e.what() + "\"");
    }
  }
  log_.notice("engagementd stopped after " + std::to_string(ticks_) + " ticks");
  return 0;
}

void Daemon::set_status(std::string status) {
  status_ = std::move(status);
  notifier_.status(status_);
}

void Daemon::on_tick() {
  if (stopping_) return;
  if (!store_ && connection_down_ && std::chrono::steady_clock::now() < reconnect_at_) {
    last_tick_done_ = Clock::now();
    schedule_next();
    return;
  }
  try {
    ensure_store();
  } catch (const std::exception& e) {
    metrics_.tick_failed(error_label(e, true));
    connection_lost(error_text(e));
    last_tick_done_ = Clock::now();
    schedule_next();
    return;
  }
  try {
    if (!schema_is_ours()) {
      last_tick_done_ = Clock::now();
      return schedule_next();
    }
    const TickReport r = with_retries(
        [&] { return pool_ ? pool_->run(settings()) : engine_->run(settings()); }, kTickAttempts,
        std::chrono::milliseconds(25), [](const std::exception& e) { return is_lost_race(e); },
        [&](const std::exception& e, int attempt, std::chrono::milliseconds pause) {
          metrics_.db_error(error_label(e, false));
          log_.info("tick rolled back (err=\"" + std::string(e.what()) + "\"); retry " +
                    std::to_string(attempt) + " of " + std::to_string(kTickAttempts - 1) + " in " +
                    format_duration(pause));
        });
    ++ticks_;
    last_success_ = Clock::now();
    last_tick_done_ = *last_success_;
    metrics_.set_leader(!r.standby);
    metrics_.set_shards(config_.shard.count, pool_ ? static_cast<int>(pool_->held().size())
                                                   : (engine_->leader() ? 1 : 0));
    metrics_.tick_succeeded(r, r.total_ms / 1000.0, std::chrono::system_clock::now());
    repeated_errors_.resolved();
    if (!last_error_.empty()) {
      log_.notice("ticks succeed again after " + std::to_string(failed_ticks_) + " failed");
      last_error_.clear();
      failed_ticks_ = 0;
    }
    if (r.standby) {
      set_status("standby: another instance holds the leadership lease");
      return schedule_next();
    }
    if (!r.cache_dropped.empty()) {
      log_.info("streams in memory dropped (" + r.cache_dropped +
                "): this tick read every stream whole");
    }
    log_.info("tick live=" + std::to_string(r.live) +
              " displays_written=" + std::to_string(r.displays_written) +
              " states_written=" + std::to_string(r.states_written) + " configs_created=" +
              std::to_string(r.configs_created) + " finalized=" + std::to_string(r.finalized) +
              (r.simulation_enabled ? "" : " simulation=off") +
              (config_.tick_cache ? (r.from_cache ? " read=changes" : " read=whole") : "") +
              " read_ms=" + fixed(r.read_ms) + " step_ms=" + fixed(r.step_ms) +
              " write_ms=" + fixed(r.write_ms) + " tick_ms=" + fixed(r.total_ms));
    set_status("tick " + std::to_string(ticks_) + ": " + std::to_string(r.live) + " live streams" +
               (r.simulation_enabled ? "" : " (simulation off)") + ", " + fixed(r.total_ms) +
               " ms");
  } catch (const std::exception& e) {
    if (!is_database_error(e)) {
      tick_failed(e, e.what());
    } else if (is_lost_race(e)) {
      // Still a conflict after the retries (on a cluster: another node's
      // commit won certification, e.g. a standby there took the lease): the
      // connection is fine, nothing of the tick was kept, the next tick
      // starts from what the database holds.
      tick_failed(e, "lost a race to another transaction: " + error_text(e));
    } else if (!is_statement_error(e)) {
      // The connection may be gone, or in a state not worth trusting: open
      // a new one (and prepare every statement again) after the backoff.
      ++failed_ticks_;
      metrics_.tick_failed(error_label(e, false));
      connection_lost(error_text(e));
    } else {
      // The statement failed, not the connection (a table or column of the
      // site's missing or changed): a new connection would fail the same
      // way. The tick was rolled back; the next one tries again.
      tick_failed(e, "statement error: " + error_text(e));
    }
  }
  last_tick_done_ = Clock::now();
  schedule_next();
}

bool Daemon::schema_is_ours() {
  const int want = Store::latest_schema_version(config_.database.backend);
  const int have = store_->tick_schema_version();
  const std::string mine = std::to_string(want);
  if (have == want) {
    if (!schema_standby_.empty() || schema_recheck_) {
      // Tables and columns may have been dropped and made again meanwhile.
      store_->schema_changed();
      if (engine_) engine_->drop_cache("the schema changed");
      if (pool_) pool_->drop_caches("the schema changed");
    }
    if (!schema_standby_.empty()) {
      log_.notice("the schema is version " + mine + " again (this engagementd's): ticking again");
    }
    schema_standby_.clear();
    schema_recheck_ = false;
    return true;
  }
  const std::string at = std::to_string(have);
  std::string kind, why;
  if (have == 0) {
    kind = "gone";
    why =
        "engagementd's tables are gone (engagementd_schema_version is missing: uninstalled?); "
        "'engagementd migrate' puts them back";
  } else if (have < want) {
    kind = "older";
    why = "the schema is at version " + at + ", older than this engagementd's " + mine +
          ": a migration is pending or under way ('engagementd migrate')";
  } else {
    kind = "newer";
    why = "the schema is at version " + at + ", newer than this engagementd's " + mine +
          ": a newer engagementd migrated it; upgrade this one";
  }
  if (kind != schema_standby_) {
    log_.warning("standing by, writing nothing: " + why +
                 "; it resumes once the schema is version " + mine);
    schema_standby_ = kind;
  }
  metrics_.set_leader(false);
  set_status("standby: " + why);
  return false;
}

void Daemon::tick_failed(const std::exception& e, const std::string& what) {
  ++failed_ticks_;
  metrics_.tick_failed(error_label(e, false));
  last_error_ = what;
  const RepeatLog::Decision d = repeated_errors_.occurred(what, Clock::now());
  if (d.action == RepeatLog::Action::log) {
    log_.error("tick failed " + kv("err", what) + "; retrying at the next tick");
  } else if (d.action == RepeatLog::Action::summarize) {
    log_.warning("tick still failing " + kv("err", what) +
                 " failed_ticks=" + std::to_string(d.repeats + 1) + " in the last " +
                 seconds_text(kErrorSummaryEvery));
  }
  set_status("tick failed: " + what);
}

void Daemon::schedule_next() {
  if (stopping_) return;
  const auto now = boost::asio::steady_timer::clock_type::now();
  auto next = timer_.expiry() + interval_;
  if (next <= now) {
    // Overrun: skip the missed slots instead of bursting to catch up.
    const auto behind = now - next;
    const auto missed = behind / interval_ + 1;
    next += missed * interval_;
    // Slots lost to a failing tick (a connect attempt waiting out its
    // timeout) belong to the outage, which has alerts of its own; the
    // counter is for ticks that work but take too long.
    if (metrics_.ticks_failing() == 0) metrics_.ticks_skipped(static_cast<std::uint64_t>(missed));
    log_.warning("tick overran its interval of " + format_duration(interval_) + "; skipped " +
                 std::to_string(missed) + " tick(s)");
  }
  timer_.expires_at(next);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void Daemon::arm_watchdog() {
  // Half the period systemd allows, as sd_watchdog_enabled(3) advises. The
  // pings come from the same thread as the ticks, so a tick stuck longer
  // than the watchdog period gets the service restarted.
  watchdog_timer_.expires_after(*notifier_.watchdog() / 2);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    // Ping only while ticks keep coming (failed ones count: a restart would
    // not bring a database back).
    if (Clock::now() - last_tick_done_ <= interval_ + *notifier_.watchdog()) {
      notifier_.watchdog_ping();
    }
    arm_watchdog();
  });
}

void Daemon::on_signal(int signo) {
  if (signo == SIGHUP) {
    reload();
    signals_.async_wait([this](const boost::system::error_code& ec, int s) {
      if (!ec) on_signal(s);
    });
    return;
  }
  stop(signo == SIGTERM ? "SIGTERM" : "SIGINT");
}

void Daemon::stop(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  notifier_.stopping();
  metrics_.set_leader(false);
  metrics_.set_shards(config_.shard.count, 0);
  log_.notice("stopping (" + why + ")");
  timer_.cancel();
  stop_timer_.cancel();
  watchdog_timer_.cancel();
  signals_.cancel();
  if (http_) http_->stop();
}

void Daemon::reload() {
  notifier_.reloading();
  Config next;
  try {
    next = load_config(config_.source);
  } catch (const ConfigError& e) {
    for (const auto& p : e.problems()) log_.error("reload failed: " + p);
    log_.error("reload failed, keeping the current configuration");
    notifier_.ready(status_);
    return;
  }
  if (const auto keys = restart_needed(config_, next); !keys.empty()) {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    log_.warning("reload: " + list + " changed: needs restart; the running values stay until then");
    const auto reconnect_max = next.database.reconnect_max;  // applies at the next reconnect
    next.database = config_.database;
    next.database.reconnect_max = reconnect_max;
    next.seed = config_.seed;
    next.metrics = config_.metrics;
    next.shard = config_.shard;
  }
  log_.set_level(next.log_level);
  interval_ = next.tick_interval;
  metrics_.set_tick_interval(interval_);
  // The streams kept in memory are read whole again with the new settings.
  if (engine_) engine_->drop_cache("the configuration was reloaded");
  if (pool_) pool_->drop_caches("the configuration was reloaded");
  config_ = std::move(next);
  log_.notice("configuration reloaded from " + config_.source + ": tick " +
              format_duration(interval_) + ", simulation " +
              (config_.simulation_enabled ? "on" : "off") + ", log level " +
              std::string(log_level_name(config_.log_level)) + ", real viewer ttl " +
              format_duration(config_.real_viewer_ttl) + ", real viewer sweep " +
              format_duration(real_viewer_sweep_for(config_)) + ", watch time " +
              format_duration(config_.watch_time));
  for (const std::string& w : setting_warnings(config_)) log_.warning(w);
  notifier_.ready(status_);
}

HttpResponse Daemon::health() {
  const auto now = Clock::now();
  const auto limit = kHealthyIntervals * interval_;
  const Clock::time_point since = last_success_ ? *last_success_ : started_;
  const auto age = now - since;
  if (!stopping_ && age <= limit) {
    return {200, "text/plain; charset=utf-8",
            last_success_ ? "ok: last successful tick " + seconds_text(age) + " ago\n"
                          : "ok: starting, first tick pending\n"};
  }
  std::string body = stopping_ ? "unhealthy: stopping\n"
                               : "unhealthy: no successful tick for " + seconds_text(age) +
                                     " (limit " + format_duration(limit) + ")";
  // The database error itself stays in the log: the body is for anyone who
  // can reach the port, and an error may name hosts, accounts or tables.
  if (!stopping_) body += last_error_.empty() ? "\n" : "; the log says why\n";
  return {503, "text/plain; charset=utf-8", body};
}

HttpResponse Daemon::handle_http(const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render()};
  }
  if (path == "/healthz") return health();
  if (path == "/") {
    return {200, "text/plain; charset=utf-8", "engagementd: /metrics /healthz\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found\n"};
}

}  // namespace engagementd
