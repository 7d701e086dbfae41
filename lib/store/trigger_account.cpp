#include "store/trigger_account.hpp"

#include <soci/soci.h>

#include <cstdint>
#include <cstdio>
#include <vector>

namespace engagementd {
namespace {

std::string quote_name(const std::string& name) {
  std::string out = "`";
  for (const char ch : name) {
    out += ch;
    if (ch == '`') out += '`';
  }
  return out + "`";
}

std::string current_database(soci::session& sql) {
  std::string db;
  sql << "SELECT DATABASE()", soci::into(db);
  return db;
}

bool exists(Store& store, const char* table, const std::vector<const char*>& columns) {
  if (!store.has_table(table)) return false;
  for (const char* c : columns) {
    if (!store.has_column(table, c)) return false;
  }
  return true;
}

}  // namespace

std::vector<TriggerInfo> engagementd_triggers(soci::session& sql) {
  std::vector<TriggerInfo> out;
  std::string name, table, definer;
  soci::statement st =
      (sql.prepare << "SELECT trigger_name, event_object_table, definer FROM "
                      "information_schema.triggers WHERE trigger_schema = DATABASE() AND "
                      "(trigger_name LIKE 'engagementd%' OR trigger_name = "
                      "'live_streams_stream_key') ORDER BY trigger_name",
       soci::into(name), soci::into(table), soci::into(definer));
  st.execute();
  while (st.fetch()) out.push_back({name, table, definer});
  return out;
}

std::string trigger_user(const std::string& database) {
  // FNV-1a, 32 bits: a stable short tag per database name.
  std::uint32_t h = 2166136261u;
  for (const char ch : database) {
    h ^= static_cast<unsigned char>(ch);
    h *= 16777619u;
  }
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", h);
  return std::string("engagementd_trg_") + tag;
}

std::string trigger_account(const std::string& database) {
  return "'" + trigger_user(database) + "'@'localhost'";
}

int move_triggers_to_own_account(Store& store, const Logger& log) {
  if (store.backend() != Backend::mysql) return 0;  // SQLite triggers have no definer
  soci::session& sql = store.session();
  const std::string database = current_database(sql);
  const std::string account = trigger_account(database);
  const std::string db = quote_name(database);
  try {
    sql << "CREATE USER IF NOT EXISTS " + account + " ACCOUNT LOCK";
    sql << "ALTER USER " + account + " ACCOUNT LOCK";
    // What the trigger bodies use, on the tables of this database that have it.
    struct Grant {
      const char* table;
      std::vector<const char*> columns;
      std::string privileges;
    };
    const std::vector<Grant> grants = {
        {"stream_viewers",
         {"stream_id", "is_fake", "left_at"},
         "TRIGGER, SELECT (stream_id, is_fake, left_at)"},
        {"stream_interactions",
         {"stream_id", "is_fake", "interaction_type"},
         "TRIGGER, SELECT (stream_id, is_fake, interaction_type)"},
        {"live_streams", {"stream_key"}, "TRIGGER, SELECT (stream_key), UPDATE (stream_key)"},
        {"engagementd_audit", {}, "TRIGGER"},
        {"engagementd_real_deltas", {}, "INSERT"},
    };
    for (const Grant& g : grants) {
      if (!exists(store, g.table, g.columns)) continue;
      sql << "GRANT " + g.privileges + " ON " + db + "." + quote_name(g.table) + " TO " + account;
    }
  } catch (const soci::soci_error& e) {
    log.warning(
        "the triggers keep running as the account that created them: this account may "
        "not create their own locked account " +
        account + " (" + e.get_error_message() +
        "); keep that account, or run 'engagementd migrate' as one with CREATE USER "
        "and GRANT OPTION");
    return 0;
  }

  // The triggers of ours whose definer is another account.
  const std::string own = trigger_user(database) + "@localhost";
  std::vector<TriggerInfo> to_move;
  for (TriggerInfo& t : engagementd_triggers(sql)) {
    if (t.definer != own) to_move.push_back(std::move(t));
  }
  int moved = 0;
  for (const TriggerInfo& t : to_move) {
    const std::string& name = t.name;
    const std::string& table = t.table;
    soci::row r;
    sql << "SHOW CREATE TRIGGER " + quote_name(name), soci::into(r);
    const std::string sql_mode = r.get<std::string>(1);
    std::string text = r.get<std::string>(2);
    const auto from = text.find("DEFINER=");
    const auto to = text.find(" TRIGGER ");
    if (from == std::string::npos || to == std::string::npos || to < from) continue;
    text.replace(from, to - from, "DEFINER=" + quote_name(trigger_user(database)) + "@`localhost`");
    try {
      // The table locked for the swap: a site write waits for it (a few
      // milliseconds) rather than passing with no trigger.
      sql << "SET @engagementd_sql_mode = @@session.sql_mode";
      sql << "SET SESSION sql_mode = :m", soci::use(sql_mode);
      sql << "LOCK TABLES " + quote_name(table) + " WRITE";
      sql << "DROP TRIGGER " + quote_name(name);
      try {
        sql << text;
      } catch (const soci::soci_error&) {
        // Put it back as it was before giving up.
        sql << r.get<std::string>(2);
        throw;
      }
      sql << "UNLOCK TABLES";
      sql << "SET SESSION sql_mode = @engagementd_sql_mode";
      ++moved;
    } catch (const soci::soci_error& e) {
      try {
        sql << "UNLOCK TABLES";
        sql << "SET SESSION sql_mode = @engagementd_sql_mode";
      } catch (...) {
      }
      log.warning("trigger " + name +
                  " keeps running as the account that created it: it cannot "
                  "be given to " +
                  account + " (" + e.get_error_message() +
                  "; creating a trigger for another account needs SUPER or SET USER)");
      return moved;
    }
  }
  if (moved > 0) log.notice(std::to_string(moved) + " trigger(s) now run as " + account);
  return moved;
}

}  // namespace engagementd
