#include "store/mysql_fetch.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <cstring>
#include <stdexcept>

#include "store/live_rows.hpp"

namespace engagementd {
namespace {

// The first size of a text column's buffer: longer values are fetched again
// whole (mysql_stmt_fetch_column), so it only saves that second call.
constexpr std::size_t kTextBuffer = 256;

MYSQL_BIND string_bind(char* buffer, std::size_t size, unsigned long* length) {
  MYSQL_BIND b;
  std::memset(&b, 0, sizeof b);
  b.buffer_type = MYSQL_TYPE_STRING;
  b.buffer = buffer;
  b.buffer_length = static_cast<unsigned long>(size);
  b.length = length;
  return b;
}

}  // namespace

std::string MysqlStatement::positional(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quote != 0) {
      out += ch;
      if (ch == '\\' && quote != '`' && i + 1 < text.size()) {
        out += text[++i];
      } else if (ch == quote) {
        quote = 0;  // a doubled quote closes and opens again: the same text
      }
      continue;
    }
    if (ch == '\'' || ch == '"' || ch == '`') {
      quote = ch;
      out += ch;
      continue;
    }
    const auto name_char = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    if (ch == ':' && i + 1 < text.size() && name_char(text[i + 1])) {
      out += '?';
      while (i + 1 < text.size() && name_char(text[i + 1])) ++i;
      continue;
    }
    out += ch;
  }
  return out;
}

MysqlStatement::MysqlStatement(MYSQL* conn, const std::string& text, std::vector<FetchAs> columns)
    : kinds_(std::move(columns)) {
  stmt_ = mysql_stmt_init(conn);
  if (stmt_ == nullptr) {
    throw soci::mysql_soci_error(std::string("cannot prepare a statement: ") + mysql_error(conn),
                                 static_cast<int>(mysql_errno(conn)));
  }
  const std::string sql = positional(text);
  if (mysql_stmt_prepare(stmt_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    const std::string message = mysql_stmt_error(stmt_);
    const int number = static_cast<int>(mysql_stmt_errno(stmt_));
    mysql_stmt_close(stmt_);
    stmt_ = nullptr;
    throw soci::mysql_soci_error(message + " (preparing a read)", number);
  }
  const std::size_t n = kinds_.size();
  if (mysql_stmt_field_count(stmt_) != n) {
    mysql_stmt_close(stmt_);
    stmt_ = nullptr;
    throw std::logic_error("a prepared read has another number of columns than expected");
  }
  ints_.assign(n, 0);
  texts_.assign(n, std::string());
  buffers_.assign(n, std::vector<char>());
  lengths_.assign(n, 0);
  nulls_.assign(n, 0);
  errors_.assign(n, 0);
  binds_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    MYSQL_BIND& b = binds_[i];
    std::memset(&b, 0, sizeof b);
    if (kinds_[i] == FetchAs::integer) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &ints_[i];
      b.buffer_length = sizeof(long long);
    } else {
      buffers_[i].resize(kTextBuffer);
      b = string_bind(buffers_[i].data(), buffers_[i].size(), &lengths_[i]);
    }
    b.is_null = reinterpret_cast<my_bool*>(&nulls_[i]);
    b.error = reinterpret_cast<my_bool*>(&errors_[i]);
  }
  params_.assign(mysql_stmt_param_count(stmt_), 0);
  param_binds_.resize(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    MYSQL_BIND& b = param_binds_[i];
    std::memset(&b, 0, sizeof b);
    b.buffer_type = MYSQL_TYPE_LONGLONG;
    b.buffer = &params_[i];
  }
}

MysqlStatement::~MysqlStatement() {
  if (stmt_ != nullptr) mysql_stmt_close(stmt_);
}

void MysqlStatement::fail(const char* what) const {
  throw soci::mysql_soci_error(std::string(mysql_stmt_error(stmt_)) + " (" + what + ")",
                               static_cast<int>(mysql_stmt_errno(stmt_)));
}

void MysqlStatement::execute(const std::vector<long long>& params) {
  finish();
  if (params.size() != params_.size()) {
    throw std::logic_error("a prepared read got another number of values than placeholders");
  }
  std::copy(params.begin(), params.end(), params_.begin());
  if (!param_binds_.empty() && mysql_stmt_bind_param(stmt_, param_binds_.data()) != 0) {
    fail("binding a read's values");
  }
  if (mysql_stmt_execute(stmt_) != 0) fail("running a read");
  open_result_ = true;
  if (mysql_stmt_bind_result(stmt_, binds_.data()) != 0) fail("binding a read's columns");
}

bool MysqlStatement::fetch() {
  if (!open_result_) return false;
  const int rc = mysql_stmt_fetch(stmt_);
  if (rc == MYSQL_NO_DATA) {
    open_result_ = false;
    return false;
  }
  if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) fail("reading a row");
  for (std::size_t i = 0; i < kinds_.size(); ++i) {
    if (nulls_[i] != 0) {
      ints_[i] = 0;
      texts_[i].clear();
      continue;
    }
    if (kinds_[i] == FetchAs::text) {
      if (lengths_[i] <= buffers_[i].size()) {
        texts_[i].assign(buffers_[i].data(), lengths_[i]);
        continue;
      }
      // Longer than the buffer: fetched again whole.
      texts_[i].resize(lengths_[i]);
      unsigned long length = 0;
      MYSQL_BIND b = string_bind(texts_[i].data(), texts_[i].size(), &length);
      if (mysql_stmt_fetch_column(stmt_, &b, static_cast<unsigned>(i), 0) != 0) {
        fail("reading a long value");
      }
      texts_[i].resize(std::min<std::size_t>(length, texts_[i].size()));
    } else if (errors_[i] != 0) {
      // Not a 64-bit whole number (a fraction, text, out of range): read as
      // the text a whole-number column is parsed from.
      char buffer[128];
      unsigned long length = 0;
      MYSQL_BIND b = string_bind(buffer, sizeof buffer, &length);
      if (mysql_stmt_fetch_column(stmt_, &b, static_cast<unsigned>(i), 0) != 0) {
        fail("reading a value");
      }
      std::string text(buffer, std::min<std::size_t>(length, sizeof buffer));
      if (length > sizeof buffer) {
        text.resize(length);
        b = string_bind(text.data(), text.size(), &length);
        if (mysql_stmt_fetch_column(stmt_, &b, static_cast<unsigned>(i), 0) != 0) {
          fail("reading a value");
        }
      }
      ints_[i] = whole_number(text);
    }
  }
  return true;
}

void MysqlStatement::finish() {
  if (!open_result_) return;
  open_result_ = false;
  // Drops the rows not read, so that the connection can run other statements.
  mysql_stmt_free_result(stmt_);
}

}  // namespace engagementd
