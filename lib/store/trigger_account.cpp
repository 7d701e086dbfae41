#include "store/trigger_account.hpp"

#include <soci/soci.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "store/per_dialect.hpp"
#include "store/session.hpp"
#include "store/sql_dialect.hpp"

namespace engagementd {
namespace {

const SqlDialect& statements(const Store& store) {
  return dialect_for(store.backend());
}

// Triggers have a definer and there are accounts (not on SQLite).
bool definers(const SqlDialect& s) {
  return s.has(Sql::list_triggers);
}

std::string quote_name(const std::string& name) {
  std::string out = "`";
  for (const char ch : name) {
    out += ch;
    if (ch == '`') out += '`';
  }
  return out + "`";
}

bool exists(Store& store, const char* table, const std::vector<const char*>& columns) {
  if (!store.has_table(table)) return false;
  for (const char* c : columns) {
    if (!store.has_column(table, c)) return false;
  }
  return true;
}

std::optional<long long> count_or_none(Store& store, Sql statement,
                                       std::vector<std::string> values) {
  const SqlDialect& s = statements(store);
  if (!s.has(statement)) return std::nullopt;
  const char* query = s[statement];
  long long n = 0;
  try {
    soci::statement st(session_of(store));
    for (std::string& v : values) st.exchange(soci::use(v));
    st.exchange(soci::into(n));
    st.alloc();
    st.prepare(query);
    st.define_and_bind();
    st.execute(true);
  } catch (const soci::soci_error&) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

std::string current_database(Store& store) {
  const SqlDialect& s = statements(store);
  if (!s.has(Sql::current_database)) return {};
  std::string db;
  session_of(store) << s[Sql::current_database], soci::into(db);
  return db;
}

std::optional<std::vector<TriggerInfo>> engagementd_triggers(Store& store) {
  const SqlDialect& s = statements(store);
  if (!definers(s)) return std::nullopt;
  std::vector<TriggerInfo> out;
  std::string name, table, definer;
  soci::indicator definer_ind = soci::i_ok;
  soci::statement st = (session_of(store).prepare << s[Sql::list_triggers], soci::into(name),
                        soci::into(table), soci::into(definer, definer_ind));
  st.execute();
  while (st.fetch()) out.push_back({name, table, definer_ind == soci::i_null ? "" : definer});
  return out;
}

std::optional<long long> count_accounts(Store& store, const std::string& user) {
  return count_or_none(store, Sql::count_accounts_named, {user});
}

std::optional<long long> count_accounts(Store& store, const std::string& user,
                                        const std::string& host) {
  return count_or_none(store, Sql::count_accounts, {user, host});
}

std::string database_tag(const std::string& database) {
  // FNV-1a, 32 bits.
  std::uint32_t h = 2166136261u;
  for (const char ch : database) {
    h ^= static_cast<unsigned char>(ch);
    h *= 16777619u;
  }
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", h);
  return tag;
}

std::string trigger_user(const std::string& database) {
  return "engagementd_trg_" + database_tag(database);
}

std::string trigger_account(const std::string& database) {
  return "'" + trigger_user(database) + "'@'localhost'";
}

namespace {

// Creates the triggers' own locked account with what the trigger bodies
// use; false (said why) when this account may not.
bool create_trigger_account(Store& store, const std::string& database, const Logger& log) {
  const SqlDialect& s = statements(store);
  soci::session& sql = session_of(store);
  const std::string account = trigger_account(database);
  const std::string db = quote_name(database);
  try {
    sql << with_names(s[Sql::create_account], {{"{account}", account}});
    sql << with_names(s[Sql::lock_account], {{"{account}", account}});
    // What the trigger bodies use, on the tables of this database that have it.
    struct Grant {
      const char* table;
      std::vector<const char*> columns;
      std::string privileges;
    };
    const std::vector<Grant> grants = {
        // joined_at and last_seen_at: a leave's delta carries when the
        // session was last seen (migration 012).
        {"stream_viewers",
         {"stream_id", "is_fake", "left_at", "joined_at", "last_seen_at"},
         "TRIGGER, SELECT (stream_id, is_fake, left_at, joined_at, last_seen_at)"},
        {"stream_interactions",
         {"stream_id", "is_fake", "interaction_type"},
         "TRIGGER, SELECT (stream_id, is_fake, interaction_type)"},
        {"live_streams", {"stream_key"}, "TRIGGER, SELECT (stream_key), UPDATE (stream_key)"},
        {"engagementd_audit", {}, "TRIGGER"},
        {"engagementd_real_deltas", {}, "INSERT"},
        {"stream_engagement_config", {"stream_id"}, "TRIGGER, SELECT (stream_id)"},
        {"engagementd_stream_changes", {}, "INSERT"},
    };
    for (const Grant& g : grants) {
      if (!exists(store, g.table, g.columns)) continue;
      sql << with_names(s[Sql::grant], {{"{privileges}", g.privileges},
                                  {"{database}", db},
                                  {"{table}", quote_name(g.table)},
                                  {"{account}", account}});
    }
  } catch (const soci::soci_error& e) {
    log.warning(
        "the triggers keep running as the account that created them: this account may "
        "not create their own locked account " +
        account + " (" + e.get_error_message() +
        "); keep that account, or run 'engagementd migrate' as one with CREATE USER "
        "and GRANT OPTION");
    return false;
  }
  return true;
}

enum class TriggerMove { moved, skipped, failed };

// Creates the trigger again with the triggers' own account as its definer,
// its table locked for the swap; failed (said why) when this account may not.
TriggerMove move_trigger(Store& store, const TriggerInfo& t, const std::string& database,
                         const Logger& log) {
  const SqlDialect& s = statements(store);
  soci::session& sql = session_of(store);
  const std::string& name = t.name;
  const std::string& table = t.table;
  soci::row r;
  sql << with_names(s[Sql::show_create_trigger], {{"{trigger}", quote_name(name)}}), soci::into(r);
  std::string sql_mode = r.get<std::string>(1);
  std::string text = r.get<std::string>(2);
  const auto from = text.find("DEFINER=");
  const auto to = text.find(" TRIGGER ");
  if (from == std::string::npos || to == std::string::npos || to < from) {
    return TriggerMove::skipped;
  }
  text.replace(from, to - from, "DEFINER=" + quote_name(trigger_user(database)) + "@`localhost`");
  try {
    // The table locked for the swap: a site write waits for it (a few
    // milliseconds) rather than passing with no trigger.
    sql << s[Sql::save_sql_mode];
    sql << s[Sql::set_sql_mode], soci::use(sql_mode);
    sql << with_names(s[Sql::lock_table], {{"{table}", quote_name(table)}});
    sql << with_names(s[Sql::drop_trigger], {{"{trigger}", quote_name(name)}});
    try {
      sql << text;
    } catch (const soci::soci_error&) {
      // Put it back as it was before giving up.
      sql << r.get<std::string>(2);
      throw;
    }
    sql << s[Sql::unlock_tables];
    sql << s[Sql::restore_sql_mode];
    return TriggerMove::moved;
  } catch (const soci::soci_error& e) {
    try {
      sql << s[Sql::unlock_tables];
      sql << s[Sql::restore_sql_mode];
    } catch (...) {
    }
    log.warning("trigger " + name +
                " keeps running as the account that created it: it cannot "
                "be given to " +
                trigger_account(database) + " (" + e.get_error_message() +
                "; creating a trigger for another account needs SUPER or SET USER)");
    return TriggerMove::failed;
  }
}

}  // namespace

int move_triggers_to_own_account(Store& store, const Logger& log) {
  if (!definers(statements(store))) return 0;
  const std::string database = current_database(store);
  const std::string account = trigger_account(database);
  if (!create_trigger_account(store, database, log)) return 0;

  // The triggers of ours whose definer is another account.
  const std::string own = trigger_user(database) + "@localhost";
  std::vector<TriggerInfo> listed =
      engagementd_triggers(store).value_or(std::vector<TriggerInfo>{});
  std::vector<TriggerInfo> to_move;
  for (TriggerInfo& t : listed) {
    if (t.definer != own) to_move.push_back(std::move(t));
  }
  int moved = 0;
  for (const TriggerInfo& t : to_move) {
    const TriggerMove m = move_trigger(store, t, database, log);
    if (m == TriggerMove::failed) return moved;
    if (m == TriggerMove::moved) ++moved;
  }
  if (moved > 0) log.notice(std::to_string(moved) + " trigger(s) now run as " + account);
  return moved;
}

}  // namespace engagementd
