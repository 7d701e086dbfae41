#pragma once

// The store's database connection, for the store's own code (the commands'
// queries, the doctor's inspection) and the tests that look underneath. It
// brings SOCI's header with it, so no layer above the store may include it
// (tests/support/check_layers.sh): they use Store's methods.

#include <soci/soci.h>

#include "store/store.hpp"

namespace engagementd {

soci::session& session_of(Store& store);

}  // namespace engagementd
