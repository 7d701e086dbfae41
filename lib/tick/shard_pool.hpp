#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "store/tick_store.hpp"
#include "tick/tick.hpp"

namespace engagementd {

// Instances that share the shards by themselves (shard.index: auto, or
// shard.count without an index): N identical instances split `count`
// shards between them, and the shards of an instance that is gone are taken
// over by the others, with no change to any configuration.
//
// Each tick an instance
// - marks itself present (its own row of engagementd_instances);
// - ticks every shard it holds (one TickEngine, one lease, one transaction
//   per shard, exactly as a fixed shard: the lease is the fence);
// - counts the instances present (rows refreshed within a lease) and its
//   fair part, ceil(count / instances);
// - below it, claims one free shard (no holder, or a lease run out), the
//   first free one from a place of its own in the ring of shards, so that
//   instances starting together try different shards;
// - above it for a few ticks in a row (another instance has come), lets the
//   lease of one shard go at once so that instance can claim it.
// A shard whose holder died is free once its lease runs out: it is claimed
// within lease + one tick by an instance below its fair part (one then is,
// since the dead instance no longer counts after a lease).
class ShardPool {
 public:
  ShardPool(TickStore& store, const Logger& log, std::uint64_t seed, std::string holder, int count);

  // The ticks of the shards held (and at most one claimed); throws on a
  // database error other than a lost race, which leaves that shard to the
  // next tick.
  TickReport run(const TickSettings& settings);
  // Lets every lease held go at once and removes the presence row; logs
  // which shards it let go.
  void release();
  bool leader() const;
  // TickEngine::drop_cache for every shard held.
  void drop_caches(const std::string& why);
  // The shards held, for the log and tests.
  std::vector<int> held() const;

  // Ticks in a row above the fair part before a shard is let go.
  static constexpr int kRebalanceTicks = 3;

 private:
  TickEngine& engine(int shard);

  TickStore& store_;
  const Logger& log_;
  std::uint64_t seed_;
  std::string holder_;
  int count_;
  std::vector<std::unique_ptr<TickEngine>> engines_;  // by shard, made on first use
  int above_fair_ = 0;
  std::string said_;  // the last share logged
};

}  // namespace engagementd
