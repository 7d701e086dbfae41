#include "daemon.hpp"

#include <soci/soci.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include "duration.hpp"

namespace engagementd {
namespace {

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
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
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      seed_(pick_seed(config_)),
      holder_(make_holder()),
      interval_(config_.tick_interval) {}

Daemon::~Daemon() = default;

void Daemon::ensure_store() {
  if (store_) return;
  const std::string password = read_password(config_.database);
  std::unique_ptr<Store> store = Store::open(config_.database, password);
  store->check_schema();
  store_ = std::move(store);
  engine_ = std::make_unique<TickEngine>(*store_, log_, seed_ + ticks_, holder_);
  if (connection_down_) {
    const double down_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - down_since_).count();
    log_.notice("reconnected to " + describe(config_.database) + " after " +
                std::to_string(failed_connects_) + " failed attempt(s); down for " +
                fixed(down_s) + " s");
  } else {
    log_.notice("connected to " + describe(config_.database) + ", schema version " +
                std::to_string(Store::latest_schema_version(config_.database.backend)) +
                ", instance " + holder_);
  }
  connection_down_ = false;
  failed_connects_ = 0;
  backoff_ = std::chrono::milliseconds(1'000);
}

void Daemon::connection_lost(const std::string& what) {
  store_.reset();
  engine_.reset();
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
  reconnect_at_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, config_.database.reconnect_max);
}

TickSettings Daemon::settings() const {
  TickSettings s;
  s.simulation_enabled = config_.simulation_enabled;
  s.max_catchup = config_.max_catchup;
  s.real_viewer_ttl = config_.real_viewer_ttl;
  s.lease = lease_for(config_);
  return s;
}

int Daemon::run(std::optional<std::chrono::milliseconds> run_for) {
  for (const std::string& w : permission_warnings(config_)) log_.warning(w);
  try {
    ensure_store();
  } catch (const std::exception& e) {
    log_.error(std::string("cannot start: ") + e.what());
    return 1;
  }
  log_.notice("engagementd started: tick " + format_duration(interval_) + ", max catch-up " +
              format_duration(config_.max_catchup) + ", simulation " +
              (config_.simulation_enabled ? "on" : "off") +
              (config_.seed ? ", seed " + std::to_string(*config_.seed) : std::string()));

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
  if (engine_ && engine_->leader()) {
    try {
      engine_->release();
      log_.notice("released the leadership lease");
    } catch (const std::exception& e) {
      log_.warning(std::string("could not release the leadership lease (it expires by itself): err=\"") +
                   e.what() + "\"");
    }
  }
  log_.notice("engagementd stopped after " + std::to_string(ticks_) + " ticks");
  return 0;
}

void Daemon::on_tick() {
  if (stopping_) return;
  if (!store_ && connection_down_ && std::chrono::steady_clock::now() < reconnect_at_) {
    schedule_next();
    return;
  }
  try {
    ensure_store();
  } catch (const std::exception& e) {
    connection_lost(e.what());
    schedule_next();
    return;
  }
  try {
    TickReport r;
    for (int attempt = 1;; ++attempt) {
      try {
        r = engine_->run(settings());
        break;
      } catch (const std::exception& e) {
        if (!Store::is_retryable(e) || attempt == kTickAttempts) throw;
        const auto pause = std::chrono::milliseconds(25) * (1 << (attempt - 1));
        log_.info("tick rolled back (err=\"" + std::string(e.what()) + "\"); retry " +
                  std::to_string(attempt) + " of " + std::to_string(kTickAttempts - 1) + " in " +
                  format_duration(pause));
        std::this_thread::sleep_for(pause);
      }
    }
    ++ticks_;
    if (!last_error_.empty()) {
      log_.notice("ticks succeed again after " + std::to_string(failed_ticks_) + " failed");
      last_error_.clear();
      failed_ticks_ = 0;
    }
    if (r.standby) return schedule_next();
    log_.info("tick live=" + std::to_string(r.live) +
              " displays_written=" + std::to_string(r.displays_written) +
              " states_written=" + std::to_string(r.states_written) + " configs_created=" +
              std::to_string(r.configs_created) + " finalized=" + std::to_string(r.finalized) +
              (r.simulation_enabled ? "" : " simulation=off") + " read_ms=" + fixed(r.read_ms) +
              " step_ms=" + fixed(r.step_ms) + " write_ms=" + fixed(r.write_ms) +
              " tick_ms=" + fixed(r.total_ms));
  } catch (const soci::soci_error& e) {
    // The connection may be gone, or in a state not worth trusting: open a
    // new one (and prepare every statement again) after the backoff.
    ++failed_ticks_;
    connection_lost(e.get_error_message());
  } catch (const std::exception& e) {
    ++failed_ticks_;
    const std::string what = e.what();
    if (what != last_error_) {
      log_.error("tick failed, err=\"" + what + "\"; retrying at the next tick");
      last_error_ = what;
    }
  }
  schedule_next();
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
    log_.warning("tick overran its interval of " + format_duration(interval_) + "; skipped " +
                 std::to_string(missed) + " tick(s)");
  }
  timer_.expires_at(next);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
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
  log_.notice("stopping (" + why + ")");
  timer_.cancel();
  stop_timer_.cancel();
  signals_.cancel();
}

void Daemon::reload() {
  Config next;
  try {
    next = load_config(config_.source);
  } catch (const ConfigError& e) {
    for (const auto& p : e.problems()) log_.error("reload failed: " + p);
    log_.error("reload failed, keeping the current configuration");
    return;
  }
  const DatabaseConfig& a = config_.database;
  const DatabaseConfig& b = next.database;
  if (a.backend != b.backend || a.host != b.host || a.socket != b.socket || a.port != b.port ||
      a.name != b.name || a.user != b.user || a.password_file != b.password_file ||
      a.path != b.path) {
    log_.warning("reload: database settings changed; they need a restart to take effect");
    next.database = config_.database;
  }
  log_.set_level(next.log_level);
  interval_ = next.tick_interval;
  config_ = std::move(next);
  log_.notice("configuration reloaded from " + config_.source + ": tick " +
              format_duration(interval_) + ", simulation " +
              (config_.simulation_enabled ? "on" : "off"));
}

}  // namespace engagementd
