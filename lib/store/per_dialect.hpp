#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/database.hpp"

namespace engagementd {

// The one place a file of statements chooses its dialect: each such file
// holds one table of whole statements per database (MariaDB/MySQL and
// SQLite, as ISC Kea's backends each keep theirs), and the code that runs
// them names a statement, never the dialect.
template <class Statements>
const Statements& per_dialect(Backend backend, const Statements& mysql, const Statements& sqlite) {
  return backend == Backend::mysql ? mysql : sqlite;
}

// A statement whose object names vary (DDL, account statements: what
// cannot be a bound value), with each {name} in it replaced. Only names
// engagementd itself chose or quoted go in; values are always bound.
inline std::string with_names(
    std::string_view text, std::initializer_list<std::pair<std::string_view, std::string>> names) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : names) {
        if (text.compare(i, name.size(), name) == 0) {
          out += value;
          i += name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace engagementd
