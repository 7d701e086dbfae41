// The append-only audit table (engagementd_audit).

#include <soci/soci.h>

#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {

void Store::append_audit(const std::vector<AuditEvent>& rows) {
  in_batches(rows, [&](std::size_t begin, std::size_t end) {
    RowsWriter q(*sql_, dialect_.rows(Sql::append_audit));
    for (std::size_t i = begin; i < end; ++i) {
      const AuditEvent& a = rows[i];
      RowValues& row = q.row();
      row.add(a.at_ms).add(a.event);
      if (a.stream_id) {
        row.add(*a.stream_id);
      } else {
        row.add_null();
      }
      row.add(a.detail);
    }
    q.execute();
  });
}

std::optional<std::string> Store::last_audit_detail(const std::string& event) {
  std::string detail;
  soci::indicator ind = soci::i_null;
  *sql_ << dialect_[Sql::last_audit_detail], soci::use(event), soci::into(detail, ind);
  if (!sql_->got_data() || ind == soci::i_null) return std::nullopt;
  return detail;
}

}  // namespace engagementd
