#include "service/config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/duration.hpp"
#include "core/settings.hpp"

namespace engagementd {
namespace {

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  std::string where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return source_;
    return source_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  void problem(const YAML::Node& n, const std::string& key, const std::string& what) {
    problems_.push_back(where(n) + ": " + key + ": " + what);
  }

  // Walks a mapping; each known key's handler gets the value node. Unknown
  // keys are errors: a typo must not silently fall back to a default.
  void section(
      const YAML::Node& node, const std::string& prefix,
      const std::map<std::string, std::function<void(const YAML::Node&, const std::string&)>>&
          handlers) {
    // A section whose keys are all commented out is empty, not wrong.
    if (node.IsNull() && !prefix.empty()) return;
    if (!node.IsMap()) {
      problem(node, prefix.empty() ? "(top level)" : prefix, "expected a mapping of keys");
      return;
    }
    check_table(prefix, handlers);
    std::set<std::string> seen;
    for (const auto& item : node) {
      const YAML::Node& key_node = item.first;
      const std::string key = key_node.IsScalar() ? key_node.Scalar() : "?";
      const std::string full = prefix.empty() ? key : prefix + "." + key;
      if (!seen.insert(key).second) {
        problem(key_node, full, "given twice (a YAML key may appear once per section)");
        continue;
      }
      const auto h = handlers.find(key);
      if (h == handlers.end()) {
        std::string known;
        for (const auto& [name, _] : handlers) known += (known.empty() ? "" : ", ") + name;
        problem(key_node, full, "unknown key (known here: " + known + ")");
        continue;
      }
      h->second(item.second, full);
    }
  }

  // A section's keys are the settings table's (core/settings.hpp), no more,
  // no fewer: the parser and the table cannot drift apart.
  template <typename Handlers>
  static void check_table(const std::string& prefix, const Handlers& handlers) {
    if (prefix.empty()) return;
    std::size_t in_table = 0;
    for (const SettingSpec& s : kSettings) {
      if (s.path.rfind(prefix + ".", 0) == 0) ++in_table;
    }
    std::size_t known = 0;
    for (const auto& [name, _] : handlers) {
      // database.password: known, to be refused with a reason.
      if (prefix + "." + name == "database.password") continue;
      if (!is_setting(prefix + "." + name)) {
        throw std::logic_error("setting " + prefix + "." + name + " is not in the settings table");
      }
      ++known;
    }
    if (known != in_table) {
      throw std::logic_error("section " + prefix + " has settings the parser does not read");
    }
  }

  bool scalar(const YAML::Node& n, const std::string& key) {
    if (n.IsScalar()) return true;
    problem(n, key, "expected a single value");
    return false;
  }

  void string_value(const YAML::Node& n, const std::string& key, std::string& out,
                    bool allow_empty = false) {
    if (!scalar(n, key)) return;
    if (!allow_empty && n.Scalar().empty()) {
      problem(n, key, "must not be empty");
      return;
    }
    out = n.Scalar();
  }

  // A file the daemon must be able to read (certificates, keys).
  void readable_file(const YAML::Node& n, const std::string& key, const std::string& path) {
    if (!path.empty() && ::access(path.c_str(), R_OK) != 0) {
      problem(n, key, "cannot read '" + path + "': " + std::strerror(errno));
    }
  }

  void duration_value(const YAML::Node& n, const std::string& key, std::chrono::milliseconds& out,
                      std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
    if (!scalar(n, key)) return;
    try {
      const auto d = parse_duration(n.Scalar());
      if (d < lo || d > hi) {
        problem(
            n, key,
            "'" + n.Scalar() + "' is outside " + format_duration(lo) + ".." + format_duration(hi));
        return;
      }
      out = d;
    } catch (const std::invalid_argument& e) {
      problem(n, key, e.what());
    }
  }

  void bool_value(const YAML::Node& n, const std::string& key, bool& out) {
    if (!scalar(n, key)) return;
    const std::string& s = n.Scalar();
    if (s == "true" || s == "yes" || s == "on") {
      out = true;
    } else if (s == "false" || s == "no" || s == "off") {
      out = false;
    } else {
      problem(n, key, "'" + s + "' is not true or false");
    }
  }

  template <typename T>
  void integer_value(const YAML::Node& n, const std::string& key, T& out, T lo, T hi) {
    if (!scalar(n, key)) return;
    const std::string& s = n.Scalar();
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || s[0] == '+' || *end != '\0' || errno == ERANGE ||
        v < static_cast<unsigned long long>(lo) || v > static_cast<unsigned long long>(hi)) {
      problem(
          n, key,
          "'" + s + "' is not a whole number in " + std::to_string(lo) + ".." + std::to_string(hi));
      return;
    }
    out = static_cast<T>(v);
  }

