#include <soci/mysql/soci-mysql.h>
#include <catch2/catch.hpp>

#include <stdexcept>

#include "core/retry.hpp"
#include "store/db_errors.hpp"

using namespace engagementd;

TEST_CASE("deadlocks and lock-wait timeouts are retried with backoff, other errors are not") {
  const auto retryable = [](const std::exception& e) { return is_lost_race(e); };
  int calls = 0;
  std::vector<long long> pauses;
  const auto note = [&](const std::exception&, int, std::chrono::milliseconds p) {
    pauses.push_back(p.count());
  };

  // Two deadlocks, then success.
  const int v = with_retries(
      [&] {
        if (++calls <= 2)
          throw soci::mysql_soci_error("Deadlock found when trying to get lock", 1213);
        return 42;
      },
      5, std::chrono::milliseconds(1), retryable, note);
  CHECK(v == 42);
  CHECK(calls == 3);
  CHECK(pauses == std::vector<long long>{1, 2});

  // A lock-wait timeout every time: bounded by the attempts, then the error.
  calls = 0;
  pauses.clear();
  CHECK_THROWS_AS(with_retries(
                      [&]() -> int {
                        ++calls;
                        throw soci::mysql_soci_error("Lock wait timeout exceeded", 1205);
                      },
                      4, std::chrono::milliseconds(1), retryable, note),
                  soci::mysql_soci_error);
  CHECK(calls == 4);
  CHECK(pauses == std::vector<long long>{1, 2, 4});

  // A lost connection is not retried here: the daemon reconnects instead.
  calls = 0;
  CHECK_THROWS(with_retries(
      [&]() -> int {
        ++calls;
        throw soci::mysql_soci_error("Lost connection to server during query", 2013);
      },
      5, std::chrono::milliseconds(1), retryable, note));
  CHECK(calls == 1);
  CHECK_FALSE(is_lost_race(std::runtime_error("anything else")));
}
