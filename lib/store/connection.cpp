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

const SqlDialect& dialect_of(soci::session& sql) {
  return dialect_for(sql.get_backend_name() == "sqlite3" ? Backend::sqlite3 : Backend::mysql);
}

Store::Store(Backend backend, std::unique_ptr<soci::session> sql)
    : backend_(backend), dialect_(dialect_for(backend)), sql_(std::move(sql)) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(const DatabaseConfig& db, const std::string& password) {
  const SqlDialect& dialect = dialect_for(db.backend);
  // The LOAD DATA LOCAL handler's source, handed to the connection before it
  // connects (where there is a bulk writer and the configuration wants it).
  std::unique_ptr<InfileSource> infile;
  if (db.local_infile && dialect.bulk_writer) infile = std::make_unique<InfileSource>();
  std::unique_ptr<soci::session> sql;
  try {
    sql = dialect.connect(db, password, infile.get());
    for (const Sql setup : dialect.session_setup) *sql << dialect[setup];
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

void Store::commit() {
  sql_->commit();
}

void Store::rollback() {
  sql_->rollback();
}

int TickStore::error_number(const std::exception& e) {
  if (const auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    return static_cast<int>(m->err_num_);
  }
  return 0;
}

bool TickStore::is_retryable(const std::exception& e) {
  const int n = error_number(e);
  if (n == 1213 || n == 1205) return true;  // deadlock, lock wait timeout
  // SOCI reports some statement errors without the number; the text is stable.
  const std::string what = e.what();
  return what.find("Deadlock found") != std::string::npos ||
         what.find("Lock wait timeout exceeded") != std::string::npos;
}

bool TickStore::is_statement_error(const std::exception& e) {
  if (is_retryable(e)) return false;
  if (const auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    const int n = static_cast<int>(m->err_num_);
    if (n >= 2000 && n < 3000) return false;  // client errors: the connection
    switch (n) {
      case 1040:  // too many connections
      case 1053:  // server shutdown in progress
      case 1077:
      case 1078:
      case 1079:
      case 1080:  // shutdown
      case 1152:  // aborted connection
      case 1153:  // packet too large
      case 1154:
      case 1155:
      case 1156:
      case 1157:
      case 1158:
      case 1159:
      case 1160:
      case 1161:  // network read/write errors
      case 1184:  // aborted new connection
      case 1290:  // --read-only: another server may be the primary after a reconnect
      case 1836:  // read-only mode
      case 1927:  // connection killed
      case 4031:  // disconnected by the server (MySQL 8)
        return false;
      default:
        return true;
    }
  }
  if (const auto* l = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    switch (l->result()) {
      case 1:   // SQLITE_ERROR: the SQL (no such table or column)
      case 19:  // SQLITE_CONSTRAINT
      case 20:  // SQLITE_MISMATCH
      case 25:  // SQLITE_RANGE
        return true;
      default:
        return false;  // busy, locked, I/O, full, corrupt: the database
    }
  }
  // SOCI's own errors (a conversion of a value): about the statement.
  return dynamic_cast<const soci::soci_error*>(&e) != nullptr;
}

}  // namespace engagementd