  // A duration or whole-number setting, its range from the settings table.
  void duration_setting(const YAML::Node& n, const std::string& key,
                        std::chrono::milliseconds& out) {
    const SettingSpec& s = setting(key);
    duration_value(n, key, out, std::chrono::milliseconds(s.min), std::chrono::milliseconds(s.max));
  }
  template <typename T>
  void whole_setting(const YAML::Node& n, const std::string& key, T& out) {
    const SettingSpec& s = setting(key);
    integer_value(n, key, out, static_cast<T>(s.min), static_cast<T>(s.max));
  }

  Config parse(const YAML::Node& root) {
    Config c;
    c.source = source_;
    if (root.IsNull()) {
      problems_.push_back(source_ +
                          ": the file is empty; expected the database, tick, "
                          "simulation and log sections");
      return c;
    }
    Marks marks;
    section(root, "",
            {{"database", [&](const YAML::Node& n, const std::string& p) {
                marks.has_database = true;
                database(n, p, c.database);
              }},
             {"tick", [&](const YAML::Node& n, const std::string& p) { tick(n, p, c); }},
             {"simulation",
              [&](const YAML::Node& n, const std::string& p) { simulation(n, p, c); }},
             {"leadership",
              [&](const YAML::Node& n, const std::string& p) { leadership(n, p, c, marks); }},
             {"shard", [&](const YAML::Node& n, const std::string& p) { shard(n, p, c, marks); }},
             {"metrics",
              [&](const YAML::Node& n, const std::string& p) { metrics(n, p, c.metrics); }},
             {"log", [&](const YAML::Node& n, const std::string& p) { log(n, p, c); }}});
    across_sections(root, c, marks);
    return c;
  }

 private:
  // Where the settings checked across sections were given.
  struct Marks {
    bool has_database = false;
    YAML::Node lease_node;
    YAML::Node shard_index_node;
    bool has_shard_index = false;
  };

  void database(const YAML::Node& n, const std::string& p, DatabaseConfig& db) {
    if (n.IsNull()) {
      problem(n, p, "empty; expected backend, name, ... (or backend and path for sqlite3)");
      return;
    }
    YAML::Node ssl_node;
    bool has_ssl_node = false;
    const auto text = [&](std::string& out) {
      return [&](const YAML::Node& v, const std::string& k) { string_value(v, k, out); };
    };
    const auto pem = [&](std::string& out) {
      return [&](const YAML::Node& v, const std::string& k) {
        string_value(v, k, out);
        readable_file(v, k, out);
      };
    };
    const auto duration = [&](std::chrono::milliseconds& out) {
      return [&](const YAML::Node& v, const std::string& k) { duration_setting(v, k, out); };
    };
    section(n, p,
            {{"backend",
              [&](const YAML::Node& v, const std::string& k) {
                if (!scalar(v, k)) return;
                if (v.Scalar() == "mysql" || v.Scalar() == "mariadb") {
                  db.backend = Backend::mysql;
                } else if (v.Scalar() == "sqlite3" || v.Scalar() == "sqlite") {
                  db.backend = Backend::sqlite3;
                } else {
                  problem(v, k, "'" + v.Scalar() + "' is not mysql or sqlite3");
                }
              }},
             {"host", text(db.host)},
             {"socket", text(db.socket)},
             {"port", [&](const YAML::Node& v, const std::string& k) { whole_setting(v, k, db.port); }},
             {"name", text(db.name)},
             {"user", text(db.user)},
             {"password",
              [&](const YAML::Node& v, const std::string& k) {
                problem(v, k,
                        "passwords are not read from this file; put it in a file "
                        "readable only by the daemon and set password_file");
              }},
             {"password_file", text(db.password_file)},
             {"password_credential",
              [&](const YAML::Node& v, const std::string& k) {
                string_value(v, k, db.password_credential);
                if (db.password_credential.find('/') != std::string::npos) {
                  problem(v, k, "a credential name, not a path");
                }
              }},
             {"path", text(db.path)},
             {"connect_timeout", duration(db.connect_timeout)},
             {"read_timeout", duration(db.read_timeout)},
             {"write_timeout", duration(db.write_timeout)},
             {"reconnect_max", duration(db.reconnect_max)},
             {"local_infile", [&](const YAML::Node& v,
                                  const std::string& k) { bool_value(v, k, db.local_infile); }},
             {"ssl_mode",
              [&](const YAML::Node& v, const std::string& k) {
                if (!scalar(v, k)) return;
                ssl_node = v;
                has_ssl_node = true;
                ssl_mode_value(v, k, db.ssl_mode);
              }},
             {"ssl_ca", pem(db.ssl_ca)},
             {"ssl_cert", pem(db.ssl_cert)},
             {"ssl_key", pem(db.ssl_key)}});
    if (!n.IsMap()) return;
    if (db.backend == Backend::mysql) tls_together(n, p, db, has_ssl_node ? ssl_node : n);
    if (db.backend == Backend::sqlite3 && db.path.empty()) {
      problem(n, p, "backend sqlite3 needs path");
    }
    if (db.backend == Backend::mysql && db.name.empty()) {
      problem(n, p, "backend mysql needs name (the database)");
    }
  }

