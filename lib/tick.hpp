#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>

#include "log.hpp"
#include "simulation.hpp"
#include "store.hpp"

namespace engagementd {

struct TickSettings {
  bool simulation_enabled = true;  // the YAML kill switch
  std::chrono::milliseconds max_catchup{60'000};
  std::chrono::milliseconds real_viewer_ttl{60'000};
};

struct TickReport {
  std::size_t live = 0;
  std::size_t displays_written = 0;
  std::size_t states_written = 0;
  std::size_t configs_created = 0;
  std::size_t finalized = 0;
  bool simulation_enabled = true;
  double read_ms = 0, step_ms = 0, write_ms = 0, total_ms = 0;
};

// One tick: one read of every live stream, the simulation step for each, and
// all writes (only changed rows, multi-row) in one transaction; then the
// streams that left 'live' are finalized in the same transaction.
class TickEngine {
 public:
  TickEngine(Store& store, const Logger& log, std::uint64_t seed);

  // Throws on database errors; the transaction is then rolled back and
  // nothing of this tick is kept (in the database or in memory).
  TickReport run(const TickSettings& settings);

 private:
  Store& store_;
  const Logger& log_;
  Rng rng_;
  // When each live stream was last advanced, for streams whose numbers did
  // not change and so were not written: their time still counts as spent.
  std::unordered_map<std::int64_t, std::int64_t> advanced_ms_;
  OnceLog problems_;
  bool last_simulation_enabled_ = true;
};

}  // namespace engagementd
