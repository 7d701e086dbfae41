#include "support/test_db.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace engagementd::test {
namespace {

Backend g_backend = Backend::sqlite3;
std::atomic<int> g_counter{0};

// "host=H port=P user=U password=PW" from $ENGAGEMENTD_TEST_MYSQL or the file
// CMake wrote. Missing means the test fails: a DB test must not pass without a DB.
std::string mysql_connection() {
  if (const char* env = std::getenv("ENGAGEMENTD_TEST_MYSQL"); env != nullptr && *env != '\0') {
    return env;
  }
  std::ifstream in(ENGAGEMENTD_TEST_MYSQL_FILE);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.empty()) {
    throw std::runtime_error(
        "no MariaDB for the tests: ENGAGEMENTD_TEST_MYSQL is not set. Run scripts/test.sh, "
        "which starts a throwaway MariaDB, or configure with "
        "-DENGAGEMENTD_TEST_MYSQL=\"host=127.0.0.1 port=N user=U password=P\"");
  }
  return s;
}

std::string field(const std::string& conn, const std::string& key) {
  std::istringstream in(conn);
  std::string part;
  while (in >> part) {
    if (part.rfind(key + "=", 0) == 0) return part.substr(key.size() + 1);
  }
  return {};
}

}  // namespace

void set_backend(Backend backend) {
  g_backend = backend;
}
Backend backend() {
  return g_backend;
}
bool is_mysql() {
  return g_backend == Backend::mysql;
}

const Logger& quiet_logger() {
  static const Logger log(LogLevel::error);
  return log;
}

TestDatabase::TestDatabase() {
  char tmpl[] = "/tmp/engagementd-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  db_.backend = g_backend;
  if (g_backend == Backend::sqlite3) {
    db_.path = dir_ + "/test.db";
    return;
  }
  admin_connection_ = mysql_connection();
  db_.host = field(admin_connection_, "host");
  db_.port = std::stoi(field(admin_connection_, "port"));
  db_.user = field(admin_connection_, "user");
  password_ = field(admin_connection_, "password");
  db_.name = "engagementd_t" + std::to_string(getpid()) + "_" + std::to_string(g_counter++);
  password_file_ = dir_ + "/db-password";
  std::ofstream(password_file_) << password_ << "\n";
  db_.password_file = password_file_;
  soci::session admin(soci::mysql, "db=mysql " + admin_connection_);
  admin << "DROP DATABASE IF EXISTS " + db_.name;
  admin << "CREATE DATABASE " + db_.name + " CHARACTER SET utf8mb4";
}

TestDatabase::~TestDatabase() {
  try {
    if (g_backend == Backend::mysql) {
      soci::session admin(soci::mysql, "db=mysql " + admin_connection_);
      admin << "DROP DATABASE IF EXISTS " + db_.name;
    }
    std::filesystem::remove_all(dir_);
  } catch (...) {
  }
}

std::unique_ptr<Store> TestDatabase::open() const {
  return Store::open(db_, password_);
}

std::unique_ptr<Store> TestDatabase::open(bool local_infile) const {
  DatabaseConfig db = db_;
  db.local_infile = local_infile;
  return Store::open(db, password_);
}

std::unique_ptr<Store> TestDatabase::migrated() const {
  auto store = open();
  store->migrate(quiet_logger());
  store->check_schema();
  return store;
}

std::unique_ptr<soci::session> TestDatabase::site() const {
  if (g_backend == Backend::sqlite3) {
    auto s = std::make_unique<soci::session>(soci::sqlite3, db_.path);
    *s << "PRAGMA busy_timeout = 10000";
    return s;
  }
  return std::make_unique<soci::session>(soci::mysql, "db=" + db_.name + " " + admin_connection_);
}

std::string TestDatabase::write_yaml(const std::string& extra) const {
  std::ostringstream y;
  y << "database:\n";
  if (g_backend == Backend::sqlite3) {
    y << "  backend: sqlite3\n  path: " << db_.path << "\n";
  } else {
    y << "  backend: mysql\n  host: " << db_.host << "\n  port: " << db_.port
      << "\n  name: " << db_.name << "\n  user: " << db_.user
      << "\n  password_file: " << password_file_ << "\n";
  }
  y << extra;
  const std::string path = dir_ + "/engagementd.yaml";
  std::ofstream(path) << y.str();
  return path;
}

std::string TestDatabase::now_sql() const {
  return g_backend == Backend::mysql ? "NOW()" : "datetime('now')";
}

long long query_int(soci::session& sql, const std::string& q) {
  long long v = 0;
  soci::indicator ind = soci::i_ok;
  sql << q, soci::into(v, ind);
  if (ind == soci::i_null) throw std::runtime_error("NULL from: " + q);
  return v;
}

}  // namespace engagementd::test
