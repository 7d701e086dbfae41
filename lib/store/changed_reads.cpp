// The reads of what changed since the last tick (TickStore, for
// tick/stream_cache.hpp).

#include <stdexcept>

#include "store/store.hpp"

namespace engagementd {

void Store::read_live_rows(const Shard&, std::size_t,
                           const std::function<void(const std::vector<LiveRow>&)>&) {
  throw std::logic_error("read_live_rows: not built yet");
}

std::vector<LiveStream> Store::read_streams(std::chrono::milliseconds, const Shard&,
                                            const std::vector<std::int64_t>&) {
  throw std::logic_error("read_streams: not built yet");
}

std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>> Store::fresh_viewers(
    std::chrono::milliseconds, const Shard&) {
  throw std::logic_error("fresh_viewers: not built yet");
}

std::vector<EndedStream> Store::read_ended_streams(const Shard&, const std::vector<std::int64_t>&) {
  throw std::logic_error("read_ended_streams(ids): not built yet");
}

}  // namespace engagementd
