#include "support/site_fixture.hpp"

#include <chrono>

namespace engagementd::test {

DatabaseFixture::DatabaseFixture() : site(db.site()) {}

DatabaseFixture::DatabaseFixture(Migrated) : store(db.migrated()), site(db.site()) {}

void DatabaseFixture::migrate() {
  store = db.migrated();
}

void DatabaseFixture::migrate(bool local_infile) {
  store = db.open(local_infile);
  store->migrate(quiet_logger());
  store->check_schema();
}

void DatabaseFixture::reopen() {
  store = db.open();
  store->check_schema();
}

void DatabaseFixture::reopen(bool local_infile) {
  store = db.open(local_infile);
  store->check_schema();
}

std::unique_ptr<Store> DatabaseFixture::another_store() const {
  auto other = db.open();
  other->check_schema();
  return other;
}

TickSettings DatabaseFixture::settings(bool simulation_enabled) const {
  TickSettings s;
  s.max_catchup = std::chrono::seconds(60);
  s.simulation_enabled = simulation_enabled;
  return s;
}

long long DatabaseFixture::add_stream(const std::string& status) {
  return site::add_stream(*site, status);
}

void DatabaseFixture::add_viewer(long long stream, const std::string& session, bool fake,
                                 bool left) {
  site::add_viewer(*site, stream, session, fake, left);
}

void DatabaseFixture::add_interaction(long long stream, const std::string& type, bool fake) {
  site::add_interaction(*site, stream, type, fake);
}

void DatabaseFixture::set_config(long long stream, const std::string& values) {
  site::set_config(*site, stream, values);
}

void DatabaseFixture::set_global(const std::string& key, const std::string& value) {
  site::set_global(*site, key, value);
}

void DatabaseFixture::end_stream(long long stream) {
  *site << "UPDATE live_streams SET status = 'ended', ended_at = " + db.now_sql() +
               " WHERE id = " + std::to_string(stream);
}

void DatabaseFixture::rewind(long long ms) {
  site::rewind(*site, ms);
}

DisplayRow DatabaseFixture::display(long long stream) {
  DisplayRow r;
  *site << "SELECT viewer_count, max_viewers, like_count, dislike_count, comment_count FROM "
           "live_streams WHERE id = :id",
      soci::use(stream), soci::into(r.viewers), soci::into(r.max_viewers), soci::into(r.likes),
      soci::into(r.dislikes), soci::into(r.comments);
  return r;
}

SimState DatabaseFixture::state(long long stream) {
  long long viewers = 0, joins = 0, likes = 0, peak = 0;
  *site << "SELECT sim_viewers, sim_joins, sim_likes, peak_viewers FROM engagementd_stream_state "
           "WHERE stream_id = :id",
      soci::use(stream), soci::into(viewers), soci::into(joins), soci::into(likes),
      soci::into(peak);
  SimState s;
  s.viewers = viewers;
  s.joins = joins;
  s.likes = likes;
  s.peak = peak;
  return s;
}

}  // namespace engagementd::test
