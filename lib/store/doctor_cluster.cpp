#include "store/doctor_cluster.hpp"

#include "store/cluster.hpp"
#include "store/server_check.hpp"

namespace engagementd {

void inspect_cluster(Store& store, std::vector<Finding>& out) {
  using Level = Finding::Level;
  const ClusterFacts c = store.cluster_facts();
  if (!c.wsrep) return;
  const auto add = [&](Level level, std::string text) { out.push_back({level, std::move(text)}); };

  const bool healthy = c.status == "Primary" && c.state == "Synced";
  add(c.status != "Primary" ? Level::problem : (healthy ? Level::ok : Level::warning),
      "Galera cluster of " + std::to_string(c.size) + " node(s); this node is " + c.node_name +
          " (" + c.state + ", " + c.status + ")" +
          (c.status != "Primary"
               ? ": this node is not in the primary component and refuses queries; connect "
                 "engagementd to a node that is"
           : healthy ? ""
                     : ": the node is not synced; ticks wait until it is"));
  add(Level::ok,
      "wsrep_sync_wait = " + std::to_string(c.sync_wait) +
          ": engagementd needs no causal reads (the triggers' rows arrive with the site's rows, "
          "so a stream's count is exact on any node; migrate waits for the cluster itself)");
  add(Level::ok,
      "auto_increment_increment = " + std::to_string(c.auto_increment_increment) + " (offset " +
          std::to_string(c.auto_increment_offset) +
          (c.auto_increment_control ? ", set by Galera" : "") +
          "): shards go by a hash of the stream id, so streams created through one node spread "
          "over every shard");
  add(Level::ok,
      "leadership on a cluster: run one standby per node; the lease row's commit decides "
      "between nodes, and a stalled holder's session is ended only on its own node");

  // Galera checks triggers as if the binary log were on (server_check.hpp).
  bool super = false;
  try {
    super = holds(store.server_facts(), "SUPER");
  } catch (const std::exception&) {
  }
  if (c.log_bin_trust_function_creators) {
    add(Level::ok,
        "log_bin_trust_function_creators = 1 on this node: migrate may create the triggers "
        "without SUPER (set it on every node)");
  } else if (super) {
    add(Level::ok,
        "log_bin_trust_function_creators = 0, but this account has SUPER: migrate may create "
        "the triggers as it");
  } else {
    add(Level::warning,
        "log_bin_trust_function_creators = 0 and this account lacks SUPER: on a Galera node "
        "'engagementd migrate' cannot create its triggers; set it to 1 on every node (SET "
        "GLOBAL and in the server's configuration) or migrate as an account with SUPER");
  }
}

}  // namespace engagementd
