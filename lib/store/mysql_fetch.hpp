#pragma once

// Reads by prepared statements in MariaDB/MySQL's binary protocol on the
// connection a store's SOCI session holds: whole numbers arrive as 64-bit
// integers (no text to parse), for the tick's hot reads. Everything else
// runs through SOCI. Internal to lib/store/.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/live_rows.hpp"

struct st_mysql;
struct st_mysql_stmt;
struct st_mysql_bind;

namespace engagementd {

// One prepared statement, its result read a row at a time (unbuffered: the
// result is read whole, or dropped by finish(), before the connection runs
// anything else). Placeholders are written :name in the text, as for SOCI;
// each is bound to the next value given to execute(). Errors throw
// soci::mysql_soci_error with the server's or the client's error number, as
// SOCI's statements do.
class MysqlStatement {
 public:
  MysqlStatement(st_mysql* conn, const std::string& text, std::vector<FetchAs> columns);
  ~MysqlStatement();
  MysqlStatement(const MysqlStatement&) = delete;
  MysqlStatement& operator=(const MysqlStatement&) = delete;

  // Runs it with these values for its placeholders, in order.
  void execute(const std::vector<long long>& params);
  // The next row; false after the last one (the result is then finished).
  bool fetch();
  // Drops what is left of the result (a no-op when it was read whole).
  void finish();

  // The current row's columns.
  bool null(std::size_t column) const { return nulls_[column] != 0; }
  long long whole(std::size_t column) const { return ints_[column]; }
  const std::string& text(std::size_t column) const { return texts_[column]; }
  RowView view() const { return RowView{nulls_.data(), ints_.data(), texts_.data()}; }
  std::size_t columns() const { return kinds_.size(); }

  // The statement's text with :name placeholders written as ? (literals kept).
  static std::string positional(const std::string& text);

 private:
  [[noreturn]] void fail(const char* what) const;

  st_mysql_stmt* stmt_ = nullptr;
  std::vector<FetchAs> kinds_;
  std::vector<st_mysql_bind> binds_;
  std::vector<st_mysql_bind> param_binds_;
  std::vector<long long> params_;
  std::vector<long long> ints_;
  std::vector<std::string> texts_;
  std::vector<std::vector<char>> buffers_;  // text columns' fixed buffers
  std::vector<unsigned long> lengths_;
  std::vector<char> nulls_;
  std::vector<char> errors_;
  bool open_result_ = false;
};

}  // namespace engagementd
