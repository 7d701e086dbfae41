#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "store/shard_hash.hpp"

using namespace engagementd;

namespace {

// Streams per shard for the ids first, first + step, ... (n of them).
std::vector<long long> spread(std::uint64_t first, std::uint64_t step, int n, int count) {
  std::vector<long long> per(static_cast<std::size_t>(count), 0);
  for (int k = 0; k < n; ++k) ++per[static_cast<std::size_t>(shard_of(first + step * k, count))];
  return per;
}

}  // namespace

TEST_CASE("streams spread evenly over the shards whatever the id step (a cluster's auto-increment)",
          "[shard]") {
  // A Galera cluster of 3 gives each node ids in steps of 3 (offsets 1, 2,
  // 3); `id MOD 3` would put every stream created through one node in one
  // shard. Each shard should get n/count, within 5 standard deviations of a
  // binomial draw.
  const int n = 3000;
  for (const std::uint64_t step : {1u, 2u, 3u, 4u, 5u, 7u, 9u, 10u}) {
    for (std::uint64_t offset = 1; offset <= step; ++offset) {
      for (const int count : {2, 3, 4, 5, 6, 8, 9, 12, 16}) {
        const std::vector<long long> per = spread(offset, step, n, count);
        const double p = 1.0 / count;
        const double mean = n * p, sd = std::sqrt(n * p * (1 - p));
        for (int s = 0; s < count; ++s) {
          INFO("step " << step << " offset " << offset << " count " << count << " shard " << s);
          CHECK(std::abs(per[static_cast<std::size_t>(s)] - mean) < 5 * sd);
        }
      }
    }
  }
  // Streams created through one node of three, shards 3: every shard has some.
  const std::vector<long long> node = spread(2, 3, 30, 3);
  for (long long c : node) CHECK(c > 0);
}

TEST_CASE("the shard hash is the same in C++ and SQL, with no overflow up to the largest id",
          "[shard]") {
  soci::session sql(soci::sqlite3, ":memory:");
  const std::vector<std::uint64_t> ids = {0,
                                          1,
                                          2,
                                          3,
                                          1000,
                                          2147483646,
                                          2147483647,
                                          2147483648,
                                          4294967296,
                                          1ULL << 53,
                                          (1ULL << 62) + 12345,
                                          9223372036854775807ULL};
  for (const std::uint64_t id : ids) {
    INFO("id " << id);
    long long in_sql = -1;
    const long long value = static_cast<long long>(id);
    sql << "SELECT " + shard_hash_sql(":id"), soci::use(value), soci::into(in_sql);
    CHECK(in_sql == static_cast<long long>(shard_hash(id)));
    CHECK(shard_hash(id) < kShardP3);
  }
  // The largest intermediate value stays below 2^63 (signed BIGINT).
  CHECK((kShardP1 - 1) * kShardA1 + kShardC1 < (1ULL << 63));
  CHECK((kShardP2 - 1) * kShardA2 + kShardC2 < (1ULL << 63));
}
