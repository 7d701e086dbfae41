#include "store/cluster.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "store/db_errors.hpp"
#include "store/trigger_account.hpp"

namespace engagementd {
namespace {

bool on(const std::string& v) {
  return v == "ON" || v == "1" || v == "on" || v == "TRUE";
}

long long number(const std::string& v, long long fallback) {
  try {
    return std::stoll(v);
  } catch (...) {
    return fallback;
  }
}

// Every row of a two-column SHOW statement, name -> value.
template <typename Fn>
void each_row(soci::session& sql, const std::string& query, Fn fn) {
  std::string name, value;
  soci::indicator ind = soci::i_ok;
  soci::statement st = (sql.prepare << query, soci::into(name), soci::into(value, ind));
  st.execute();
  while (st.fetch()) fn(name, ind == soci::i_null ? std::string() : value);
}

constexpr const char* kNowMs = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";

}  // namespace

ClusterFacts read_cluster_facts(soci::session& sql) {
  ClusterFacts f;
  std::string hostname, port;
  each_row(sql,
           "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_node_name',"
           " 'wsrep_sync_wait', 'auto_increment_increment', 'auto_increment_offset',"
           " 'wsrep_auto_increment_control', 'log_bin_trust_function_creators', 'log_bin',"
           " 'hostname', 'port')",
           [&](const std::string& name, const std::string& value) {
             if (name == "wsrep_on") f.wsrep = on(value);
             if (name == "wsrep_node_name") f.node_name = value;
             if (name == "wsrep_sync_wait") f.sync_wait = number(value, 0);
             if (name == "auto_increment_increment") f.auto_increment_increment = number(value, 1);
             if (name == "auto_increment_offset") f.auto_increment_offset = number(value, 1);
             if (name == "wsrep_auto_increment_control") f.auto_increment_control = on(value);
             if (name == "log_bin_trust_function_creators") {
               f.log_bin_trust_function_creators = on(value);
             }
             if (name == "log_bin") f.log_bin = on(value);
             if (name == "hostname") hostname = value;
             if (name == "port") port = value;
           });
  f.host = hostname + ":" + port;
  if (f.wsrep) {
    each_row(sql,
             "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size',"
             " 'wsrep_local_state_comment', 'wsrep_cluster_status')",
             [&](const std::string& name, const std::string& value) {
               if (name == "wsrep_cluster_size") f.size = number(value, 0);
               if (name == "wsrep_local_state_comment") f.state = value;
               if (name == "wsrep_cluster_status") f.status = value;
             });
  }
  return f;
}

std::string node_identity(const ClusterFacts& facts) {
  if (facts.wsrep && !facts.node_name.empty()) return facts.node_name;
  return facts.host;
}

void causal_reads(soci::session& sql) {
  bool wsrep = false;
  each_row(sql, "SHOW VARIABLES WHERE Variable_name = 'wsrep_on'",
           [&](const std::string&, const std::string& value) { wsrep = on(value); });
  if (wsrep) sql << "SET SESSION wsrep_sync_wait = 1";
}

std::vector<std::string> present_instances(soci::session& sql, int shard_count, std::int64_t now_ms,
                                           std::int64_t within_ms) {
  std::vector<std::string> out;
  std::string holder;
  const long long since = now_ms - within_ms;
  soci::statement st = (sql.prepare << "SELECT holder FROM engagementd_instances"
                                       " WHERE shard_count = :c AND seen_ms >= :s ORDER BY holder",
                        soci::use(shard_count), soci::use(since), soci::into(holder));
  st.execute();
  while (st.fetch()) out.push_back(holder);
  return out;
}

void forget_instance(soci::session& sql, const std::string& holder) {
  sql << "DELETE FROM engagementd_instances WHERE holder = :h", soci::use(holder);
}

std::vector<ShardLeaseSeen> shard_leases(soci::session& sql, int shard_count) {
  std::vector<ShardLeaseSeen> out;
  int shard = 0;
  std::string holder;
  long long expires = 0;
  soci::statement st =
      (sql.prepare << "SELECT shard, holder, expires_ms FROM engagementd_leader"
                      " WHERE shard < :c ORDER BY shard",
       soci::use(shard_count), soci::into(shard), soci::into(holder), soci::into(expires));
  st.execute();
  while (st.fetch()) out.push_back({shard, holder, expires});
  return out;
}

namespace {

// The mark a holder's row carries while its session holds the named lock.
std::string named_lock_mark(const std::string& node, const std::string& name) {
  return " on " + node + ", holding the named lock " + name;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// migrate's named lock for this database; none on a Galera node, which
// refuses GET_LOCK (and would hold it on that node only).
std::string migrate_named_lock(soci::session& sql, const ClusterFacts& facts) {
  if (facts.wsrep) return {};
  // A name per database, well within the 64 characters allowed.
  std::string database;
  sql << "SELECT DATABASE()", soci::into(database);
  return "engagementd_migrate_" + database_tag(database);
}

}  // namespace

std::optional<MigrationLockSeen> read_migration_lock(soci::session& sql) {
  std::string holder;
  long long claimed = 0, renewed = 0, now = 0;
  sql << std::string("SELECT holder, claimed_ms, renewed_ms, ") + kNowMs +
             " FROM engagementd_migration_lock WHERE name = 'migrate'",
      soci::into(holder), soci::into(claimed), soci::into(renewed), soci::into(now);
  if (!sql.got_data()) return std::nullopt;
  MigrationLockSeen seen{holder, now - claimed, now - renewed, std::nullopt};
  const ClusterFacts facts = read_cluster_facts(sql);
  const std::string name = migrate_named_lock(sql, facts);
  if (!name.empty() && ends_with(holder, named_lock_mark(node_identity(facts), name))) {
    long long conn = 0;
    soci::indicator ind = soci::i_ok;
    sql << "SELECT IS_USED_LOCK(:n)", soci::use(name), soci::into(conn, ind);
    seen.session_alive = ind != soci::i_null;
  }
  return seen;
}

MigrationLock::MigrationLock(soci::session& sql, const Logger& log, std::chrono::milliseconds wait)
    : sql_(sql), log_(log) {
  {
    // This process and session, on this node: what another migrate names
    // while it waits.
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    long long conn = 0;
    sql_ << "SELECT CONNECTION_ID()", soci::into(conn);
    const ClusterFacts facts = read_cluster_facts(sql_);
    node_ = node_identity(facts);
    who_ = std::string(host) + ":" + std::to_string(::getpid()) + " connection " +
           std::to_string(conn);
    holder_ = who_ + " on " + node_;
    named_lock_ = migrate_named_lock(sql_, facts);
  }
  // Its own table, created by whoever comes first (CREATE TABLE is applied
  // on every node in the same order, so IF NOT EXISTS holds on a cluster).
  sql_ << "CREATE TABLE IF NOT EXISTS engagementd_migration_lock ("
          " name VARCHAR(32) NOT NULL PRIMARY KEY,"
          " holder VARCHAR(255) NOT NULL,"
          " claimed_ms BIGINT NOT NULL,"
          " renewed_ms BIGINT NOT NULL"
          ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::string said;
  for (;;) {
    if (try_claim()) {
      causal_reads(sql_);
      return;
    }
    std::string other;
    soci::indicator ind = soci::i_ok;
    sql_ << "SELECT holder FROM engagementd_migration_lock WHERE name = 'migrate'",
        soci::into(other, ind);
    if (!sql_.got_data()) other.clear();
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("another 'engagementd migrate' (" + other +
                               ") holds the migration lock (engagementd_migration_lock); "
                               "gave up waiting for it");
    }
    if (!other.empty() && other != said) {
      log_.notice("waiting for the migration lock, held by " + other);
      said = other;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

bool MigrationLock::take_named_lock() {
  if (named_lock_.empty() || named_) return true;
  long long got = 0;
  soci::indicator ind = soci::i_ok;
  sql_ << "SELECT GET_LOCK(:n, 0)", soci::use(named_lock_), soci::into(got, ind);
  if (ind == soci::i_null || got != 1) return false;
  named_ = true;
  holder_ = who_ + named_lock_mark(node_, named_lock_);
  return true;
}

bool MigrationLock::try_claim() {
  if (!take_named_lock()) return false;
  try {
    sql_ << std::string(
                "INSERT INTO engagementd_migration_lock (name, holder, claimed_ms,"
                " renewed_ms) VALUES ('migrate', :h, ") +
                kNowMs + ", " + kNowMs + ")",
        soci::use(holder_);
    return true;
  } catch (const soci::soci_error& e) {
    // A holder's row is there. A lost race (the same row claimed through
    // another node at the same moment) also means: not ours.
    if (error_code(e) != mysql_error::kErDupEntry && !is_lost_race(e)) throw;
  }
  try {
    std::string old;
    soci::indicator ind = soci::i_ok;
    // A holder of this server that held the named lock: this session holds
    // it now, so that holder's session is gone.
    if (named_) {
      sql_ << "SELECT holder FROM engagementd_migration_lock WHERE name = 'migrate'",
          soci::into(old, ind);
      if (sql_.got_data() && ind == soci::i_ok &&
          ends_with(old, named_lock_mark(node_, named_lock_))) {
        return take_over(old, ": its session is gone (this one holds the named lock now)");
      }
    }
    // A holder that stopped renewing (killed while migrating) is taken over.
    const long long stale = kStale.count();
    sql_ << std::string(
                "SELECT holder FROM engagementd_migration_lock WHERE name = 'migrate'"
                " AND renewed_ms < ") +
                kNowMs + " - :stale",
        soci::use(stale), soci::into(old, ind);
    if (!sql_.got_data()) return false;
    return take_over(
        old, ", which had not renewed it for " + std::to_string(kStale.count() / 60000) + " min");
  } catch (const soci::soci_error& e) {
    if (is_lost_race(e)) return false;
    throw;
  }
}

bool MigrationLock::take_over(const std::string& old, const std::string& why) {
  soci::statement st = (sql_.prepare << std::string("UPDATE engagementd_migration_lock"
                                                    " SET holder = :h, claimed_ms = ") +
                                            kNowMs + ", renewed_ms = " + kNowMs +
                                            " WHERE name = 'migrate' AND holder = :old",
                        soci::use(holder_), soci::use(old));
  st.execute(true);
  if (st.get_affected_rows() != 1) return false;
  log_.warning("took over the migration lock of " + old + why);
  return true;
}

void MigrationLock::renew() {
  sql_ << std::string("UPDATE engagementd_migration_lock SET renewed_ms = ") + kNowMs +
              " WHERE name = 'migrate' AND holder = :h",
      soci::use(holder_);
}

MigrationLock::~MigrationLock() {
  try {
    sql_ << "DELETE FROM engagementd_migration_lock WHERE name = 'migrate' AND holder = :h",
        soci::use(holder_);
  } catch (...) {
  }
  if (named_) {
    try {
      long long released = 0;
      soci::indicator ind = soci::i_ok;
      sql_ << "SELECT RELEASE_LOCK(:n)", soci::use(named_lock_), soci::into(released, ind);
    } catch (...) {
    }
  }
}

}  // namespace engagementd
