#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/engagement.hpp"
#include "core/simulation.hpp"
#include "store/tick_store.hpp"

namespace engagementd {

// The per-stream decisions of a tick, apart from all I/O: which settings
// apply, the kill switch's freeze, dt, the step, which rows to write, the
// display numbers and their badge, and the final numbers of a stream that
// left 'live'. Rows as read go in, rows to write and lines to log come out;
// no database, no log, no clock (the time is an input). TickEngine::run
// reads, plans, writes and logs.

// What every stream of a tick shares, read once per tick.
struct TickFacts {
  // The global defaults (global_stream_settings, else built in), with the
  // watch time, which is global only.
  EngagementConfig defaults;
  // Both kill switches on: the YAML file's and the global row's.
  bool simulate = true;
  std::int64_t now_ms = 0;  // the database clock at the start of the tick
  // When the last committed tick ran (the lease row): every live stream was
  // advanced to then, written or not.
  std::int64_t lease_last_tick_ms = 0;
  double max_catchup_s = 60;  // dt is capped by tick.max_catchup
  // The largest number every display column holds (TickStore::display_limit).
  std::int64_t display_limit = std::numeric_limits<std::int64_t>::max();
};

// A line for the log about one stream. With a key it is said once per
// distinct `what` under that key (OnceLog::first), else every time.
struct PlanWarning {
  std::string key;
  std::string what;
  std::string text;
};

// The OnceLog key of a stream's settings problem (an invalid row): a valid
// row clears it, and so does the stream's finalization.
std::string config_problem_key(std::int64_t stream_id);

// Where a live stream's settings came from.
enum class ConfigSource {
  stream_row,   // its own valid stream_engagement_config row
  new_row,      // no row: the global defaults, inserted as its row
  invalid_row,  // an invalid row: the global defaults until it is fixed
};

// What to do for one live stream this tick.
struct StreamPlan {
  EngagementConfig config;  // the settings it is simulated with
  ConfigSource source = ConfigSource::stream_row;
  std::string config_error;                // invalid_row: what is wrong with the row
  std::optional<ConfigInsert> config_row;  // new_row: the row to insert
  SimState sim;                            // the simulated audience after this tick
  double dt_seconds = 0;                   // the time stepped (0: first sight, or frozen)
  std::int64_t target = 0;                 // T; 0 while simulation is off
  std::optional<StateWrite> state;         // the engagementd_stream_state row to write
  Display display;                         // the numbers to show, within the columns
  bool clamped = false;                    // display had to be brought within 0..display_limit
  bool write_display = false;              // display differs from what the row shows
  std::vector<AuditEvent> audits;          // first_simulated, config_changed
  std::vector<PlanWarning> warnings;       // an invalid row, clamped numbers
};

// Plans the live streams of one tick. Keeps only a memo of the last
// settings' JSON: most streams share their settings, so each distinct one is
// formatted once per tick, not once per stream.
class StreamPlanner {
 public:
  explicit StreamPlanner(TickFacts facts) : facts_(std::move(facts)) {}
  const TickFacts& facts() const { return facts_; }

  // rng is the step's random source, as for step().
  StreamPlan plan(const LiveStream& s, Rng& rng);

 private:
  const std::string& json_of(const EngagementConfig& c);

  TickFacts facts_;
  std::optional<std::pair<EngagementConfig, std::string>> json_;
};

// The display of a live stream: real + simulated while simulating (viewers,
// likes; the peak as max_viewers), real only when not (max_viewers then is
// the real viewers now). The badge: viewers or likes include simulated ones
// now, or the peak may (simulated viewers have been shown).
Display live_display(const RealCounts& real, const SimState& sim, bool simulated);

// Each number within 0..limit: a number above what the columns hold would
// fail the whole write (MariaDB strict mode) or be cut by the server, and a
// negative one (a kept real count gone negative) is shown as 0.
Display clamped(Display d, std::int64_t limit);

// The statuses that end a stream (case-insensitive): scheduled, ended,
// archived, cancelled. Another status (not 'live' either) is left be.
bool is_known_status(std::string_view status);

// The end of a simulated stream that is no longer live (or was deleted).
struct FinalPlan {
  // Empty: not finalized this tick (a status the daemon does not know).
  std::optional<Finalization> finalization;
  std::vector<PlanWarning> warnings;  // unknown status, no started_at
};
FinalPlan plan_finalization(const EndedStream& e, const TickFacts& tick);

// The one description of a finalization's numbers: the audit row's detail
// and the log line are both made from it, with the same names (the columns
// of engagementd_stream_summary where it has them).
std::string finalized_detail(const Finalization& f);  // {"status":...,"final_max_viewers":...}
std::string finalized_line(const Finalization& f);    // finalized stream=ID status=... key=value...
AuditEvent finalized_audit(const Finalization& f);

// The tick's kill switch: simulate only with both switches on. A flip is
// audited against the newest kill_switch audit row, not this process's
// memory, so a restart or a new leader records only real changes.
struct KillSwitchPlan {
  bool simulate = true;
  std::optional<AuditEvent> audit;  // a kill_switch row, when simulate differs from the audited
};
KillSwitchPlan plan_kill_switch(bool file_enabled, bool global_enabled,
                                const std::optional<std::string>& last_audit_detail,
                                std::int64_t now_ms);

}  // namespace engagementd
