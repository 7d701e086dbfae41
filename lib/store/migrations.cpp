#include "store/migrations.hpp"

#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace engagementd {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "table.column" of a directive.
std::pair<std::string, std::string> table_column(const std::string& target, const Migration& m,
                                                 const std::string& line) {
  const auto dot = target.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == target.size()) {
    throw std::runtime_error(m.name + ": bad directive '" + line + "' (want table.column)");
  }
  return {target.substr(0, dot), target.substr(dot + 1)};
}

Migration parse_one(const MigrationFile& file) {
  using Condition = MigrationStatement::Condition;
  Migration m;
  m.name = file.name;
  m.version = std::stoi(m.name.substr(0, 3));
  std::istringstream in(file.sql);
  std::string line;
  MigrationStatement current;
  const auto directive = [](const std::string& t, const char* name, std::string& arg) {
    const std::string prefix = std::string("-- ") + name + ":";
    if (t.rfind(prefix, 0) != 0) return false;
    arg = trim(t.substr(prefix.size()));
    return true;
  };
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    std::string arg;
    if (directive(t, "if-missing-column", arg)) {
      const auto [table, column] = table_column(arg, m, t);
      current.guards.push_back({Condition::missing_column, table, column});
      continue;
    }
    if (directive(t, "if-no-unique-index", arg)) {
      const auto [table, column] = table_column(arg, m, t);
      current.guards.push_back({Condition::no_unique_index, table, column});
      continue;
    }
    if (directive(t, "if-missing-index", arg)) {
      const auto [table, index] = table_column(arg, m, t);
      current.guards.push_back({Condition::missing_index, table, index});
      continue;
    }
    if (directive(t, "if-table", arg)) {
      if (arg.empty() || arg.find_first_of(" .") != std::string::npos) {
        throw std::runtime_error(m.name + ": bad directive '" + t + "' (want a table name)");
      }
      current.guards.push_back({Condition::table_exists, arg, {}});
      continue;
    }
    if (directive(t, "widen-decimal", arg)) {
      if (!current.guards.empty() || !current.sql.empty()) {
        throw std::runtime_error(m.name + ": '" + t +
                                 "' stands between a directive or statement and its end");
      }
      MigrationStatement widen;
      widen.widen_decimal = true;
      const auto space = arg.find(' ');
      const auto comma = arg.find(',', space == std::string::npos ? 0 : space);
      if (space == std::string::npos || comma == std::string::npos) {
        throw std::runtime_error(m.name + ": bad directive '" + t + "' (want table.column P,S)");
      }
      std::tie(widen.table, widen.column) = table_column(arg.substr(0, space), m, t);
      try {
        widen.precision = std::stoi(arg.substr(space + 1, comma - space - 1));
        widen.scale = std::stoi(arg.substr(comma + 1));
      } catch (const std::exception&) {
        throw std::runtime_error(m.name + ": bad directive '" + t + "' (want table.column P,S)");
      }
      if (widen.precision < 1 || widen.precision > 65 || widen.scale < 0 ||
          widen.scale > widen.precision) {
        throw std::runtime_error(m.name + ": bad directive '" + t + "' (P,S out of range)");
      }
      m.statements.push_back(std::move(widen));
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
  if (!current.guards.empty()) {
    throw std::runtime_error(m.name + ": a directive at the end applies to no statement");
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
