#include "core/database.hpp"

namespace engagementd {

const char* ssl_mode_name(SslMode mode) {
  switch (mode) {
    case SslMode::automatic:
      return "automatic";
    case SslMode::disabled:
      return "disabled";
    case SslMode::required:
      return "required";
    case SslMode::verify_ca:
      return "verify_ca";
    case SslMode::verify_identity:
      return "verify_identity";
  }
  return "?";
}

std::string describe(const DatabaseConfig& db) {
  if (db.backend == Backend::sqlite3) return "sqlite3 " + db.path;
  std::string where = db.socket.empty() ? db.host + ":" + std::to_string(db.port) : db.socket;
  return "mysql " + (db.user.empty() ? std::string() : db.user + "@") + where + "/" + db.name;
}

}  // namespace engagementd
