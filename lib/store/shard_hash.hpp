#pragma once

// Which shard a stream belongs to: a hash of its id, modulo the number of
// shards, computed the same way in C++, MariaDB/MySQL and SQLite.
//
// Not `id MOD count`: a Galera cluster gives each node its own
// auto-increment offset and a step of the cluster's size
// (wsrep_auto_increment_control), so the streams created through one node
// have ids 3k+1 (say), all in one shard of 3. The hash is two rounds of a
// multiplicative congruential step over different primes, so consecutive
// ids and ids in any fixed step spread like random numbers. Every
// intermediate value stays below 2^62: no BIGINT overflow in MariaDB
// (BIGINT UNSIGNED arithmetic fails on overflow), and no turn to floating
// point in SQLite.

#include <cstdint>
#include <string>

#include "core/shard.hpp"

namespace engagementd {

inline constexpr std::uint64_t kShardP1 = 2147483647;  // 2^31 - 1, prime
inline constexpr std::uint64_t kShardA1 = 1103515245;
inline constexpr std::uint64_t kShardC1 = 12345;
inline constexpr std::uint64_t kShardP2 = 2147483629;  // prime
inline constexpr std::uint64_t kShardA2 = 48271;
inline constexpr std::uint64_t kShardC2 = 11;
inline constexpr std::uint64_t kShardP3 = 2147483587;  // prime

// The hash of a stream id, below kShardP3.
constexpr std::uint64_t shard_hash(std::uint64_t id) {
  return (((id % kShardP1) * kShardA1 + kShardC1) % kShardP2 * kShardA2 + kShardC2) % kShardP3;
}

// The shard (0 .. count-1) of a stream id.
constexpr int shard_of(std::uint64_t id, int count) {
  return count <= 1 ? 0 : static_cast<int>(shard_hash(id) % static_cast<std::uint64_t>(count));
}

// The same hash as SQL over an id column (MariaDB, MySQL and SQLite alike).
inline std::string shard_hash_sql(const std::string& id_column) {
  return "((((" + id_column + " % " + std::to_string(kShardP1) + ") * " + std::to_string(kShardA1) +
         " + " + std::to_string(kShardC1) + ") % " + std::to_string(kShardP2) + " * " +
         std::to_string(kShardA2) + " + " + std::to_string(kShardC2) + ") % " +
         std::to_string(kShardP3) + ")";
}

// The condition selecting a shard's streams (" AND hash % :shard_count =
// :shard_index"), with the count and the index as the next two
// placeholders; nothing for a single shard. Each use in one statement needs
// its own placeholder names (`name` is appended to them).
inline std::string shard_filter(const char* id_column, const Shard& shard, const char* name = "") {
  if (shard.count <= 1) return {};
  return " AND " + shard_hash_sql(id_column) + " % :shard_count" + name + " = :shard_index" + name;
}

}  // namespace engagementd