  void ssl_mode_value(const YAML::Node& v, const std::string& k, SslMode& out) {
    const std::string m = v.Scalar();
    if (m == "disabled") {
      out = SslMode::disabled;
    } else if (m == "required") {
      out = SslMode::required;
    } else if (m == "verify_ca") {
      out = SslMode::verify_ca;
    } else if (m == "verify_identity") {
      out = SslMode::verify_identity;
    } else {
      problem(v, k, "'" + m + "' is not disabled, required, verify_ca or verify_identity");
    }
  }

  // The TLS settings that go together (ssl_node: where ssl_mode was given,
  // or the section).
  void tls_together(const YAML::Node& n, const std::string& p, const DatabaseConfig& db,
                    const YAML::Node& ssl_node) {
    // Unset, the mode is never a verifying one without ssl_ca.
    const SslMode mode = db.ssl_mode;
    if ((mode == SslMode::verify_ca || mode == SslMode::verify_identity) && db.ssl_ca.empty()) {
      problem(ssl_node, p + ".ssl_mode",
              std::string(ssl_mode_name(mode)) + " needs ssl_ca (the CA's PEM file)");
    }
    if (db.ssl_cert.empty() != db.ssl_key.empty()) {
      problem(n, p, "ssl_cert and ssl_key go together");
    }
    if (db.ssl_mode == SslMode::disabled && (!db.ssl_ca.empty() || !db.ssl_cert.empty())) {
      problem(ssl_node, p + ".ssl_mode", "disabled, but ssl_ca/ssl_cert are set: choose one");
    }
  }

  void tick(const YAML::Node& n, const std::string& p, Config& c) {
    section(n, p,
            {{"interval", [&](const YAML::Node& v,
                              const std::string& k) { duration_setting(v, k, c.tick_interval); }},
             {"max_catchup", [&](const YAML::Node& v,
                                 const std::string& k) { duration_setting(v, k, c.max_catchup); }},
             {"cache", [&](const YAML::Node& v,
                           const std::string& k) { bool_value(v, k, c.tick_cache); }}});
  }

  void simulation(const YAML::Node& n, const std::string& p, Config& c) {
    section(n, p,
            {{"enabled", [&](const YAML::Node& v,
                             const std::string& k) { bool_value(v, k, c.simulation_enabled); }},
             {"real_viewer_ttl",
              [&](const YAML::Node& v, const std::string& k) {
                duration_setting(v, k, c.real_viewer_ttl);
              }},
             {"real_viewer_sweep",
              [&](const YAML::Node& v, const std::string& k) {
                std::chrono::milliseconds sweep{0};
                const auto before = problems_.size();
                duration_setting(v, k, sweep);
                if (problems_.size() == before) c.real_viewer_sweep = sweep;
              }},
             {"watch_time", [&](const YAML::Node& v,
                                const std::string& k) { duration_setting(v, k, c.watch_time); }},
             {"seed", [&](const YAML::Node& v, const std::string& k) {
                std::uint64_t seed = 0;
                const auto before = problems_.size();
                integer_value<std::uint64_t>(v, k, seed, 0, UINT64_MAX);
                if (problems_.size() == before) c.seed = seed;
              }}});
  }

  void leadership(const YAML::Node& n, const std::string& p, Config& c, Marks& marks) {
    section(n, p, {{"lease", [&](const YAML::Node& v, const std::string& k) {
                      std::chrono::milliseconds lease{0};
                      const auto before = problems_.size();
                      duration_setting(v, k, lease);
                      if (problems_.size() == before) {
                        c.lease = lease;
                        marks.lease_node = v;
                      }
                    }}});
  }

