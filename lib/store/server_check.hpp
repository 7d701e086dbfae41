#pragma once

#include <set>
#include <string>
#include <vector>

namespace engagementd {

// What 'engagementd migrate' needs of a MariaDB or MySQL server, checked
// before it changes anything, so that it never stops half-way.
struct ServerFacts {
  std::string version;          // SELECT VERSION()
  std::string version_comment;  // @@version_comment
  bool log_bin = false;
  std::string binlog_format;  // @@binlog_format
  bool trust_function_creators = false;
  // A Galera node (wsrep_on): it checks stored programs and triggers as if
  // the binary log were on, whatever log_bin says.
  bool wsrep = false;
  // Privileges held on the database (global or database-level grants, the
  // enabled roles' included), upper case; "ALL PRIVILEGES" stands for all.
  std::set<std::string> privileges;
};

struct MigrateNeeds {
  bool random_bytes = false;  // a pending statement calls RANDOM_BYTES
  bool triggers = false;      // a pending statement creates a trigger
};

// The privileges on the database every migration needs.
const std::vector<std::string>& migrate_privileges();

bool is_mariadb(const ServerFacts& f);
// {major, minor} of VERSION(); {0, 0} when unreadable.
std::pair<int, int> server_version(const ServerFacts& f);
bool holds(const ServerFacts& f, const std::string& privilege);

// Why migrate must not run on this server, one message naming every cause;
// empty when it may.
std::string migrate_refusal(const ServerFacts& f, const MigrateNeeds& needs);

// One line of SHOW GRANTS: adds the privileges it grants on the database
// `db` (on *.* or on a database pattern matching db; table and column grants
// are not counted) and the roles it grants.
void read_grant_line(const std::string& line, const std::string& db,
                     std::set<std::string>& privileges, std::vector<std::string>& roles);

}  // namespace engagementd
