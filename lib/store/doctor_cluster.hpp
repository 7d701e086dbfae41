#pragma once

#include <vector>

#include "store/doctor.hpp"
#include "store/store.hpp"

namespace engagementd {

// What `doctor` says about a Galera cluster (nothing on a single server):
// its size and this node, the node's state, wsrep_sync_wait, the
// auto-increment step, and whether `migrate` may create triggers here
// (log_bin_trust_function_creators or SUPER).
void inspect_cluster(Store& store, std::vector<Finding>& out);

}  // namespace engagementd