  void shard(const YAML::Node& n, const std::string& p, Config& c, Marks& marks) {
    section(n, p,
            {{"index",
              [&](const YAML::Node& v, const std::string& k) {
                marks.shard_index_node = v;
                marks.has_shard_index = true;
                // auto: claim free shards (tick/shard_pool.hpp).
                if (v.IsScalar() && v.Scalar() == "auto") {
                  c.shard.automatic = true;
                } else {
                  whole_setting(v, k, c.shard.index);
                }
              }},
             {"count", [&](const YAML::Node& v,
                           const std::string& k) { whole_setting(v, k, c.shard.count); }}});
  }

  void metrics(const YAML::Node& n, const std::string& p, MetricsConfig& m) {
    section(n, p,
            {{"enabled",
              [&](const YAML::Node& v, const std::string& k) { bool_value(v, k, m.enabled); }},
             {"listen",
              [&](const YAML::Node& v, const std::string& k) {
                if (!scalar(v, k)) return;
                boost::system::error_code ec;
                boost::asio::ip::make_address(v.Scalar(), ec);
                if (ec) {
                  problem(v, k,
                          "'" + v.Scalar() +
                              "' is not an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0)");
                  return;
                }
                m.listen = v.Scalar();
              }},
             {"port",
              [&](const YAML::Node& v, const std::string& k) { whole_setting(v, k, m.port); }}});
  }

  void log(const YAML::Node& n, const std::string& p, Config& c) {
    section(n, p, {{"level", [&](const YAML::Node& v, const std::string& k) {
                      if (!scalar(v, k)) return;
                      if (const auto level = parse_log_level(v.Scalar())) {
                        c.log_level = *level;
                      } else {
                        problem(v, k,
                                "'" + v.Scalar() +
                                    "' is not one of debug, info, notice, warning, error");
                      }
                    }}});
  }

  // What is checked across sections, once each is read.
  void across_sections(const YAML::Node& root, Config& c, const Marks& marks) {
    if (root.IsMap() && !marks.has_database) {
      problems_.push_back(source_ + ": database: missing section (backend, name, ...)");
    }
    if (c.max_catchup < c.tick_interval && problems_.empty()) {
      problems_.push_back(source_ + ": tick.max_catchup: " + format_duration(c.max_catchup) +
                          " is shorter than tick.interval " + format_duration(c.tick_interval));
    }
    if (c.lease && *c.lease < 2 * c.tick_interval && problems_.empty()) {
      problem(marks.lease_node, "leadership.lease",
              format_duration(*c.lease) + " is shorter than two ticks (tick.interval " +
                  format_duration(c.tick_interval) + "): the lease would expire between renewals");
    }
    // shard.count alone: the instances share the shards by themselves.
    if (!marks.has_shard_index && c.shard.count > 1) c.shard.automatic = true;
    if (!c.shard.automatic && c.shard.index >= c.shard.count && problems_.empty()) {
      problem(marks.shard_index_node, "shard.index",
              std::to_string(c.shard.index) + " is not below shard.count " +
                  std::to_string(c.shard.count) + " (shards are numbered 0..count-1)");
    }
  }

 public:
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::string source_;
  std::vector<std::string> problems_;
};

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)) {}

Config parse_config(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    // yaml-cpp may quote bytes of the file: keep the message printable.
    std::string msg;
    for (const char ch : e.msg) {
      const auto u = static_cast<unsigned char>(ch);
      if (u >= 0x20 && u < 0x7f) {
        msg += ch;
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", u);
        msg += hex;
      }
    }
    throw ConfigError({where + ": YAML syntax: " + msg});
  }
  Parser parser(source);
  Config c = parser.parse(root);
  if (!parser.problems().empty()) throw ConfigError(parser.problems());
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({path + ": cannot open: " + std::strerror(errno)});
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

namespace {

// The file the password comes from: the named systemd credential when the
// config names one and systemd passes credentials, else password_file.
std::string password_path(const DatabaseConfig& db) {
  if (!db.password_credential.empty()) {
    if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
      return std::string(dir) + "/" + db.password_credential;
    }
  }
  return db.password_file;
}

}  // namespace

std::string password_source(const DatabaseConfig& db) {
  const std::string path = password_path(db);
  if (path.empty()) return "no password";
  if (path != db.password_file || db.password_file.empty()) {
    return "the systemd credential " + db.password_credential;
  }
  return "password_file " + path;
}

