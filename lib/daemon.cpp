#include "daemon.hpp"

#include <soci/soci.h>

#include <csignal>
#include <cstdio>
#include <random>

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

}  // namespace

Daemon::Daemon(Config config, Logger& log)
    : config_(std::move(config)),
      log_(log),
      timer_(io_),
      stop_timer_(io_),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      seed_(pick_seed(config_)),
      interval_(config_.tick_interval) {}

Daemon::~Daemon() = default;

bool Daemon::ensure_store() {
  if (store_) return true;
  const std::string password = read_password(config_.database);
  store_ = Store::open(config_.database, password);
  try {
    store_->check_schema();
  } catch (...) {
    store_.reset();
    throw;
  }
  engine_ = std::make_unique<TickEngine>(*store_, log_, seed_ + ticks_);
  log_.notice("connected to " + describe(config_.database) + ", schema version " +
              std::to_string(Store::latest_schema_version(config_.database.backend)));
  return true;
}

int Daemon::run(std::optional<std::chrono::milliseconds> run_for) {
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
  log_.notice("engagementd stopped after " + std::to_string(ticks_) + " ticks");
  return 0;
}

void Daemon::on_tick() {
  if (stopping_) return;
  try {
    ensure_store();
    TickSettings settings;
    settings.simulation_enabled = config_.simulation_enabled;
    settings.max_catchup = config_.max_catchup;
    settings.real_viewer_ttl = config_.real_viewer_ttl;
    const TickReport r = engine_->run(settings);
    ++ticks_;
    if (!last_error_.empty()) {
      log_.notice("ticks succeed again after " + std::to_string(failed_ticks_) + " failed");
      last_error_.clear();
      failed_ticks_ = 0;
    }
    log_.info("tick live=" + std::to_string(r.live) +
              " displays_written=" + std::to_string(r.displays_written) +
              " states_written=" + std::to_string(r.states_written) + " configs_created=" +
              std::to_string(r.configs_created) + " finalized=" + std::to_string(r.finalized) +
              (r.simulation_enabled ? "" : " simulation=off") + " read_ms=" + fixed(r.read_ms) +
              " step_ms=" + fixed(r.step_ms) + " write_ms=" + fixed(r.write_ms) +
              " tick_ms=" + fixed(r.total_ms));
  } catch (const std::exception& e) {
    ++failed_ticks_;
    std::string what = e.what();
    if (const auto* se = dynamic_cast<const soci::soci_error*>(&e)) {
      what = se->get_error_message();
      // The connection may be gone: reconnect before the next tick.
      store_.reset();
      engine_.reset();
    }
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
