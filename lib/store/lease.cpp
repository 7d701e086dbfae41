// The leadership lease of a shard (engagementd_leader) and the sessions
// around it: who holds its lock, this session's id, ending a stalled one.

#include <soci/soci.h>

#include <stdexcept>

#include "store/cluster.hpp"
#include "store/db_errors.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {
namespace {

// The lease row of a shard by this query (plain or locking); nullopt if
// there is no row.
std::optional<Lease> select_lease(soci::session& sql, int shard, const std::string& query) {
  std::string holder, server_host;
  long long token = 0, conn = 0, expires = 0, last = 0, started = 0;
  sql << query, soci::use(shard), soci::into(holder), soci::into(token), soci::into(conn),
      soci::into(expires), soci::into(last), soci::into(server_host), soci::into(started);
  if (!sql.got_data()) return std::nullopt;
  return Lease{holder, token, conn, expires, last, server_host, started};
}

}  // namespace

std::optional<Lease> Store::peek_lease(int shard) {
  return select_lease(*sql_, shard, dialect_.read_lease);
}

std::optional<Lease> Store::lock_lease(int shard) {
  if (!dialect_.row_locks) {
    // No row locks (SQLite): this write takes the database's write lock for
    // the transaction, which serializes instances just the same.
    *sql_ << dialect_.create_lease, soci::use(shard);
    return peek_lease(shard);
  }
  // The locking read comes first in the transaction, so the snapshot the
  // tick then reads from is taken after the lease is held.
  for (int attempt = 0;; ++attempt) {
    std::optional<Lease> lease;
    try {
      lease = select_lease(*sql_, shard, dialect_.lock_lease);
    } catch (const soci::soci_error& e) {
      // kErLockWaitTimeout (MariaDB) or kErLockNowait (MySQL): another
      // session holds the row.
      if (classify(e) == DbErrorKind::lock_timeout) return std::nullopt;
      throw;
    }
    if (lease) {
      const std::string node = this->node();
      *sql_ << dialect_.stamp_lease_lock, soci::use(node), soci::use(shard);
      return lease;
    }
    if (attempt > 0) throw std::runtime_error("the engagementd_leader row cannot be created");
    *sql_ << dialect_.create_lease, soci::use(shard);
  }
}

std::optional<LeaseLockHolder> Store::lease_lock_holder(int shard) {
  if (!dialect_.server_sessions) return std::nullopt;
  long long conn = 0, dirty_nonce = 0, committed_nonce = 0;
  std::string account, node;
  bool found = false;
  // The newest version of the row, committed or not.
  *sql_ << dialect_.read_uncommitted;
  try {
    *sql_ << dialect_.read_lease_stamp, soci::use(shard), soci::into(conn), soci::into(dirty_nonce),
        soci::into(account), soci::into(node);
    found = sql_->got_data();
  } catch (...) {
    *sql_ << dialect_.repeatable_read;
    throw;
  }
  *sql_ << dialect_.repeatable_read;
  if (!found) return std::nullopt;
  // The committed version, read after it: a holder that committed in
  // between shows the same nonce both ways, and proves nothing.
  *sql_ << dialect_.read_lease_nonce, soci::use(shard), soci::into(committed_nonce);
  if (dirty_nonce == committed_nonce || conn <= 0) return std::nullopt;
  std::string own;
  *sql_ << dialect_.current_user, soci::into(own);
  return LeaseLockHolder{conn, account, account == own, node, node == this->node(), dirty_nonce};
}

void Store::touch_instance(const std::string& holder, int shard_count, std::int64_t now_ms) {
  const long long now = now_ms;
  *sql_ << dialect_.upsert_instance, soci::use(holder), soci::use(shard_count), soci::use(now);
}

std::vector<std::string> Store::present_instances(int shard_count, std::int64_t now_ms,
                                                  std::int64_t within_ms) {
  return engagementd::present_instances(*sql_, shard_count, now_ms, within_ms);
}

void Store::forget_instance(const std::string& holder) {
  engagementd::forget_instance(*sql_, holder);
}

std::vector<ShardLeaseSeen> Store::shard_leases(int shard_count) {
  return engagementd::shard_leases(*sql_, shard_count);
}

ClusterFacts Store::cluster_facts() {
  if (!dialect_.server_sessions) return {};
  return read_cluster_facts(*sql_);
}

std::string Store::node() {
  if (!dialect_.server_sessions) return {};
  if (!node_) node_ = node_identity(read_cluster_facts(*sql_));
  return *node_;
}

std::pair<std::string, std::int64_t> Store::server_identity() {
  if (!dialect_.server_sessions) return {};
  if (!server_identity_) {
    std::string host, name, uptime;
    long long port = 0, now = 0;
    *sql_ << dialect_.server_identity, soci::into(host), soci::into(port), soci::into(now);
    *sql_ << dialect_.server_uptime, soci::into(name), soci::into(uptime);
    server_identity_.emplace(host + ":" + std::to_string(port), now - std::stoll(uptime));
  }
  return *server_identity_;
}

bool Store::write_lease(int shard, const Lease& read, const Lease& next) {
  BoundSql q(*sql_);
  q.text(dialect_.write_lease).bind(next.holder);
  q.bind(static_cast<long long>(next.token)).bind(static_cast<long long>(next.connection_id));
  q.bind(static_cast<long long>(next.expires_ms)).bind(static_cast<long long>(next.last_tick_ms));
  q.bind(next.server_host).bind(static_cast<long long>(next.server_started_s));
  q.bind(static_cast<long long>(shard)).bind(static_cast<long long>(read.token));
  q.bind(static_cast<long long>(read.last_tick_ms));
  return q.execute() == 1;
}

void Store::release_lease(int shard, const std::string& holder, std::int64_t token) {
  BoundSql q(*sql_);
  q.text(dialect_.release_lease).bind(static_cast<long long>(shard)).bind(holder);
  q.bind(static_cast<long long>(token));
  q.execute();
}

std::int64_t Store::connection_id() {
  if (!dialect_.server_sessions) return 0;
  if (connection_id_ < 0) {
    long long id = 0;
    *sql_ << dialect_.connection_id, soci::into(id);
    connection_id_ = id;
  }
  return connection_id_;
}

void Store::kill_connection(std::int64_t id) {
  if (!dialect_.server_sessions || id <= 0) return;
  *sql_ << dialect_.kill_connection(id);
}

}  // namespace engagementd