Secret read_password(const DatabaseConfig& db) {
  Secret pw;
  const std::string file = password_path(db);
  if (file.empty()) return pw;
  // Read straight into the secret's own buffer: no stream buffer keeps a
  // copy of the bytes after this.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error("cannot read the database password file " + file + ": " +
                             std::strerror(errno));
  }
  std::string& text = pw.buffer();
  text.resize(Secret::kBufferBytes);
  std::size_t have = 0;
  while (have < text.size()) {
    const ssize_t n = ::read(fd, text.data() + have, text.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot read the database password file " + file + ": " +
                               std::strerror(err));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (have < text.size()) {
    while (have > 0 && (text[have - 1] == '\n' || text[have - 1] == '\r')) --have;
  }
  if (have > Secret::kMaxBytes) {
    throw std::runtime_error("the database password file " + file + " holds more than " +
                             std::to_string(Secret::kMaxBytes) +
                             " bytes: it is not a password file");
  }
  // Shrinking within the reserved buffer: the bytes past the end stay in
  // it and are wiped with it.
  text.resize(have);
  return pw;
}

std::chrono::milliseconds real_viewer_sweep_for(const Config& c) {
  if (c.real_viewer_sweep) return *c.real_viewer_sweep;
  return std::max<std::chrono::milliseconds>(std::chrono::seconds(1), c.real_viewer_ttl / 4);
}

std::chrono::milliseconds lease_for(const Config& c) {
  if (c.lease) return *c.lease;
  return std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(setting_ms("leadership.lease")), 3 * c.tick_interval);
}

std::vector<std::string> permission_warnings(const Config& c) {
  std::vector<std::string> out;
  auto mode_text = [](mode_t m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
    return std::string(buf);
  };
  struct stat st {};
  if (!c.source.empty() && ::stat(c.source.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0) {
    out.push_back("the config file " + c.source + " is writable by every user (mode " +
                  mode_text(st.st_mode) + "); run: chmod o-w " + c.source);
  }
  // systemd's copy of a credential is private to the service.
  const std::string pw =
      password_path(c.database) == c.database.password_file ? c.database.password_file : "";
  if (!pw.empty() && ::stat(pw.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
    out.push_back("the database password file " + pw + " is readable by every user (mode " +
                  mode_text(st.st_mode) + "); run: chmod o-r " + pw);
  }
  return out;
}

std::vector<std::string> restart_needed(const Config& a, const Config& b) {
  std::vector<std::string> keys;
  const DatabaseConfig& x = a.database;
  const DatabaseConfig& y = b.database;
  const auto differs = [&](bool changed, const char* key) {
    if (changed) keys.emplace_back(key);
  };
  differs(x.backend != y.backend, "database.backend");
  differs(x.host != y.host, "database.host");
  differs(x.socket != y.socket, "database.socket");
  differs(x.port != y.port, "database.port");
  differs(x.name != y.name, "database.name");
  differs(x.user != y.user, "database.user");
  differs(x.password_file != y.password_file, "database.password_file");
  differs(x.password_credential != y.password_credential, "database.password_credential");
  differs(x.path != y.path, "database.path");
  differs(x.connect_timeout != y.connect_timeout, "database.connect_timeout");
  differs(x.read_timeout != y.read_timeout, "database.read_timeout");
  differs(x.write_timeout != y.write_timeout, "database.write_timeout");
  differs(x.local_infile != y.local_infile, "database.local_infile");
  differs(x.ssl_mode != y.ssl_mode, "database.ssl_mode");
  differs(x.ssl_ca != y.ssl_ca, "database.ssl_ca");
  differs(x.ssl_cert != y.ssl_cert, "database.ssl_cert");
  differs(x.ssl_key != y.ssl_key, "database.ssl_key");
  differs(a.seed != b.seed, "simulation.seed");
  differs(a.metrics.enabled != b.metrics.enabled, "metrics.enabled");
  differs(a.metrics.listen != b.metrics.listen, "metrics.listen");
  differs(a.metrics.port != b.metrics.port, "metrics.port");
  differs(a.shard.index != b.shard.index || a.shard.automatic != b.shard.automatic, "shard.index");
  differs(a.shard.count != b.shard.count, "shard.count");
  return keys;
}

std::vector<std::string> setting_warnings(const Config& c) {
  std::vector<std::string> out;
  if (c.real_viewer_ttl < 2 * kKitPollMax) {
    out.push_back("simulation.real_viewer_ttl is " + format_duration(c.real_viewer_ttl) +
                  ", below twice the PHP kit's poll interval (its pages poll every 5 to " +
                  std::to_string(kKitPollMax.count()) +
                  " s): a real viewer whose poll comes late drops out of the count between "
                  "polls; use at least " +
                  std::to_string(2 * kKitPollMax.count()) + "s (the default is 60s)");
  }
  return out;
}

}  // namespace engagementd
