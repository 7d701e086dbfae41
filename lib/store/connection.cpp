// Opening the store, its transactions, and what kind of error a database
// error is.

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <stdexcept>

#include "store/bulk_writer.hpp"
#include "store/mysql_fetch.hpp"
#include "store/sql_dialect.hpp"
#include "store/store.hpp"

namespace engagementd {

const SqlDialect& dialect_for(Backend backend) {
  switch (backend) {
    case Backend::mysql:
      return mysql_dialect();
    case Backend::sqlite3:
      return sqlite_dialect();
  }
  throw std::logic_error("no SQL dialect for this backend");
}

Store::Store(Backend backend, std::unique_ptr<soci::session> sql)
    : backend_(backend), dialect_(dialect_for(backend)), sql_(std::move(sql)) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(const DatabaseConfig& db, const std::string& password) {
  const SqlDialect& dialect = dialect_for(db.backend);
  // The LOAD DATA LOCAL handler's source, handed to the connection before it
  // connects (where there is a bulk writer and the configuration wants it).
  std::unique_ptr<InfileSource> infile;
  if (db.local_infile && dialect.bulk != nullptr) infile = std::make_unique<InfileSource>();
  std::unique_ptr<soci::session> sql;
  try {
    sql = dialect.connect(db, password, infile.get());
    for (const std::string& setup : dialect.session_setup) *sql << setup;
  } catch (const soci::soci_error& e) {
    throw std::runtime_error("cannot connect to " + describe(db) + ": " + e.get_error_message());
  }
  std::unique_ptr<Store> store(new Store(db.backend, std::move(sql)));
  if (infile) {
    store->infile_ = std::move(infile);
    store->local_infile_ = true;
  }
  return store;
}

void Store::begin() {
  sql_->begin();
}

soci::session& session_of(Store& store) {
  return *store.sql_;
}

void Store::commit() {
  sql_->commit();
}

void Store::rollback() {
  sql_->rollback();
}

}  // namespace engagementd
