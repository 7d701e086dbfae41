#pragma once

namespace engagementd {

// This instance's part of the streams: those whose id hashes to index
// (store/shard_hash.hpp), each part with its own leadership lease
// (engagementd_leader.shard = index).
struct Shard {
  int index = 0;
  int count = 1;
  // shard.index: auto (or left out with count > 1): the instance claims
  // free shards itself, its fair part of them (tick/shard_pool.hpp).
  bool automatic = false;

  bool operator==(const Shard& o) const {
    return index == o.index && count == o.count && automatic == o.automatic;
  }
  bool operator!=(const Shard& o) const { return !(*this == o); }
};

inline constexpr int kMaxShards = 1024;

}  // namespace engagementd
