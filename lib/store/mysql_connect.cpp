#include "store/mysql_connect.hpp"

#include <dlfcn.h>

#include <errmsg.h>
#include <mysql/plugin_auth.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "store/bulk_writer.hpp"
#include "store/transport.hpp"

namespace engagementd {
namespace {

thread_local const ConnectOptions* t_armed = nullptr;
thread_local bool t_applied = false;

void set_or_throw(MYSQL* m, mysql_option option, const void* value, const char* what) {
  if (mysql_optionsv(m, option, value) != 0) {
    throw std::runtime_error(std::string("the MySQL client library refuses the option ") + what);
  }
}

// caching_sha2_password and sha256_password send the password itself when
// the client library deems the connection secure, and over plain TCP
// encrypt it to an RSA key the server sends. The library's own test is not
// enough: with TLS asked for but not verified, a server (or anyone in the
// path) that leaves TLS out of its greeting gets a plain connection which
// the library still counts as secure, and the password in clear. So each
// method's entry point is wrapped, once per process: it runs only on a Unix
// socket or when TLS is asked for and the server offers it (the library
// then starts TLS before any authentication data leaves, or fails), and
// otherwise refuses before reading or writing a byte.
using Authenticate = int (*)(MYSQL_PLUGIN_VIO*, MYSQL*);

// An authentication plugin as the client library declares it
// (mysql/client_plugin.h, which Debian's libmariadb-dev ships without a
// header it includes): the common header, then the entry point.
struct AuthPlugin {
  MYSQL_CLIENT_PLUGIN_HEADER
  Authenticate authenticate_user;
};
constexpr int kAuthenticationPlugin = 2;  // MYSQL_CLIENT_AUTHENTICATION_PLUGIN
Authenticate g_caching_sha2 = nullptr;
Authenticate g_sha256 = nullptr;

bool secure_transport(MYSQL_PLUGIN_VIO* vio, MYSQL* m) {
  MYSQL_PLUGIN_VIO_INFO info{};
  vio->info(vio, &info);
  if (info.protocol == MYSQL_PLUGIN_VIO_INFO::MYSQL_VIO_SOCKET) return true;
  return m->options.use_ssl != 0 && (m->server_capabilities & CLIENT_SSL) != 0;
}

int refuse(MYSQL* m, const char* method) {
  m->net.last_errno = CR_AUTH_PLUGIN_ERR;
  std::snprintf(m->net.sqlstate, sizeof m->net.sqlstate, "HY000");
  std::snprintf(m->net.last_error, sizeof m->net.last_error,
                "the account's authentication method %s sends the password: refused on a "
                "connection that is neither TLS nor a Unix socket (set database.ssl_mode, or "
                "connect through database.socket)",
                method);
  return CR_ERROR;
}

int guarded_caching_sha2(MYSQL_PLUGIN_VIO* vio, MYSQL* m) {
  if (!secure_transport(vio, m)) return refuse(m, "caching_sha2_password");
  return g_caching_sha2(vio, m);
}

int guarded_sha256(MYSQL_PLUGIN_VIO* vio, MYSQL* m) {
  if (!secure_transport(vio, m)) return refuse(m, "sha256_password");
  return g_sha256(vio, m);
}

void guard(MYSQL* m, const char* name, Authenticate& original, Authenticate wrapper) {
  auto* plugin =
      reinterpret_cast<AuthPlugin*>(mysql_client_find_plugin(m, name, kAuthenticationPlugin));
  // Not found: the library cannot use that method either.
  if (plugin == nullptr || plugin->authenticate_user == wrapper) return;
  original = plugin->authenticate_user;
  plugin->authenticate_user = wrapper;
}

void guard_password_methods(MYSQL* m) {
  static std::once_flag once;
  std::call_once(once, [m] {
    guard(m, "caching_sha2_password", g_caching_sha2, &guarded_caching_sha2);
    guard(m, "sha256_password", g_sha256, &guarded_sha256);
    // A method not found leaves its error on the handle; the connection
    // attempt that follows sets its own.
    m->net.last_errno = 0;
    m->net.last_error[0] = '\0';
  });
}

void apply(MYSQL* m, const ConnectOptions& o) {
  guard_password_methods(m);
  const std::string plugins = allowed_auth_plugins(o.ssl_mode, o.unix_socket);
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

std::string allowed_auth_plugins(SslMode mode, bool unix_socket) {
  std::string plugins = "mysql_native_password,client_ed25519";
  // These send the password itself where the client library deems the
  // connection secure (TLS, a Unix socket), and over plain TCP encrypt it
  // to a public key the server sends, which a man in the middle can swap
  // for its own: so never over plain TCP.
  if (mode != SslMode::disabled || unix_socket) {
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

namespace {

std::string quote_option(const std::string& value, const char* what) {
  if (value.find('\'') == std::string::npos) return "'" + value + "'";
  if (value.find('"') == std::string::npos) return "\"" + value + "\"";
  throw std::runtime_error(std::string("the database ") + what +
                           " contains both ' and \" characters, which the MySQL client "
                           "connection string cannot carry");
}

// A timeout in whole seconds, rounded up, at least 1 (the client library's unit).
long long whole_seconds_up(std::chrono::milliseconds d) {
  return std::max<long long>(1, static_cast<long long>((d.count() + 999) / 1000));
}

// Without the password: SOCI keeps the connection string for the session's
// life (to reconnect), so the password goes to mysql_real_connect through
// the armed options instead (see below).
std::string mysql_connection_string(const DatabaseConfig& db, const Transport& transport) {
  std::string s = "db=" + quote_option(db.name, "name");
  if (!db.user.empty()) s += " user=" + quote_option(db.user, "user");
  if (!db.socket.empty()) {
    s += " unix_socket=" + quote_option(db.socket, "socket");
  } else {
    s += " host=" + quote_option(transport.connect_host, "host") +
         " port=" + std::to_string(db.port);
  }
  s += " charset=utf8mb4";
  s += " connect_timeout=" + std::to_string(whole_seconds_up(db.connect_timeout));
  s += " read_timeout=" + std::to_string(whole_seconds_up(db.read_timeout));
  s += " write_timeout=" + std::to_string(whole_seconds_up(db.write_timeout));
  // Lets the client library answer LOAD DATA LOCAL INFILE; Store::open
  // installs a handler that serves only the tick's own rows.
  if (db.local_infile) s += " local_infile=1";
  return s;
}

}  // namespace

std::unique_ptr<soci::session> connect_mysql(const DatabaseConfig& db, const std::string& password,
                                             InfileSource* infile) {
  auto sql = std::make_unique<soci::session>();
  // Set before the connection is made: TLS as configured, only
  // authentication methods that never send the password in clear, and the
  // LOAD DATA LOCAL handler, so that from the connection's first statement
  // on (SOCI's own SET NAMES included) a request for a local file gets the
  // tick's own rows or a refusal, never the client library's default
  // (reading the file).
  const Transport transport = decide_transport(db);
  ConnectOptions options;
  options.ssl_mode = transport.ssl_mode;
  options.unix_socket = transport.unix_socket;
  options.password = password.empty() ? nullptr : password.c_str();
  options.ssl_ca = db.ssl_ca;
  options.ssl_cert = db.ssl_cert;
  options.ssl_key = db.ssl_key;
  if (infile != nullptr) {
    options.infile_init = &InfileSource::init;
    options.infile_read = &InfileSource::read;
    options.infile_end = &InfileSource::end;
    options.infile_error = &InfileSource::error_text;
    options.infile_data = infile;
  }
  {
    ArmConnect arm(options);
    try {
      sql->open(soci::mysql, mysql_connection_string(db, transport));
    } catch (const soci::soci_error&) {
      if (!arm.applied()) {
        throw std::runtime_error("cannot connect to " + describe(db) +
                                 ": the MySQL client library did not take the connection's "
                                 "TLS and authentication options");
      }
      throw;
    }
    if (!arm.applied()) {
      throw std::runtime_error("cannot connect to " + describe(db) +
                               ": the connection was made without its TLS and "
                               "authentication options");
    }
  }
  if (options.ssl_mode != SslMode::disabled) {
    std::string name, cipher;
    *sql << "SHOW SESSION STATUS LIKE 'Ssl_cipher'", soci::into(name), soci::into(cipher);
    if (cipher.empty()) {
      throw std::runtime_error("cannot connect to " + describe(db) + ": database.ssl_mode " +
                               ssl_mode_name(options.ssl_mode) + " (" + transport.reason +
                               ") but the connection is not encrypted");
    }
  }
  return sql;
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
  const engagementd::ConnectOptions* o = engagementd::t_armed;
  if (o == nullptr) return real(mysql, host, user, passwd, db, port, unix_socket, clientflag);
  try {
    engagementd::apply(mysql, *o);
  } catch (const std::exception&) {
    return nullptr;  // not applied: the caller finds applied() false
  }
  engagementd::t_applied = true;
  // The password comes from the armed options, never from SOCI's
  // connection string (which SOCI keeps); the library keeps its own copy
  // for the connection's life (for a reconnect or a change of user, which
  // the daemon never asks for), wiped here once the login is done.
  MYSQL* const connected = real(mysql, host, user, o->password, db, port, unix_socket, clientflag);
  if (connected != nullptr && connected->passwd != nullptr) {
    ::explicit_bzero(connected->passwd, std::strlen(connected->passwd));
  }
  return connected;
}
