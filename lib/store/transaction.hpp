#pragma once

#include <memory>

namespace soci {
class transaction;
}  // namespace soci

namespace engagementd {

class Store;

// A transaction on the store's connection for a command's reads and writes:
// begun by the constructor, rolled back by the destructor unless commit()
// ran (so a refused change, thrown, leaves nothing written).
class Transaction {
 public:
  explicit Transaction(Store& store);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  std::unique_ptr<soci::transaction> tx_;
};

}  // namespace engagementd
