#include "store/db_errors.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include "store/store.hpp"

namespace engagementd {
namespace {

// MariaDB server error numbers worth telling apart on a dashboard.
constexpr unsigned kErLockDeadlock = 1213;
constexpr unsigned kErLockWaitTimeout = 1205;

}  // namespace

bool is_database_error(const std::exception& e) {
  return dynamic_cast<const soci::soci_error*>(&e) != nullptr;
}

std::string error_text(const std::exception& e) {
  if (const auto* se = dynamic_cast<const soci::soci_error*>(&e)) return se->get_error_message();
  return e.what();
}

std::string error_kind(const std::exception& e, bool connecting) {
  if (dynamic_cast<const SchemaError*>(&e) != nullptr) return "schema";
  if (const auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    if (m->err_num_ == kErLockDeadlock) return "deadlock";
    if (m->err_num_ == kErLockWaitTimeout) return "lock_timeout";
  }
  if (const auto* s = dynamic_cast<const soci::soci_error*>(&e)) {
    switch (s->get_error_category()) {
      case soci::soci_error::connection_error:
        return connecting ? "connect" : "connection";
      case soci::soci_error::invalid_statement:
        return "statement";
      case soci::soci_error::no_privilege:
        return "privilege";
      case soci::soci_error::constraint_violation:
        return "constraint";
      case soci::soci_error::unknown_transaction_state:
        return "transaction";
      case soci::soci_error::system_error:
        return "system";
      default:
        break;
    }
  }
  return connecting ? "connect" : "other";
}

}  // namespace engagementd
