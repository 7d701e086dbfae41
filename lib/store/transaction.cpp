#include "store/transaction.hpp"

#include <soci/soci.h>

#include "store/session.hpp"
#include "store/store.hpp"

namespace engagementd {

Transaction::Transaction(Store& store)
    : tx_(std::make_unique<soci::transaction>(session_of(store))) {}

// soci::transaction's destructor rolls back an uncommitted transaction and
// swallows the error of a rollback on a lost connection.
Transaction::~Transaction() = default;

void Transaction::commit() {
  tx_->commit();
}

}  // namespace engagementd
