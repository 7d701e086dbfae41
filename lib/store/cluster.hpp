#pragma once

// What changes when the database is a Galera cluster (MariaDB's
// multi-primary replication) rather than one server.
//
// On a cluster every node accepts writes. Row locks are the node's own: a
// lock taken through one node does not stop a write through another, and
// conflicting transactions are found at COMMIT instead (certification): the
// later one fails with ER_LOCK_DEADLOCK, like a deadlock. So on a cluster
// - a tick or a lease claim that gets it lost a race (is_lost_race,
//   store/db_errors.hpp) and is retried or waits for the next tick; it is
//   not a sign of a lost connection;
// - a session is named by its node as well as its connection id;
// - what must be serialized across nodes (migrate) is serialized by a
//   committed row, whose conflicting commits certification resolves.

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "store/tick_store.hpp"

namespace soci {
class session;
}

namespace engagementd {

// What a MariaDB/MySQL server says about the cluster it is part of.
struct ClusterFacts {
  bool wsrep = false;       // wsrep_on: a Galera node
  long long size = 0;       // wsrep_cluster_size
  std::string node_name;    // wsrep_node_name
  std::string state;        // wsrep_local_state_comment (Synced, Donor/Desynced, ...)
  std::string status;       // wsrep_cluster_status (Primary, non-Primary)
  long long sync_wait = 0;  // wsrep_sync_wait
  long long auto_increment_increment = 1;
  long long auto_increment_offset = 1;
  bool auto_increment_control = false;  // wsrep_auto_increment_control
  bool log_bin_trust_function_creators = false;
  bool log_bin = false;
  std::string host;  // @@hostname:@@port
};

// Makes this session's reads causal on a Galera node (wsrep_sync_wait = 1:
// a read first waits until the node has applied every transaction the
// cluster committed before it); nothing elsewhere.
void causal_reads(soci::session& sql);

// Reads them (MariaDB/MySQL; SHOW VARIABLES and SHOW STATUS, no privilege
// needed, and no error on a server without wsrep).
ClusterFacts read_cluster_facts(soci::session& sql);

// The name of the node this session runs on: wsrep_node_name on a Galera
// node, @@hostname:@@port elsewhere. Connection ids are the node's own.
std::string node_identity(const ClusterFacts& facts);

// Instances that claim shards themselves (shard.index: auto): their
// presence rows (engagementd_instances, migration 010) and the shards'
// leases as last committed. Each instance writes only its own row.
// (ShardLeaseSeen: store/tick_store.hpp.)
// The instances seen within `within_ms` that share `shard_count` shards.
std::vector<std::string> present_instances(soci::session& sql, int shard_count, std::int64_t now_ms,
                                           std::int64_t within_ms);
void forget_instance(soci::session& sql, const std::string& holder);
// The lease rows of shards 0 .. count-1 that exist.
std::vector<ShardLeaseSeen> shard_leases(soci::session& sql, int shard_count);

// `migrate`'s lock, held across every node of a cluster (GET_LOCK is only the
// node's own): the row 'migrate' of engagementd_migration_lock, claimed and
// released by committed autocommit statements. Two claims at once through
// two nodes cannot both commit (the same primary key: one fails
// certification, or sees the other's row on its retry).
// The migration lock's row as `doctor` reports it (nullopt: no row).
struct MigrationLockSeen {
  std::string holder;
  std::int64_t claimed_ago_ms = 0;
  std::int64_t renewed_ago_ms = 0;
  // For a holder of this server that held the named lock (off a cluster):
  // whether a session holds that lock now. Unknown otherwise.
  std::optional<bool> session_alive;
};
std::optional<MigrationLockSeen> read_migration_lock(soci::session& sql);

//
// Off a cluster the holder also holds a named lock (GET_LOCK) for as long as
// its session lives, and its row says so. A migrate that gets the named lock
// while such a row of the same server is there knows that holder's session
// is gone (killed, Ctrl-C): it takes the row over at once instead of
// waiting kStale. A row without that mark (another node's, or an older
// engagementd's) is waited for as before.
class MigrationLock {
 public:
  // Claims the lock, waiting while another holder renews it (up to `wait`);
  // a holder that has not renewed it for kStale is taken over. Throws
  // std::runtime_error naming the holder when the wait runs out. Once it
  // is held, the session's reads wait for the node to have applied every
  // commit of the cluster (wsrep_sync_wait), so the schema version read
  // next is the one the previous holder left.
  explicit MigrationLock(soci::session& sql, const Logger& log,
                         std::chrono::milliseconds wait = std::chrono::minutes(15));
  // Releases it (errors ignored: it expires by itself).
  ~MigrationLock();
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

  // Renews it (between migration statements).
  void renew();

  // A holder that has not renewed its claim for this long is taken over.
  static constexpr std::chrono::milliseconds kStale{10 * 60 * 1000};

 private:
  bool try_claim();
  // Takes the named lock if it is free; false while another session of
  // this server holds it (a live migrate).
  bool take_named_lock();
  // Moves the row from `old` to this holder, if it is still old's.
  bool take_over(const std::string& old, const std::string& why);
  soci::session& sql_;
  const Logger& log_;
  std::string who_;  // this process and session
  std::string holder_;
  std::string node_;        // this session's node (server), as holder_ names it
  std::string named_lock_;  // off a cluster: the GET_LOCK name for this database
  bool named_ = false;      // this session holds it
};

}  // namespace engagementd
