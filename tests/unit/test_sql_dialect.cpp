// The two statement tables (lib/store/sql_mysql.cpp, sql_sqlite.cpp): the
// store binds values by position, so a statement both dialects have must
// name the same placeholders in the same order; and each table is whole.

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

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

struct Named {
  const char* name;
  std::string SqlDialect::*text;
};

const std::vector<Named> kBoth = {
    {"count_columns", &SqlDialect::count_columns},
    {"count_tables", &SqlDialect::count_tables},
    {"count_unique_single_column_indexes", &SqlDialect::count_unique_single_column_indexes},
    {"count_indexes", &SqlDialect::count_indexes},
    {"create_version_table", &SqlDialect::create_version_table},
    {"max_schema_version", &SqlDialect::max_schema_version},
    {"insert_schema_version", &SqlDialect::insert_schema_version},
    {"now_ms", &SqlDialect::now_ms},
    {"global_settings", &SqlDialect::global_settings},
    {"drop_real_counts", &SqlDialect::drop_real_counts},
    {"drop_stream_real_counts", &SqlDialect::drop_stream_real_counts},
    {"note_dropped_real_counts", &SqlDialect::note_dropped_real_counts},
    {"note_dropped_stream_real_counts", &SqlDialect::note_dropped_stream_real_counts},
    {"finalize_state", &SqlDialect::finalize_state},
    {"delete_stream_counts", &SqlDialect::delete_stream_counts},
    {"final_saved_migration", &SqlDialect::final_saved_migration},
    {"final_saved_dump", &SqlDialect::final_saved_dump},
    {"replace_summary", &SqlDialect::replace_summary},
    {"read_lease", &SqlDialect::read_lease},
    {"create_lease", &SqlDialect::create_lease},
    {"write_lease", &SqlDialect::write_lease},
    {"release_lease", &SqlDialect::release_lease},
    {"upsert_instance", &SqlDialect::upsert_instance},
    {"last_audit_detail", &SqlDialect::last_audit_detail},
};

}  // namespace

TEST_CASE("both dialects fill the statement table, with the same placeholders in the same order") {
  const SqlDialect& m = mysql_dialect();
  const SqlDialect& s = sqlite_dialect();
  for (const Named& n : kBoth) {
    INFO(n.name);
    CHECK_FALSE((m.*n.text).empty());
    CHECK_FALSE((s.*n.text).empty());
    CHECK(placeholders(m.*n.text) == placeholders(s.*n.text));
  }
  for (const Shard& shard : {Shard{}, Shard{1, 3}}) {
    INFO("shards: " << shard.count);
    for (const std::vector<std::int64_t>& ids : {std::vector<std::int64_t>{}, {3, 5, 8}}) {
      INFO("ids: " << ids.size());
      CHECK(placeholders(m.live_streams(true, shard, ids)) ==
            placeholders(s.live_streams(true, shard, ids)));
      CHECK(placeholders(m.live_streams(false, shard, ids)) ==
            placeholders(s.live_streams(false, shard, ids)));
      CHECK(placeholders(m.ended_streams(shard, ids)) == placeholders(s.ended_streams(shard, ids)));
      for (const SqlDialect* d : {&m, &s}) {
        // The named streams replace the id range, in the derived table too.
        const std::string named = d->live_streams(true, shard, ids);
        CHECK((named.find(":after") == std::string::npos) == !ids.empty());
        CHECK((named.find(" IN (3, 5, 8)") != std::string::npos) == !ids.empty());
        CHECK((d->ended_streams(shard, ids).find(" IN (3, 5, 8)") != std::string::npos) ==
              !ids.empty());
      }
    }
    CHECK(placeholders(m.chunk_end(shard, 10)) == placeholders(s.chunk_end(shard, 10)));
    CHECK(placeholders(m.live_rows(shard)) == placeholders(s.live_rows(shard)));
    CHECK(placeholders(m.fresh_viewers(shard)) == placeholders(s.fresh_viewers(shard)));
    CHECK(placeholders(m.live_rows(shard)).at(0) == "after");
    CHECK(placeholders(m.fresh_viewers(shard)).at(2) == "cutoff");
    CHECK(placeholders(m.real_delta_runs(shard)) == placeholders(s.real_delta_runs(shard)));
    CHECK(placeholders(m.real_deltas(shard)) == placeholders(s.real_deltas(shard)));
    CHECK(placeholders(m.stream_changes(shard)) == placeholders(s.stream_changes(shard)));
  }
  for (const SqlDialect* d : {&m, &s}) {
    CHECK(d->stream_changes(Shard{}).find("engagementd_stream_changes") != std::string::npos);
    CHECK(d->delete_stream_changes.head.find("engagementd_stream_changes") != std::string::npos);
    CHECK(d->delete_real_deltas.head.find("engagementd_real_deltas") != std::string::npos);
  }
  CHECK(placeholders(m.check_real_counts(true)) == placeholders(s.check_real_counts(true)));
  for (const SavedStreamsLayout layout :
       {SavedStreamsLayout::migration, SavedStreamsLayout::dump_linked}) {
    CHECK(placeholders(m.sync_saved_streams(layout, 100)) ==
          placeholders(s.sync_saved_streams(layout, 100)));
  }
  CHECK(m.sync_saved_streams(SavedStreamsLayout::dump_unlinked, 100).empty());
  CHECK(s.sync_saved_streams(SavedStreamsLayout::unknown, 100).empty());
  // The version table is named by its constant.
  CHECK(m.max_schema_version.find(kVersionTable) != std::string::npos);
  CHECK(s.create_version_table.find(kVersionTable) != std::string::npos);
}

TEST_CASE("the dialects' properties come with the statements they need") {
  const SqlDialect& m = mysql_dialect();
  CHECK(m.row_locks);
  CHECK_FALSE(m.lock_lease.empty());
  CHECK_FALSE(m.stamp_lease_lock.empty());
  CHECK(m.server_sessions);
  for (const std::string* t :
       {&m.read_uncommitted, &m.repeatable_read, &m.read_lease_stamp, &m.read_lease_nonce,
        &m.current_user, &m.server_identity, &m.server_uptime, &m.connection_id}) {
    CHECK_FALSE(t->empty());
  }
  CHECK(m.typed_columns);
  CHECK_FALSE(m.column_type.empty());
  CHECK_FALSE(m.decimal_column.empty());
  CHECK_FALSE(m.transactional_ddl);
  REQUIRE(m.bulk != nullptr);
  CHECK(m.bulk->create_tables.size() == 4);
  CHECK(m.bulk->clear_tables.size() == 3);

  const SqlDialect& s = sqlite_dialect();
  CHECK_FALSE(s.row_locks);
  CHECK_FALSE(s.server_sessions);
  CHECK_FALSE(s.typed_columns);
  CHECK(s.transactional_ddl);
  CHECK(s.bulk == nullptr);
}

TEST_CASE("one display statement for the tick and finalization, updated_at kept when it exists") {
  for (const SqlDialect* d : {&mysql_dialect(), &sqlite_dialect()}) {
    const RowsStatement live = d->update_displays(true, true);
    const RowsStatement ended = d->update_displays(false, false);
    CHECK(live.head + live.tail != ended.head + ended.tail);
    CHECK((live.head + live.tail).find("updated_at = ") != std::string::npos);
    CHECK((ended.head + ended.tail).find("updated_at") == std::string::npos);
    CHECK((live.head + live.tail).find("= 'live'") != std::string::npos);
    CHECK((ended.head + ended.tail).find("<> 'live'") != std::string::npos);
  }
}

}  // namespace engagementd
