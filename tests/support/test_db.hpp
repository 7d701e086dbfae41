#pragma once

#include <soci/soci.h>

#include <memory>
#include <string>

#include "core/log.hpp"
#include "service/config.hpp"
#include "store/store.hpp"

namespace engagementd::test {

void set_backend(Backend backend);
Backend backend();
bool is_mysql();

// A fresh, empty database for one test: a new MariaDB database on the test
// server, or a new SQLite file; removed again afterwards.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const DatabaseConfig& config() const { return db_; }
  const std::string& dir() const { return dir_; }
  std::unique_ptr<Store> open() const;
  // Opened with database.local_infile set as given (MariaDB: the tick's rows
  // by LOAD DATA LOCAL INFILE, or as multi-row statements).
  std::unique_ptr<Store> open(bool local_infile) const;
  std::unique_ptr<Store> migrated() const;
  // A plain session, as the PHP site would use.
  std::unique_ptr<soci::session> site() const;
  // Writes an engagementd.yaml for this database; extra YAML is appended.
  std::string write_yaml(const std::string& extra) const;

  // SQL for "now" on the site's clock, in this dialect.
  std::string now_sql() const;

 private:
  DatabaseConfig db_;
  std::string password_;
  std::string password_file_;
  std::string dir_;
  std::string admin_connection_;
};

long long query_int(soci::session& sql, const std::string& q);

const Logger& quiet_logger();

}  // namespace engagementd::test
