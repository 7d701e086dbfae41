#include "tick/shard_pool.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <stdexcept>

#include "store/db_errors.hpp"

namespace engagementd {
namespace {

// "0, 2": shards for the log.
std::string shard_list(const std::vector<int>& shards) {
  std::string out;
  for (const int s : shards) out += (out.empty() ? "" : ", ") + std::to_string(s);
  return out;
}

}  // namespace

ShardPool::ShardPool(TickStore& store, const Logger& log, std::uint64_t seed, std::string holder,
                     int count)
    : store_(store),
      log_(log),
      seed_(seed),
      holder_(std::move(holder)),
      count_(std::max(1, count)),
      engines_(static_cast<std::size_t>(std::max(1, count))) {}

TickEngine& ShardPool::engine(int shard) {
  auto& e = engines_[static_cast<std::size_t>(shard)];
  if (!e) {
    e = std::make_unique<TickEngine>(store_, log_, seed_ + static_cast<std::uint64_t>(shard) * 7919,
                                     holder_, Shard{shard, count_, true});
  }
  return *e;
}

bool ShardPool::leader() const {
  return std::any_of(engines_.begin(), engines_.end(),
                     [](const auto& e) { return e && e->leader(); });
}

std::vector<int> ShardPool::held() const {
  std::vector<int> out;
  for (int i = 0; i < count_; ++i) {
    if (engines_[static_cast<std::size_t>(i)] && engines_[static_cast<std::size_t>(i)]->leader()) {
      out.push_back(i);
    }
  }
  return out;
}

TickReport ShardPool::run(const TickSettings& settings) {
  TickReport total;
  total.standby = true;
  const auto add = [&](const TickReport& r) {
    if (!r.cache_dropped.empty() && total.cache_dropped.empty()) {
      total.cache_dropped = r.cache_dropped;
    }
    if (r.standby) return;
    // From memory only if every shard's was (the first shard's sets it).
    total.from_cache = (total.standby || total.from_cache) && r.from_cache;
    total.standby = false;
    total.live += r.live;
    total.set_aside += r.set_aside;
    total.displays_written += r.displays_written;
    total.states_written += r.states_written;
    total.configs_created += r.configs_created;
    total.finalized += r.finalized;
    total.simulation_enabled = r.simulation_enabled;
    total.read_ms += r.read_ms;
    total.step_ms += r.step_ms;
    total.write_ms += r.write_ms;
    total.total_ms += r.total_ms;
    total.real_viewers += r.real_viewers;
    total.sim_viewers += r.sim_viewers;
    total.real_likes += r.real_likes;
    total.sim_likes += r.sim_likes;
  };
  // One shard's tick; a lost race (another instance claimed the same shard
  // through another node at the same moment) leaves it to the next tick.
  const auto tick = [&](int shard) {
    try {
      add(engine(shard).run(settings));
    } catch (const std::exception& e) {
      if (!is_lost_race(e)) throw;
      log_.info("shard " + std::to_string(shard) + "/" + std::to_string(count_) +
                ": lost a race to another instance (" + e.what() + "); tried again next tick");
    }
  };

  const std::int64_t now = store_.now_ms();
  const std::int64_t lease = settings.lease.count();
  store_.touch_instance(holder_, count_, now);

  for (const int shard : held()) tick(shard);

  // The instances present (this one included) and this one's fair part.
  const std::vector<std::string> present = store_.present_instances(count_, now, lease);
  const int instances =
      static_cast<int>(present.size()) +
      (std::find(present.begin(), present.end(), holder_) == present.end() ? 1 : 0);
  const int fair = (count_ + instances - 1) / instances;
  std::vector<int> mine = held();

  if (static_cast<int>(mine.size()) < fair) {
    std::vector<bool> taken(static_cast<std::size_t>(count_), false);
    for (const ShardLeaseSeen& l : store_.shard_leases(count_)) {
      taken[static_cast<std::size_t>(l.shard)] = !l.holder.empty() && l.expires_ms > now;
    }
    // From a place of this instance's own in the ring of shards.
    const int start =
        static_cast<int>(std::hash<std::string>{}(holder_) % static_cast<std::size_t>(count_));
    for (int k = 0; k < count_; ++k) {
      const int shard = (start + k) % count_;
      if (taken[static_cast<std::size_t>(shard)] || engine(shard).leader()) continue;
      tick(shard);
      break;  // one claim a tick: the others see this one before it takes more
    }
    mine = held();
    above_fair_ = 0;
  } else if (static_cast<int>(mine.size()) > fair) {
    // Another instance has come: after a few ticks, one shard is let go.
    if (++above_fair_ >= kRebalanceTicks) {
      const int shard = mine.back();
      engine(shard).release();
      log_.notice("let shard " + std::to_string(shard) + "/" + std::to_string(count_) +
                  " go for another instance to claim (" + std::to_string(instances) +
                  " instances share " + std::to_string(count_) + " shards, fair part " +
                  std::to_string(fair) + ")");
      above_fair_ = 0;
      mine = held();
    }
  } else {
    above_fair_ = 0;
  }

  const std::string share = "holding shard(s) " + (mine.empty() ? "none" : shard_list(mine)) +
                            " of " + std::to_string(count_) + "; " + std::to_string(instances) +
                            " instance(s) present";
  if (share != said_) {
    log_.notice(share);
    said_ = share;
  }
  return total;
}

void ShardPool::release() {
  const std::vector<int> mine = held();
  std::string first_error;
  for (const int shard : mine) {
    try {
      engine(shard).release();
    } catch (const std::exception& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  store_.forget_instance(holder_);
  if (!first_error.empty()) throw std::runtime_error(first_error);
  log_.notice(mine.empty() ? std::string("held no shard; left the pool of instances")
                           : "released the leadership lease of shard" +
                                 std::string(mine.size() > 1 ? "s " : " ") + shard_list(mine) +
                                 " and left the pool of instances");
}

void ShardPool::drop_caches(const std::string& why) {
  for (auto& e : engines_) {
    if (e) e->drop_cache(why);
  }
}

}  // namespace engagementd
