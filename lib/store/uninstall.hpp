#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace engagementd {

// Everything engagementd created in the site's database, in the order it is
// removed: the schema version first (a daemon still running stands by at
// its next tick instead of writing into tables about to go), the triggers
// (so the site's writes never meet a trigger whose table is gone), its
// tables, then the columns and indexes it added to the site's tables. What
// it does not own is left alone.
//
// By default the columns the site's pages rely on stay, with their values:
// saved_streams.stream_id (the replay links, with its index),
// live_streams.includes_simulated (the badge of every stream whose numbers
// include simulated ones) and stream_viewers.last_seen_at (the heartbeat
// the kit's pages keep). 'engagementd migrate' finds them and leaves them
// as they are. `purge` drops them too.
struct UninstallPlan {
  struct Step {
    std::string sql;
    std::string what;  // for the operator, with the rows it holds
  };
  std::vector<Step> steps;
  // What dropping loses that cannot be made again (the summary, the audit
  // trail, the replay links): a line each.
  std::vector<std::string> data;
  // What removing an object brings back on the site, said before it goes.
  std::vector<std::string> consequences;
  // What is kept of engagementd's, and why.
  std::vector<std::string> kept;
  // The live streams (status 'live') and, of them, those whose display
  // numbers include simulated ones (includes_simulated = 1): all of them
  // are given their real numbers before anything is dropped.
  long long live_streams = 0;
  long long live_simulated = 0;
};

UninstallPlan plan_uninstall(Store& store, bool purge = false);

// A shard's lease that an instance holds and that has not run out.
struct FreshLease {
  int shard = 0;
  std::string holder;
  std::int64_t expires_in_ms = 0;
};
// The fresh leases (none without engagementd_leader).
std::vector<FreshLease> fresh_leases(Store& store);

// Gives every live stream its real numbers, counted from the site's rows as
// the daemon counts them (open sessions with is_fake = 0, seen within
// real_viewer_ttl when stream_viewers has the heartbeat column; likes,
// dislikes and comments with is_fake = 0), with includes_simulated = 0;
// max_viewers is the stream's real peak as the daemon kept it, at least the
// viewers now. only_badged: only the live streams whose badge is on.
// Returns the streams whose numbers changed. Run it in a transaction.
long long show_real_numbers(Store& store, std::chrono::milliseconds real_viewer_ttl,
                            bool only_badged);

// Runs the plan: every live stream's real numbers first (a transaction of
// its own), then the steps in order. again (a daemon may still be ticking:
// --force): the live streams whose badge is on once more after the last
// step, when nothing can write them any more.
struct UninstallDone {
  std::size_t steps = 0;
  long long real_numbers = 0;  // live streams whose numbers changed
  long long real_again = 0;    // of them, written again by a daemon meanwhile
};
UninstallDone run_uninstall(Store& store, const UninstallPlan& plan,
                            std::chrono::milliseconds real_viewer_ttl, bool again = false);

}  // namespace engagementd
