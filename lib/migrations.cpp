#include "migrations.hpp"

#include <sstream>
#include <stdexcept>

namespace engagementd {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

Migration parse_one(const MigrationFile& file) {
  Migration m;
  m.name = file.name;
  m.version = std::stoi(m.name.substr(0, 3));
  std::istringstream in(file.sql);
  std::string line;
  MigrationStatement current;
  const std::string directive = "-- if-missing-column:";
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.rfind(directive, 0) == 0) {
      const std::string target = trim(t.substr(directive.size()));
      const auto dot = target.find('.');
      if (dot == std::string::npos) {
        throw std::runtime_error(m.name + ": bad directive '" + t + "' (want table.column)");
      }
      current.if_missing_table = target.substr(0, dot);
      current.if_missing_column = target.substr(dot + 1);
      continue;
    }
    if (t.empty() || t.rfind("--", 0) == 0) continue;
    if (!current.sql.empty()) current.sql += '\n';
    current.sql += line;
    if (t.back() == ';') {
      current.sql = trim(current.sql);
      current.sql.pop_back();  // the client API takes one statement without ';'
      m.statements.push_back(std::move(current));
      current = MigrationStatement{};
    }
  }
  if (!trim(current.sql).empty()) {
    throw std::runtime_error(m.name + ": the last statement does not end with ';'");
  }
  return m;
}

}  // namespace

std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files) {
  std::vector<Migration> out;
  for (const auto& f : files) {
    out.push_back(parse_one(f));
    if (out.back().version != static_cast<int>(out.size())) {
      throw std::runtime_error(std::string(f.name) + ": migrations must be numbered 001, 002, ...");
    }
  }
  return out;
}

}  // namespace engagementd
