#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <thread>

namespace engagementd {

// Runs fn up to `attempts` times while it throws an error `retryable` accepts
// (a deadlock, a lock-wait timeout), sleeping first_pause, then twice that,
// and so on, between attempts; on_retry hears of each retry. Other errors,
// and the last attempt's, propagate.
template <typename Fn>
auto with_retries(Fn fn, int attempts, std::chrono::milliseconds first_pause,
                  const std::function<bool(const std::exception&)>& retryable,
                  const std::function<void(const std::exception&, int attempt,
                                           std::chrono::milliseconds pause)>& on_retry) {
  std::chrono::milliseconds pause = first_pause;
  for (int attempt = 1;; ++attempt) {
    try {
      return fn();
    } catch (const std::exception& e) {
      if (attempt >= attempts || !retryable(e)) throw;
      on_retry(e, attempt, pause);
      std::this_thread::sleep_for(pause);
      pause *= 2;
    }
  }
}

}  // namespace engagementd
