#include "store/mysql_connect.hpp"

#include <dlfcn.h>

#include <stdexcept>

namespace engagementd {
namespace {

thread_local const ConnectOptions* t_armed = nullptr;
thread_local bool t_applied = false;

void set_or_throw(MYSQL* m, mysql_option option, const void* value, const char* what) {
  if (mysql_optionsv(m, option, value) != 0) {
    throw std::runtime_error(std::string("the MySQL client library refuses the option ") + what);
  }
}

void apply(MYSQL* m, const ConnectOptions& o) {
  const std::string plugins = allowed_auth_plugins(o.ssl_mode);
  set_or_throw(m, MARIADB_OPT_RESTRICTED_AUTH, plugins.c_str(), "MARIADB_OPT_RESTRICTED_AUTH");
  if (o.infile_init != nullptr) {
    mysql_set_local_infile_handler(m, o.infile_init, o.infile_read, o.infile_end, o.infile_error,
                                   o.infile_data);
  }
  if (o.ssl_mode == SslMode::disabled) return;
  const my_bool on = 1;
  set_or_throw(m, MYSQL_OPT_SSL_ENFORCE, &on, "MYSQL_OPT_SSL_ENFORCE");
  if (!o.ssl_ca.empty()) set_or_throw(m, MYSQL_OPT_SSL_CA, o.ssl_ca.c_str(), "MYSQL_OPT_SSL_CA");
  if (!o.ssl_cert.empty()) {
    set_or_throw(m, MYSQL_OPT_SSL_CERT, o.ssl_cert.c_str(), "MYSQL_OPT_SSL_CERT");
    set_or_throw(m, MYSQL_OPT_SSL_KEY, o.ssl_key.c_str(), "MYSQL_OPT_SSL_KEY");
  }
  const my_bool verify_name = o.ssl_mode == SslMode::verify_identity ? 1 : 0;
  set_or_throw(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_name,
               "MYSQL_OPT_SSL_VERIFY_SERVER_CERT");
}

}  // namespace

std::string allowed_auth_plugins(SslMode mode) {
  std::string plugins = "mysql_native_password,client_ed25519";
  if (mode == SslMode::verify_ca || mode == SslMode::verify_identity) {
    plugins += ",caching_sha2_password,sha256_password";
  }
  return plugins;
}

ArmConnect::ArmConnect(const ConnectOptions& options) {
  t_armed = &options;
  t_applied = false;
}

ArmConnect::~ArmConnect() {
  t_armed = nullptr;
}

bool ArmConnect::applied() const {
  return t_applied;
}

}  // namespace engagementd

// The client library's mysql_real_connect, with the armed options set on the
// handle first. Defined in the program, this is the one libsoci_mysql's call
// binds to (the program's symbols come first); the library's own is found
// with RTLD_NEXT. Without armed options it is the library's, unchanged.
extern "C" MYSQL* STDCALL mysql_real_connect(MYSQL* mysql, const char* host, const char* user,
                                             const char* passwd, const char* db, unsigned int port,
                                             const char* unix_socket, unsigned long clientflag) {
  using Real = MYSQL* (*)(MYSQL*, const char*, const char*, const char*, const char*, unsigned int,
                          const char*, unsigned long);
  static const Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "mysql_real_connect"));
  if (real == nullptr) return nullptr;
  if (const engagementd::ConnectOptions* o = engagementd::t_armed) {
    try {
      engagementd::apply(mysql, *o);
    } catch (const std::exception&) {
      return nullptr;  // not applied: the caller finds applied() false
    }
    engagementd::t_applied = true;
  }
  return real(mysql, host, user, passwd, db, port, unix_socket, clientflag);
}
