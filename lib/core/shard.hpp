#pragma once

#include "core/settings.hpp"

namespace engagementd {

// This instance's part of the streams: those whose id hashes to index
// (store/shard_hash.hpp), each part with its own leadership lease
// (engagementd_leader.shard = index).
struct Shard {
  // The defaults are the settings table's (core/settings.hpp).
  int index = static_cast<int>(setting_whole("shard.index"));
  int count = static_cast<int>(setting_whole("shard.count"));
  // shard.index: auto (or left out with count > 1): the instance claims
  // free shards itself, its fair part of them (tick/shard_pool.hpp).
  bool automatic = false;

  bool operator==(const Shard& o) const {
    return index == o.index && count == o.count && automatic == o.automatic;
  }
  bool operator!=(const Shard& o) const { return !(*this == o); }
};

inline constexpr int kMaxShards = static_cast<int>(setting("shard.count").max);

}  // namespace engagementd
