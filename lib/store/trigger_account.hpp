#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "store/store.hpp"

namespace engagementd {

// engagementd's triggers on the site's tables run as their DEFINER. Run as
// the account that ran `migrate`, dropping or renaming that account would
// make every site write to those tables fail. So `migrate` gives them an
// account of their own, one per database: created locked (nobody can log in
// as it), holding only what the triggers use. SQLite has neither definers
// nor accounts: there the functions below find none and do nothing.

// A stable short tag of a database name: 8 hex digits (FNV-1a, 32 bits).
std::string database_tag(const std::string& database);
// The account's user name for this database ("engagementd_trg_" and a hash
// of the name: at most 32 characters, MySQL's limit); the host is localhost.
std::string trigger_user(const std::string& database);
// As SQL: 'engagementd_trg_…'@'localhost'.
std::string trigger_account(const std::string& database);

// The name of the session's database (MariaDB/MySQL: DATABASE(); SQLite:
// empty).
std::string current_database(Store& store);

// One of engagementd's triggers as information_schema shows it (MariaDB/
// MySQL; listed only to accounts with the TRIGGER privilege).
struct TriggerInfo {
  std::string name;
  std::string table;
  // user@host; empty when this account may not see it (MariaDB lists a
  // trigger to an account with any privilege on its table, its DEFINER only
  // with the TRIGGER privilege).
  std::string definer;
};
// None on SQLite, whose triggers have no definer.
std::optional<std::vector<TriggerInfo>> engagementd_triggers(Store& store);

// How many accounts have this user name (any host), or this user and host,
// in mysql.user; none when this account may not read mysql.user (or on
// SQLite, which has no accounts).
std::optional<long long> count_accounts(Store& store, const std::string& user);
std::optional<long long> count_accounts(Store& store, const std::string& user,
                                        const std::string& host);

// MariaDB/MySQL: creates the account (locked), grants it what the triggers
// need on the tables that exist, and moves every engagementd trigger whose
// DEFINER is another account to it (each table locked meanwhile, so no site
// write passes between the old trigger and the new). Returns the triggers
// moved. Where the migrating account may not (no CREATE USER, no SUPER or
// SET USER), the triggers stay as they are and a warning says so.
int move_triggers_to_own_account(Store& store, const Logger& log);

}  // namespace engagementd
