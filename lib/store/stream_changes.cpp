// The streams whose settings changed outside the tick: the rows the
// triggers on stream_engagement_config (and recount) appended to
// engagementd_stream_changes, taken once.

#include <soci/soci.h>

#include <set>

#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {

std::vector<std::int64_t> Store::take_stream_changes() {
  const Shard& shard = shard_;
  // The rows as this tick's snapshot shows them (REPEATABLE READ on
  // MariaDB; SQLite: the tick holds the database's write lock).
  std::vector<long long> ids;
  std::set<std::int64_t> streams;
  {
    long long id = 0, stream = 0;
    long long shard_count = shard.count, shard_index = shard.index;
    soci::statement st(*sql_);
    st.exchange(soci::into(id));
    st.exchange(soci::into(stream));
    use_shard(st, shard, shard_count, shard_index);
    st.alloc();
    st.prepare(dialect_[Sql::stream_changes]);
    st.define_and_bind();
    st.execute();
    while (st.fetch()) {
      ids.push_back(id);
      streams.insert(stream);
    }
  }
  // Exactly the rows read: one appended meanwhile (committed after the
  // snapshot began) stays for the next call (see the dialect's
  // delete_stream_changes for how they are found).
  in_batches(ids, [&](std::size_t begin, std::size_t end) {
    RowsWriter q(*sql_, dialect_.rows(Sql::delete_stream_changes));
    for (std::size_t i = begin; i < end; ++i) q.row().add(ids[i]);
    q.execute();
  });
  return {streams.begin(), streams.end()};
}

}  // namespace engagementd
