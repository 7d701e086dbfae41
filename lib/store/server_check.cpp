#include "store/server_check.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace engagementd {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// `name`, 'name' or name, without its quotes.
std::string unquote(const std::string& s) {
  const std::string t = trim(s);
  if (t.size() >= 2 && (t.front() == '`' || t.front() == '\'' || t.front() == '"') &&
      t.back() == t.front()) {
    return t.substr(1, t.size() - 2);
  }
  return t;
}

// A database name pattern of a grant: % and _ are wildcards, \ escapes.
bool like(const std::string& pattern, std::size_t p, const std::string& text, std::size_t t) {
  while (p < pattern.size()) {
    const char c = pattern[p];
    if (c == '%') {
      for (std::size_t k = t; k <= text.size(); ++k) {
        if (like(pattern, p + 1, text, k)) return true;
      }
      return false;
    }
    if (t >= text.size()) return false;
    if (c == '\\' && p + 1 < pattern.size()) {
      if (pattern[p + 1] != text[t]) return false;
      p += 2;
    } else {
      if (c != '_' && c != text[t]) return false;
      ++p;
    }
    ++t;
  }
  return t == text.size();
}

// Splits at commas outside parentheses.
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.push_back(trim(cur));
  return out;
}

}  // namespace

const std::vector<std::string>& migrate_privileges() {
  // ALTER TABLE needs ALTER, CREATE and INSERT; the migrations also update
  // live_streams (stream keys) and create indexes and triggers.
  static const std::vector<std::string> privileges = {"SELECT", "INSERT", "UPDATE", "CREATE",
                                                      "ALTER",  "INDEX",  "TRIGGER"};
  return privileges;
}

bool is_mariadb(const ServerFacts& f) {
  return upper(f.version).find("MARIADB") != std::string::npos ||
         upper(f.version_comment).find("MARIADB") != std::string::npos;
}

std::pair<int, int> server_version(const ServerFacts& f) {
  const char* p = f.version.c_str();
  char* end = nullptr;
  const long major = std::strtol(p, &end, 10);
  if (end == p || *end != '.') return {0, 0};
  const char* q = end + 1;
  const long minor = std::strtol(q, &end, 10);
  if (end == q) return {0, 0};
  return {static_cast<int>(major), static_cast<int>(minor)};
}

bool holds(const ServerFacts& f, const std::string& privilege) {
  return f.privileges.count("ALL PRIVILEGES") > 0 || f.privileges.count(upper(privilege)) > 0;
}

std::string migrate_refusal(const ServerFacts& f, const MigrateNeeds& needs) {
  std::vector<std::string> why;
  const auto version = server_version(f);
  const std::string shown =
      f.version + (f.version_comment.empty() ? "" : " (" + f.version_comment + ")");
  if (is_mariadb(f)) {
    if (version < std::make_pair(10, 6)) {
      why.push_back("the server is MariaDB " + shown +
                    ": engagementd needs MariaDB 10.10 or later (10.6 at the very least, "
                    "and 10.10 for RANDOM_BYTES), or MySQL 8.0 or later");
    } else if (needs.random_bytes && version < std::make_pair(10, 10)) {
      why.push_back("the server is MariaDB " + shown +
                    ": the stream keys come from RANDOM_BYTES (the server's CSPRNG), which "
                    "MariaDB has from 10.10 on, and MariaDB before 10.10 has no function of "
                    "equal strength; upgrade to MariaDB 10.10 or later (or use MySQL 8.0 or "
                    "later)");
    }
  } else if (version < std::make_pair(8, 0)) {
    why.push_back("the server is " + shown +
                  ": engagementd needs MySQL 8.0 or later, or MariaDB 10.10 or later");
  }
  if (f.log_bin && (needs.random_bytes || needs.triggers) &&
      upper(f.binlog_format) == "STATEMENT") {
    why.push_back(
        "the binary log is on with binlog_format=STATEMENT: the stream_key trigger and the key "
        "updates call RANDOM_BYTES, so a replica replaying the statements would get other "
        "stream keys than this server; set binlog_format=MIXED or ROW (SET GLOBAL "
        "binlog_format='MIXED' and in the server's configuration), then run migrate again");
  }
  if ((f.log_bin || f.wsrep) && needs.triggers && !f.trust_function_creators &&
      !holds(f, "SUPER")) {
    why.push_back(
        std::string(f.log_bin ? "the binary log is on" : "this server is a Galera node") +
        " and this account lacks SUPER: creating triggers then needs "
        "log_bin_trust_function_creators=1 (SET GLOBAL log_bin_trust_function_creators = 1, "
        "and in the server's configuration), or run migrate as an account with SUPER");
  }
  std::string missing;
  for (const std::string& p : migrate_privileges()) {
    if (!holds(f, p)) missing += (missing.empty() ? "" : ", ") + p;
  }
  if (!missing.empty()) {
    why.push_back("this account lacks " + missing +
                  " on the database (global or database-level grants, or an enabled role's): "
                  "grant them, or run migrate as an administrator");
  }
  std::string out;
  for (const std::string& w : why) out += (out.empty() ? "" : "; ") + w;
  if (!out.empty()) out = "migrate refused, nothing was changed: " + out;
  return out;
}

void read_grant_line(const std::string& line, const std::string& db,
                     std::set<std::string>& privileges, std::vector<std::string>& roles) {
  const std::string u = upper(line);
  if (u.rfind("GRANT ", 0) != 0) return;
  const auto to = u.find(" TO ");
  if (to == std::string::npos) return;
  const auto on = u.find(" ON ");
  if (on == std::string::npos || on > to) {
    // GRANT role[, role] TO account: the roles granted.
    for (const std::string& r : split_list(line.substr(6, to - 6))) {
      const auto at = r.find('@');
      roles.push_back(at == std::string::npos ? unquote(r) : unquote(r.substr(0, at)));
    }
    return;
  }
  const std::string target = trim(line.substr(on + 4, to - on - 4));
  bool applies = false;
  if (target == "*.*") {
    applies = true;
  } else {
    const auto dot = target.rfind('.');
    if (dot != std::string::npos && target.substr(dot + 1) == "*") {
      applies = like(unquote(target.substr(0, dot)), 0, db, 0);
    }
  }
  if (!applies) return;
  for (const std::string& p : split_list(u.substr(6, on - 6))) {
    if (p.find('(') != std::string::npos) continue;  // column privileges
    privileges.insert(p == "ALL" ? "ALL PRIVILEGES" : p);
  }
}

}  // namespace engagementd
