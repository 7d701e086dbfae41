#pragma once

#include <string>
#include <vector>

#include "store/store.hpp"

namespace engagementd {

// Everything engagementd created in the site's database, in the order it is
// removed: triggers first (so the site's writes never meet a trigger whose
// table is gone), then its tables, then the columns and indexes it added to
// the site's tables. What it does not own is left alone.
struct UninstallPlan {
  struct Step {
    std::string sql;
    std::string what;  // for the operator
  };
  std::vector<Step> steps;
  // Tables holding data that dropping loses (the summary, the audit trail):
  // name and rows.
  std::vector<std::pair<std::string, long long>> data;
  // What removing an object brings back on the site, said before it goes.
  std::vector<std::string> consequences;
};

UninstallPlan plan_uninstall(Store& store);
// Runs the plan's steps in order; returns the steps done.
std::size_t run_uninstall(Store& store, const UninstallPlan& plan);

}  // namespace engagementd
