#include "store/db_errors.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "store/store.hpp"

namespace engagementd {
namespace {

bool says(const std::exception& e, const char* text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

DbErrorKind classify_mysql(int n) {
  using namespace mysql_error;
  if (n == kErLockDeadlock) return DbErrorKind::deadlock;
  if (n == kErLockWaitTimeout || n == kErLockNowait) return DbErrorKind::lock_timeout;
  if (n >= kCrMinError && n <= kCrMaxError) return DbErrorKind::connection;
  if ((n >= kErNormalShutdown && n <= kErForcingClose) ||
      (n >= kErAbortingConnection && n <= kErNetWriteInterrupted)) {
    return DbErrorKind::connection;
  }
  switch (n) {
    case kErConCountError:
    case kErServerShutdown:
    case kErNewAbortingConnection:
    // A read-only server: after a reconnect another one may be the primary.
    case kErOptionPreventsStatement:
    case kErReadOnlyMode:
    case kErConnectionKilled:
    case kErClientInteractionTimeout:
      return DbErrorKind::connection;
    case kErDbaccessDeniedError:
    case kErTableaccessDeniedError:
    case kErSpecificAccessDeniedError:
    case kErNotAllowedCommand:
    case kErClientLocalFilesDisabled:
      return DbErrorKind::privilege;
    case kErDupEntry:
      return DbErrorKind::constraint;
    default:
      return DbErrorKind::statement;
  }
}

DbErrorKind classify_sqlite(int result) {
  using namespace sqlite_error;
  switch (result) {
    case kSqliteError:
    case kSqliteMismatch:
    case kSqliteRange:
      return DbErrorKind::statement;
    case kSqliteConstraint:
      return DbErrorKind::constraint;
    case kSqliteBusy:
    case kSqliteLocked:
      // Another process holds the file past busy_timeout: the connection is
      // opened again, as after a lost one.
      return DbErrorKind::connection;
    default:
      return DbErrorKind::system;  // I/O, a full disk, a corrupt file
  }
}

}  // namespace

DbErrorKind classify(const std::exception& e) {
  if (const auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    const int n = static_cast<int>(m->err_num_);
    // SOCI reports the error of COMMIT (and of some statements) without its
    // number; the server's texts are stable.
    if (n == 0 || n == mysql_error::kErLockDeadlock || n == mysql_error::kErLockWaitTimeout) {
      if (says(e, "Deadlock found") || says(e, mysql_error::kWsrepConflict)) {
        return DbErrorKind::deadlock;
      }
      if (says(e, "Lock wait timeout exceeded")) return DbErrorKind::lock_timeout;
    }
    return classify_mysql(n);
  }
  if (const auto* l = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    return classify_sqlite(l->result());
  }
  if (const auto* s = dynamic_cast<const soci::soci_error*>(&e)) {
    if (says(e, "Deadlock found") || says(e, mysql_error::kWsrepConflict)) {
      return DbErrorKind::deadlock;
    }
    if (says(e, "Lock wait timeout exceeded")) return DbErrorKind::lock_timeout;
    // SOCI's own errors (a conversion of a value): about the statement.
    return s->get_error_category() == soci::soci_error::connection_error ? DbErrorKind::connection
                                                                         : DbErrorKind::statement;
  }
  return DbErrorKind::none;
}

int error_code(const std::exception& e) {
  if (const auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    return static_cast<int>(m->err_num_);
  }
  if (const auto* l = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) return l->result();
  return 0;
}

std::string error_text(const std::exception& e) {
  if (const auto* se = dynamic_cast<const soci::soci_error*>(&e)) return se->get_error_message();
  return e.what();
}

std::string error_label(const std::exception& e, bool connecting) {
  if (dynamic_cast<const SchemaError*>(&e) != nullptr) return "schema";
  if (connecting) return "connect";
  switch (classify(e)) {
    case DbErrorKind::none:
      return "other";
    case DbErrorKind::deadlock:
      return "deadlock";
    case DbErrorKind::lock_timeout:
      return "lock_timeout";
    case DbErrorKind::connection:
      return "connection";
    case DbErrorKind::system:
      return "system";
    case DbErrorKind::statement:
      return "statement";
    case DbErrorKind::privilege:
      return "privilege";
    case DbErrorKind::constraint:
      return "constraint";
  }
  return "other";
}

}  // namespace engagementd
