// The statement tables (lib/store/statements.hpp; sql_mysql.cpp,
// sql_sqlite.cpp, sql_common.cpp), every named statement gone through: the
// store binds values by position, so a statement both dialects have must
// name the same placeholders in the same order; each table is whole; texts
// are written out whole (only the documented slots in them); every shard
// filter is the hash of shard_hash.hpp. tests/store/test_statements.cpp
// prepares each of them on a database.

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/engagement.hpp"
#include "core/setting_text.hpp"
#include "store/shard_hash.hpp"
#include "store/sql_dialect.hpp"

namespace engagementd {
namespace {

std::vector<std::string> placeholders(const std::string& sql) {
  std::vector<std::string> out;
  static const std::regex name(":([a-z_0-9]+)");
  for (auto it = std::sregex_iterator(sql.begin(), sql.end(), name); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

// Every {slot} in a text.
std::set<std::string> slots(const std::string& sql) {
  std::set<std::string> out;
  static const std::regex slot("\\{([a-z_]+)\\}");
  for (auto it = std::sregex_iterator(sql.begin(), sql.end(), slot); it != std::sregex_iterator();
       ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

std::vector<Sql> every_statement() {
  std::vector<Sql> out;
  for (std::size_t i = 0; i < kSqlCount; ++i) out.push_back(static_cast<Sql>(i));
  return out;
}

// The texts with names of objects in them (statements.hpp): DDL, accounts,
// a PRAGMA's value. A new one is a choice to make here, not by accident.
const std::set<Sql> kWithNames = {
    Sql::set_busy_timeout, Sql::alter_decimal,  Sql::role_grants,         Sql::count_rows,
    Sql::drop_trigger,     Sql::drop_table,     Sql::drop_account,        Sql::drop_index,
    Sql::drop_column,      Sql::create_account, Sql::lock_account,        Sql::grant,
    Sql::show_create_trigger, Sql::lock_table,
};

// The statements only SQLite has (MariaDB/MySQL has every other one).
const std::set<Sql> kSqliteOnly = {Sql::set_busy_timeout, Sql::set_wal_journal};

}  // namespace

TEST_CASE("every named statement has its text in both dialects, or is said to have none") {
  const SqlDialect& m = mysql_dialect();
  const SqlDialect& s = sqlite_dialect();
  for (const Sql name : every_statement()) {
    INFO(sql_name(name));
    CHECK(m.has(name) == (kSqliteOnly.count(name) == 0));
    if (kSqliteOnly.count(name) != 0) CHECK(s.has(name));
    for (const SqlDialect* d : {&m, &s}) {
      if (!d->has(name)) {
        CHECK_THROWS_AS((*d)[name], std::logic_error);
        continue;
      }
      const std::string text = (*d)[name];
      CHECK_FALSE(text.empty());
      // Whole: no slot but the documented ones.
      for (const std::string& slot : slots(text)) {
        INFO("{" << slot << "}");
        if (slot == "rows") {
          CHECK(d->form(name) != RowsForm::none);
        } else if (slot == "ids" || slot == "ids_v") {
          CHECK(with_ids(text.c_str(), 3).find('{') == std::string::npos);
        } else {
          CHECK(kWithNames.count(name) == 1);
        }
      }
      if (d->form(name) != RowsForm::none) {
        CHECK(slots(text).count("rows") == 1);
        CHECK_FALSE(d->rows(name).names.empty());
      }
    }
    // The store binds by position: the same placeholders in the same order.
    if (m.has(name) && s.has(name)) {
      CHECK(placeholders(m[name]) == placeholders(s[name]));
      CHECK((m.form(name) == RowsForm::none) == (s.form(name) == RowsForm::none));
      if (m.form(name) != RowsForm::none) CHECK(m.rows(name).names == s.rows(name).names);
    }
  }
  CHECK(std::string(sql_name(Sql::live_streams)) == "live_streams");
  CHECK(std::string(sql_name(static_cast<Sql>(kSqlCount - 1))) == "restore_sql_mode");
}

TEST_CASE("every shard filter is the hash of shard_hash.hpp, bound count and index") {
  const std::regex filter("% :shard_count(_v)? = :shard_index(_v)?");
  std::size_t filtered = 0;
  for (const Sql name : every_statement()) {
    for (const SqlDialect* d : {&mysql_dialect(), &sqlite_dialect()}) {
      if (!d->has(name)) continue;
      const std::string text = (*d)[name];
      for (auto it = std::sregex_iterator(text.begin(), text.end(), filter);
           it != std::sregex_iterator(); ++it) {
        INFO(sql_name(name) << ": " << text);
        ++filtered;
        const std::string before = text.substr(0, static_cast<std::size_t>(it->position()));
        bool hashed = false;
        for (const char* column : {"ls.id", "lv.id", "id", "stream_id", "st.stream_id"}) {
          const std::string hash = shard_hash_sql(column) + " ";
          if (before.size() >= hash.size() &&
              before.compare(before.size() - hash.size(), hash.size(), hash) == 0) {
            hashed = true;
          }
        }
        CHECK(hashed);
      }
    }
  }
  // live_streams (x4, the heartbeat ones twice), ended (x2), chunk_end,
  // live_rows, fresh_viewers, real_deltas, stream_changes: per dialect.
  CHECK(filtered >= 2 * 12);
}

TEST_CASE("the statements follow the code's constants and column order") {
  for (const SqlDialect* d : {&mysql_dialect(), &sqlite_dialect()}) {
    // One character past the longest setting text.
    const std::string bound = ", " + std::to_string(kSettingTextMax + 1) + ")";
    CHECK(std::string((*d)[Sql::global_settings]).find(bound) != std::string::npos);
    CHECK(std::string((*d)[Sql::ended_streams]).find(bound) != std::string::npos);
    // The settings' columns in kConfigKeys' order, which the code reads
    // and binds them in.
    for (const Sql name : {Sql::read_stream_config, Sql::write_stream_config, Sql::live_streams,
                           Sql::live_streams_heartbeat, Sql::named_live_streams,
                           Sql::named_live_streams_heartbeat, Sql::insert_configs}) {
      INFO(sql_name(name));
      const std::string text = (*d)[name];
      std::size_t at = 0;
      for (const std::string_view key : kConfigKeys) {
        at = text.find(key, at);
        REQUIRE(at != std::string::npos);
        at += key.size();
      }
    }
    // The version table by its constant.
    CHECK(std::string((*d)[Sql::max_schema_version]).find(kVersionTable) != std::string::npos);
    CHECK(std::string((*d)[Sql::create_version_table]).find(kVersionTable) != std::string::npos);
    // The chunk's read and its end take the placeholders the code binds.
    CHECK(placeholders((*d)[Sql::chunk_end]) ==
          std::vector<std::string>{"after", "shard_count", "shard_index", "skip"});
    CHECK(placeholders((*d)[Sql::live_streams]) ==
          std::vector<std::string>{"after", "upto", "shard_count", "shard_index"});
    CHECK(placeholders(with_ids((*d)[Sql::named_live_streams_heartbeat], 2)) ==
          std::vector<std::string>{"v0", "v1", "ttl", "shard_count_v", "shard_index_v", "i0", "i1",
                                   "shard_count", "shard_index"});
    CHECK(placeholders(with_ids((*d)[Sql::named_ended_streams], 1)) ==
          std::vector<std::string>{"i0", "shard_count", "shard_index"});
    CHECK(placeholders((*d)[Sql::fresh_viewers]).at(2) == "cutoff");
  }
  CHECK_THROWS_AS(with_ids("SELECT 1", 2), std::logic_error);
}

TEST_CASE("the dialects' properties come with the statements they need") {
  const SqlDialect& m = mysql_dialect();
  CHECK(m.row_locks);
  CHECK(m.has(Sql::lock_lease));
  CHECK(m.has(Sql::stamp_lease_lock));
  CHECK(m.server_sessions);
  CHECK(m.typed_columns);
  CHECK(m.has(Sql::column_type));
  CHECK_FALSE(m.transactional_ddl);
  CHECK(m.bulk_writer);
  CHECK(m.session_setup.size() == 3);

  const SqlDialect& s = sqlite_dialect();
  CHECK_FALSE(s.row_locks);
  CHECK_FALSE(s.has(Sql::lock_lease));
  CHECK_FALSE(s.server_sessions);
  CHECK_FALSE(s.has(Sql::connection_id));
  CHECK_FALSE(s.typed_columns);
  CHECK_FALSE(s.has(Sql::alter_decimal));
  CHECK(s.transactional_ddl);
  CHECK_FALSE(s.bulk_writer);
  CHECK_FALSE(s.has(Sql::load_tick_state));
  CHECK(s.session_setup.empty());
}

TEST_CASE("one display statement for the tick and finalization, updated_at kept when it exists") {
  for (const SqlDialect* d : {&mysql_dialect(), &sqlite_dialect()}) {
    const auto whole = [&](Sql name) {
      const RowsStatement& r = d->rows(name);
      return r.head + r.tail;
    };
    const std::string live = whole(Sql::update_live_displays_keep_updated_at);
    const std::string ended = whole(Sql::update_ended_displays);
    CHECK(live.find("updated_at = ") != std::string::npos);
    CHECK(whole(Sql::update_live_displays).find("updated_at") == std::string::npos);
    CHECK(ended.find("updated_at") == std::string::npos);
    CHECK(whole(Sql::update_ended_displays_keep_updated_at).find("updated_at = ") !=
          std::string::npos);
    CHECK(live.find("= 'live'") != std::string::npos);
    CHECK(ended.find("<> 'live'") != std::string::npos);
    CHECK(d->rows(Sql::update_live_displays).names.size() == 7);
  }
  CHECK_THROWS_AS(mysql_dialect().rows(Sql::now_ms), std::logic_error);
}

}  // namespace engagementd
