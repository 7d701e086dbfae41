#include "store/store.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "store/cluster.hpp"
#include "store/migrations.hpp"
#include "store/mysql_connect.hpp"
#include "store/server_check.hpp"
#include "store/shard_hash.hpp"
#include "store/trigger_account.hpp"

namespace engagementd {
namespace {

constexpr const char* kVersionTable = "engagementd_schema_version";

const std::vector<Migration>& migrations_for(Backend backend) {
  static const std::vector<Migration> mysql = parse_migrations(embedded_migrations_mysql());
  static const std::vector<Migration> sqlite = parse_migrations(embedded_migrations_sqlite());
  return backend == Backend::mysql ? mysql : sqlite;
}

// A statement whose text and bound values are built together, for multi-row
// SQL: SOCI 4.0's MySQL backend sends one query per element of a bulk
// use(vector), so batches are written as one statement with many rows.
// Every value is bound through SOCI, never formatted into the text.
class BoundSql {
 public:
  explicit BoundSql(soci::session& sql) : st_(sql) {}

  BoundSql& text(const char* s) {
    text_ += s;
    return *this;
  }
  BoundSql& value(long long v) {
    ints_.push_back(v);
    st_.exchange(soci::use(ints_.back()));
    return placeholder();
  }
  BoundSql& value(double v) {
    doubles_.push_back(v);
    st_.exchange(soci::use(doubles_.back()));
    return placeholder();
  }
  BoundSql& value(const std::string& v) {
    strings_.push_back(v);
    st_.exchange(soci::use(strings_.back()));
    return placeholder();
  }
  // Runs the statement; returns the rows the database reports as affected.
  long long execute() {
    st_.alloc();
    st_.prepare(text_);
    st_.define_and_bind();
    st_.execute(true);
    return st_.get_affected_rows();
  }

 private:
  BoundSql& placeholder() {
    text_ += ":p";
    text_ += std::to_string(count_++);
    return *this;
  }

  soci::statement st_;
  std::string text_;
  std::deque<long long> ints_;  // deque: bound references stay valid as it grows
  std::deque<double> doubles_;
  std::deque<std::string> strings_;
  int count_ = 0;
};

template <typename Row, typename Fn>
void in_batches(const std::vector<Row>& rows, Fn fn) {
  for (std::size_t i = 0; i < rows.size(); i += Store::kBatchRows) {
    const std::size_t end = std::min(rows.size(), i + Store::kBatchRows);
    fn(i, end);
  }
}

// Rows for LOAD DATA LOCAL INFILE, as tab-separated text in memory. The
// client library asks the handler below for the "file"; the handler serves
// only the rows this process armed for its own statement and refuses every
// other request, so the server can never read a local file.
class TsvRows {
 public:
  TsvRows& add(long long v) {
    sep();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    text_.append(buf, r.ptr);
    return *this;
  }
  // Text with the LOAD DATA escapes; an empty optional is NULL.
  TsvRows& add(const std::optional<std::string>& v) {
    sep();
    if (!v) {
      text_ += "\\N";
      return *this;
    }
    for (const char ch : *v) {
      switch (ch) {
        case '\\':
          text_ += "\\\\";
          break;
        case '\t':
          text_ += "\\t";
          break;
        case '\n':
          text_ += "\\n";
          break;
        case '\r':
          text_ += "\\r";
          break;
        case '\0':
          text_ += "\\0";
          break;
        default:
          text_ += ch;
      }
    }
    return *this;
  }
  void end_row() {
    text_ += '\n';
    first_ = true;
    ++rows_;
  }
  const std::string& text() const { return text_; }
  std::size_t rows() const { return rows_; }

 private:
  void sep() {
    if (!first_) text_ += '\t';
    first_ = false;
  }
  std::string text_;
  bool first_ = true;
  std::size_t rows_ = 0;
};

}  // namespace

// The in-memory "file" of the next LOAD DATA LOCAL INFILE on this connection.
struct Store::InfileSource {
  const std::string* text = nullptr;  // armed: the rows to send
  std::string name;                   // the file name the statement asks for
  std::size_t pos = 0;
  std::string error;

  static int init(void** ptr, const char* filename, void* userdata) {
    auto* self = static_cast<InfileSource*>(userdata);
    *ptr = self;
    self->pos = 0;
    if (self->text == nullptr || filename == nullptr || self->name != filename) {
      // Not a request this process made: refuse it.
      self->error = "LOAD DATA LOCAL request for a file engagementd did not offer";
      self->text = nullptr;
      return 1;
    }
    self->error.clear();
    return 0;
  }
  static int read(void* ptr, char* buf, unsigned int len) {
    auto* self = static_cast<InfileSource*>(ptr);
    if (self->text == nullptr) return -1;
    const std::size_t n = std::min<std::size_t>(len, self->text->size() - self->pos);
    std::memcpy(buf, self->text->data() + self->pos, n);
    self->pos += n;
    return static_cast<int>(n);
  }
  static void end(void* ptr) {
    auto* self = static_cast<InfileSource*>(ptr);
    self->text = nullptr;
  }
  static int error_text(void* ptr, char* buf, unsigned int len) {
    auto* self = static_cast<InfileSource*>(ptr);
    if (len > 0) {
      std::snprintf(buf, len, "%s", self->error.empty() ? "no rows" : self->error.c_str());
    }
    return 2000;  // CR_UNKNOWN_ERROR
  }
};

namespace {

// A whole-number column read as text (SOCI's MySQL backend would parse each
// one with a std::istringstream); a fractional value is truncated.
long long whole_number(const std::string& text) {
  long long v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (r.ec == std::errc() && r.ptr == end) return v;
  return static_cast<long long>(std::strtod(text.c_str(), nullptr));
}

// A stored value as a number; NaN when it is not one (reported by validation).
double parse_number(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  while (end != nullptr && (*end == ' ' || *end == '\t')) ++end;
  if (end == begin || *end != '\0' || errno == ERANGE) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return v;
}

std::string quote_option(const std::string& value, const char* what) {
  if (value.find('\'') == std::string::npos) return "'" + value + "'";
  if (value.find('"') == std::string::npos) return "\"" + value + "\"";
  throw std::runtime_error(std::string("the database ") + what +
                           " contains both ' and \" characters, which the MySQL client "
                           "connection string cannot carry");
}

// The condition selecting a shard's streams by id, with the count and the
// index as the next two placeholders; nothing for a single shard. Each use in
// one statement needs its own placeholder names (SQLite binds a repeated
// name once).
std::string shard_filter(const char* id_column, const Shard& shard, const char* name = "") {
  if (shard.count <= 1) return {};
  // A hash of the id, not the id itself (store/shard_hash.hpp).
  return " AND " + shard_hash_sql(id_column) + " % :shard_count" + name + " = :shard_index" + name;
}

// Three subqueries counting a stream's real likes, dislikes and comments
// (rows with is_fake = 0), for the stream whose id is in `stream_column`.
std::string real_interaction_counts(const char* stream_column) {
  std::string out;
  for (const char* type : {"like", "dislike", "comment"}) {
    out += std::string(out.empty() ? "" : ",") +
           " (SELECT COUNT(*) FROM stream_interactions si WHERE si.stream_id = " + stream_column +
           " AND si.is_fake = 0 AND si.interaction_type = '" + type + "')";
  }
  return out;
}

// Binds the two placeholders of one shard_filter (nothing for a single
// shard); count and index must live until the statement has run.
void use_shard(soci::statement& st, const Shard& shard, long long& count, long long& index) {
  if (shard.count <= 1) return;
  st.exchange(soci::use(count));
  st.exchange(soci::use(index));
}

long long seconds(std::chrono::milliseconds d) {
  return std::max<long long>(1, static_cast<long long>((d.count() + 999) / 1000));
}

std::string mysql_connection_string(const DatabaseConfig& db, const std::string& password) {
  std::string s = "db=" + quote_option(db.name, "name");
  if (!db.user.empty()) s += " user=" + quote_option(db.user, "user");
  if (!password.empty()) s += " password=" + quote_option(password, "password");
  if (!db.socket.empty()) {
    s += " unix_socket=" + quote_option(db.socket, "socket");
  } else {
    s += " host=" + quote_option(db.host, "host") + " port=" + std::to_string(db.port);
  }
  s += " charset=utf8mb4";
  s += " connect_timeout=" + std::to_string(seconds(db.connect_timeout));
  s += " read_timeout=" + std::to_string(seconds(db.read_timeout));
  s += " write_timeout=" + std::to_string(seconds(db.write_timeout));
  // Lets the client library answer LOAD DATA LOCAL INFILE; Store::open
  // installs a handler that serves only the tick's own rows.
  if (db.local_infile) s += " local_infile=1";
  return s;
}

// The errors that mean LOAD DATA LOCAL INFILE (or the temporary tables it
// fills) is not available to this account or server, as opposed to a
// failure of the database.
bool bulk_refused(int error) {
  switch (error) {
    case 1044:  // ER_DBACCESS_DENIED_ERROR: no CREATE TEMPORARY TABLES
    case 1142:  // ER_TABLEACCESS_DENIED_ERROR
    case 1148:  // ER_NOT_ALLOWED_COMMAND: local_infile=OFF (MariaDB)
    case 1227:  // ER_SPECIFIC_ACCESS_DENIED_ERROR
    case 2068:  // CR_LOAD_DATA_LOCAL_INFILE_REJECTED (MySQL client)
    case 3948:  // ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8)
      return true;
    default:
      return false;
  }
}

}  // namespace

void Store::begin_writes() {
  clear_staged();
  if (!local_infile_) return;
  try {
    if (!tick_tables_ready_) {
      // MEMORY tables, one set per connection (temporary): whole numbers
      // as BIGINT, so a value is never clipped on the way; the real columns
      // check them when the rows are applied. The size limit is raised for
      // this session only; the tables hold one tick's changed rows.
      *sql_ << "SET SESSION max_heap_table_size = 4294967296";
      *sql_ << "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_state ("
               " stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, is_new TINYINT NOT NULL,"
               " sim_viewers BIGINT NOT NULL, sim_joins BIGINT NOT NULL, sim_likes BIGINT NOT NULL,"
               " peak_viewers BIGINT NOT NULL, first_tick_ms BIGINT NOT NULL,"
               " last_tick_ms BIGINT NOT NULL, real_peak BIGINT NOT NULL,"
               " sim_peak BIGINT NOT NULL, config_id INT NOT NULL) ENGINE=MEMORY";
      // The settings as JSON, each distinct text once (InnoDB: any length).
      *sql_ << "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_config ("
               " config_id INT NOT NULL PRIMARY KEY, config_json TEXT NOT NULL)"
               " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
      *sql_ << "CREATE TEMPORARY TABLE IF NOT EXISTS engagementd_tick_display ("
               " stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, viewer_count BIGINT NOT NULL,"
               " max_viewers BIGINT NOT NULL, like_count BIGINT NOT NULL,"
               " dislike_count BIGINT NOT NULL, comment_count BIGINT NOT NULL,"
               " includes_simulated TINYINT NOT NULL) ENGINE=MEMORY";
      tick_tables_ready_ = true;
    }
    *sql_ << "DELETE FROM engagementd_tick_state";
    *sql_ << "DELETE FROM engagementd_tick_config";
    *sql_ << "DELETE FROM engagementd_tick_display";
  } catch (const soci::soci_error& e) {
    if (!bulk_refused(error_number(e))) throw;
    stop_bulk_upload(e);
  }
}

void Store::finish_writes() {
  if (staged_states_ > 0 || staged_displays_ > 0) apply_staged();
  clear_staged();
}

void Store::clear_staged() {
  staged_configs_.clear();
  staged_states_ = 0;
  staged_displays_ = 0;
  staged_new_ = false;
  staged_ids_.clear();
}

void Store::stop_bulk_upload(const soci::soci_error& e) {
  // Rows sent before (not seen in practice: a server refuses the first
  // statement) are applied now; from here on rows are written directly.
  finish_writes();
  local_infile_ = false;
  notice_ = std::string("LOAD DATA LOCAL INFILE into temporary tables is not available (") +
            e.get_error_message() +
            "); writing multi-row statements instead, which is slower. Allow it (server "
            "local_infile=ON, GRANT CREATE TEMPORARY TABLES) or set database.local_infile: "
            "false";
}

bool Store::load_rows(const char* table, const std::string& tsv, std::size_t rows) {
  try {
    infile_->name = table;
    infile_->text = &tsv;
    *sql_ << "LOAD DATA LOCAL INFILE '" + infile_->name + "' INTO TABLE " + table +
                 " CHARACTER SET utf8mb4";
    infile_->text = nullptr;
  } catch (const soci::soci_error& e) {
    infile_->text = nullptr;
    if (!bulk_refused(error_number(e))) throw;
    stop_bulk_upload(e);
    return false;
  }
  MYSQL* conn = static_cast<soci::mysql_session_backend*>(sql_->get_backend())->conn_;
  const unsigned long long loaded = mysql_affected_rows(conn);
  const unsigned warnings = mysql_warning_count(conn);
  if (loaded != rows || warnings != 0) {
    throw std::runtime_error(std::string("LOAD DATA into ") + table + " took " +
                             std::to_string(loaded) + " of " + std::to_string(rows) +
                             " rows with " + std::to_string(warnings) + " warning(s)");
  }
  return true;
}

bool Store::write_states_bulk(const std::vector<StateWrite>& rows) {
  TsvRows state;
  TsvRows configs;
  // Most rows carry no settings (0) or share a few texts: each once a tick.
  bool any_new = false;
  for (const StateWrite& w : rows) {
    long long config_id = 0;
    if (!w.config_json.empty()) {
      const auto [it, added] = staged_configs_.emplace(
          w.config_json, static_cast<long long>(staged_configs_.size() + 1));
      if (added) configs.add(it->second).add(std::optional<std::string>(w.config_json)).end_row();
      config_id = it->second;
    }
    any_new = any_new || !w.exists;
    state.add(static_cast<long long>(w.stream_id)).add(w.exists ? 0LL : 1LL);
    state.add(static_cast<long long>(w.sim.viewers)).add(static_cast<long long>(w.sim.joins));
    state.add(static_cast<long long>(w.sim.likes)).add(static_cast<long long>(w.sim.peak));
    state.add(static_cast<long long>(w.first_tick_ms)).add(static_cast<long long>(w.last_tick_ms));
    state.add(static_cast<long long>(w.sim.real_peak))
        .add(static_cast<long long>(w.sim.sim_peak))
        .add(config_id)
        .end_row();
  }
  if (configs.rows() > 0 && !load_rows("engagementd_tick_config", configs.text(), configs.rows())) {
    return false;
  }
  if (!load_rows("engagementd_tick_state", state.text(), state.rows())) return false;
  staged_states_ += rows.size();
  for (const StateWrite& w : rows) staged_ids_.push_back(w.stream_id);
  staged_new_ = staged_new_ || any_new;
  return true;
}

bool Store::write_displays_bulk(const std::vector<DisplayWrite>& rows) {
  TsvRows tsv;
  for (const DisplayWrite& w : rows) {
    const Display& d = w.display;
    tsv.add(static_cast<long long>(w.stream_id)).add(static_cast<long long>(d.viewers));
    tsv.add(static_cast<long long>(d.max_viewers)).add(static_cast<long long>(d.likes));
    tsv.add(static_cast<long long>(d.dislikes)).add(static_cast<long long>(d.comments));
    tsv.add(d.simulated ? 1LL : 0LL).end_row();
  }
  if (!load_rows("engagementd_tick_display", tsv.text(), tsv.rows())) return false;
  staged_displays_ += rows.size();
  for (const DisplayWrite& w : rows) staged_ids_.push_back(w.stream_id);
  return true;
}

void Store::apply_staged() {
  *sql_ << "SAVEPOINT engagementd_rows";
  try {
    apply_staged_range(0, 0, true);
    *sql_ << "RELEASE SAVEPOINT engagementd_rows";
    return;
  } catch (const soci::soci_error& e) {
    if (!is_statement_error(e)) throw;
    *sql_ << "ROLLBACK TO SAVEPOINT engagementd_rows";
    *sql_ << "RELEASE SAVEPOINT engagementd_rows";
  }
  // Some stream's rows fail: the staged streams are applied by id ranges,
  // halved until the failing ones are found (the temporary tables are not
  // transactional: a rollback leaves the staged rows in them).
  std::sort(staged_ids_.begin(), staged_ids_.end());
  staged_ids_.erase(std::unique(staged_ids_.begin(), staged_ids_.end()), staged_ids_.end());
  isolating(
      0, staged_ids_.size(),
      [&](std::size_t begin, std::size_t end) {
        apply_staged_range(staged_ids_[begin], staged_ids_[end - 1], false);
      },
      [&](std::size_t i) { return staged_ids_[i]; });
}

void Store::apply_staged_range(long long lo, long long hi, bool whole) {
  // Every statement over all staged rows; a part of them when a failing
  // stream is looked for.
  const std::string range =
      whole ? std::string()
            : " AND t.stream_id BETWEEN " + std::to_string(lo) + " AND " + std::to_string(hi);
  const std::string display_range =
      whole ? std::string()
            : " AND d.stream_id BETWEEN " + std::to_string(lo) + " AND " + std::to_string(hi);
  const bool configs = !staged_configs_.empty();
  if (staged_states_ > 0) {
    // Only the columns that change every tick: assigning a text column to
    // itself in the same statement measured 5 times slower.
    *sql_ << std::string(
                 "UPDATE engagementd_stream_state st JOIN engagementd_tick_state t"
                 " ON t.stream_id = st.stream_id"
                 " SET st.sim_viewers = t.sim_viewers, st.sim_joins = t.sim_joins,"
                 " st.sim_likes = t.sim_likes, st.peak_viewers = t.peak_viewers,"
                 " st.last_tick_ms = t.last_tick_ms, st.real_peak = t.real_peak,"
                 " st.sim_peak = t.sim_peak WHERE t.is_new = 0") +
                 range;
    if (configs) {
      *sql_ << "UPDATE engagementd_stream_state st JOIN engagementd_tick_state t"
               " ON t.stream_id = st.stream_id JOIN engagementd_tick_config j"
               " ON j.config_id = t.config_id SET st.config_json = j.config_json"
               " WHERE t.is_new = 0" +
                   range;
    }
  }
  if (staged_new_) {
    // New streams, and finalized ones live again.
    *sql_ << std::string(
                 "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins,"
                 " sim_likes, peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak,"
                 " sim_peak, config_json) SELECT t.stream_id, t.sim_viewers, t.sim_joins,"
                 " t.sim_likes, t.peak_viewers, t.first_tick_ms, t.last_tick_ms, NULL,"
                 " t.real_peak, t.sim_peak, ") +
                 (configs ? "j.config_json" : "NULL") + " FROM engagementd_tick_state t" +
                 (configs ? " LEFT JOIN engagementd_tick_config j ON j.config_id = t.config_id"
                          : "") +
                 " WHERE t.is_new = 1" + range +
                 " ON DUPLICATE KEY UPDATE sim_viewers = VALUES(sim_viewers),"
                 " sim_joins = VALUES(sim_joins), sim_likes = VALUES(sim_likes),"
                 " peak_viewers = VALUES(peak_viewers), last_tick_ms = VALUES(last_tick_ms),"
                 " finalized_ms = NULL, real_peak = VALUES(real_peak),"
                 " sim_peak = VALUES(sim_peak), config_json = COALESCE(VALUES(config_json),"
                 " engagementd_stream_state.config_json)";
  }
  if (staged_displays_ > 0) {
    *sql_ << std::string(
                 "UPDATE live_streams ls JOIN engagementd_tick_display d ON ls.id = d.stream_id"
                 " SET ls.viewer_count = d.viewer_count, ls.max_viewers = d.max_viewers,"
                 " ls.like_count = d.like_count, ls.dislike_count = d.dislike_count,"
                 " ls.comment_count = d.comment_count,"
                 " ls.includes_simulated = d.includes_simulated") +
                 // Display numbers are not an edit of the stream: keep updated_at.
                 (updated_at_column_ ? ", ls.updated_at = ls.updated_at" : "") +
                 " WHERE ls.status = 'live'" + display_range;
  }
}

void Store::isolating(std::size_t begin, std::size_t end,
                      const std::function<void(std::size_t, std::size_t)>& write,
                      const std::function<std::int64_t(std::size_t)>& stream_of) {
  if (begin >= end) return;
  *sql_ << "SAVEPOINT engagementd_rows";
  try {
    write(begin, end);
    *sql_ << "RELEASE SAVEPOINT engagementd_rows";
    return;
  } catch (const soci::soci_error& e) {
    if (!is_statement_error(e)) throw;
    *sql_ << "ROLLBACK TO SAVEPOINT engagementd_rows";
    *sql_ << "RELEASE SAVEPOINT engagementd_rows";
    if (end - begin == 1) {
      problems_.push_back(
          {stream_of(begin), "its rows fail a statement (" + e.get_error_message() + ")", true});
      return;
    }
  }
  const std::size_t middle = begin + (end - begin) / 2;
  isolating(begin, middle, write, stream_of);
  isolating(middle, end, write, stream_of);
}

namespace {}  // namespace

Store::Store(Backend backend, std::unique_ptr<soci::session> sql)
    : backend_(backend), sql_(std::move(sql)) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(const DatabaseConfig& db, const std::string& password) {
  auto sql = std::make_unique<soci::session>();
  std::unique_ptr<InfileSource> infile;
  try {
    if (db.backend == Backend::mysql) {
      // Set before the connection is made (mysql_connect.cpp): TLS as
      // configured, only authentication methods that never send the
      // password in clear, and the LOAD DATA LOCAL handler, so that from
      // the connection's first statement on (SOCI's own SET NAMES
      // included) a request for a local file gets the tick's own rows or a
      // refusal, never the client library's default (reading the file).
      ConnectOptions options;
      options.ssl_mode = db.effective_ssl_mode();
      options.ssl_ca = db.ssl_ca;
      options.ssl_cert = db.ssl_cert;
      options.ssl_key = db.ssl_key;
      if (db.local_infile) {
        infile = std::make_unique<InfileSource>();
        options.infile_init = &InfileSource::init;
        options.infile_read = &InfileSource::read;
        options.infile_end = &InfileSource::end;
        options.infile_error = &InfileSource::error_text;
        options.infile_data = infile.get();
      }
      {
        ArmConnect arm(options);
        try {
          sql->open(soci::mysql, mysql_connection_string(db, password));
        } catch (const soci::soci_error&) {
          if (!arm.applied()) {
            throw std::runtime_error("cannot connect to " + describe(db) +
                                     ": the MySQL client library did not take the connection's "
                                     "TLS and authentication options");
          }
          throw;
        }
        if (!arm.applied()) {
          throw std::runtime_error("cannot connect to " + describe(db) +
                                   ": the connection was made without its TLS and "
                                   "authentication options");
        }
      }
      if (options.ssl_mode != SslMode::disabled) {
        std::string name, cipher;
        *sql << "SHOW SESSION STATUS LIKE 'Ssl_cipher'", soci::into(name), soci::into(cipher);
        if (cipher.empty()) {
          throw std::runtime_error("cannot connect to " + describe(db) + ": database.ssl_mode " +
                                   ssl_mode_name(options.ssl_mode) +
                                   " but the connection is not encrypted");
        }
      }
      // The database clock in UTC, whatever the server's time_zone: in a
      // zone with daylight saving time NOW() repeats an hour at the change
      // back, and UNIX_TIMESTAMP(NOW()) with it (Store::now_ms). TIMESTAMP
      // columns are stored in UTC and converted to the session's zone, so
      // comparing them with NOW() stays right whatever zone the site's own
      // sessions use.
      *sql << "SET SESSION time_zone = '+00:00'";
      // A row lock held by the site (or a stalled instance) fails the tick
      // after 5 s instead of holding it for the server's default 50 s; the
      // tick is then retried.
      *sql << "SET SESSION innodb_lock_wait_timeout = 5";
      // One snapshot for the whole tick, whatever the server's default:
      // folding the appended real-count rows and a stream's first count
      // rely on it (Store::fold_real_deltas, Store::count_real).
      *sql << "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    } else {
      // SOCI takes a connection string without '=' as the plain file name.
      if (db.path.find('=') != std::string::npos) {
        throw std::runtime_error("the sqlite3 path must not contain '='");
      }
      sql->open(soci::sqlite3, db.path);
      *sql << "PRAGMA busy_timeout = " + std::to_string(db.write_timeout.count());
      // WAL: the site's readers never wait for a tick's write.
      std::string mode;
      *sql << "PRAGMA journal_mode=WAL", soci::into(mode);
    }
  } catch (const soci::soci_error& e) {
    throw std::runtime_error("cannot connect to " + describe(db) + ": " + e.get_error_message());
  }
  std::unique_ptr<Store> store(new Store(db.backend, std::move(sql)));
  if (infile) {
    store->infile_ = std::move(infile);
    store->local_infile_ = true;
  }
  return store;
}

int Store::latest_schema_version(Backend backend) {
  return static_cast<int>(migrations_for(backend).size());
}

bool Store::has_column(const std::string& table, const std::string& column) {
  long long n = 0;
  if (backend_ == Backend::mysql) {
    *sql_ << "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() "
             "AND table_name = :t AND column_name = :c",
        soci::use(table), soci::use(column), soci::into(n);
  } else {
    *sql_ << "SELECT COUNT(*) FROM pragma_table_info(:t) WHERE name = :c", soci::use(table),
        soci::use(column), soci::into(n);
  }
  return n > 0;
}

bool Store::has_table(const std::string& table) {
  long long n = 0;
  if (backend_ == Backend::mysql) {
    *sql_ << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
             "AND table_name = :t",
        soci::use(table), soci::into(n);
  } else {
    *sql_ << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t",
        soci::use(table), soci::into(n);
  }
  return n > 0;
}

bool Store::has_unique_index_on(const std::string& table, const std::string& column) {
  long long n = 0;
  if (backend_ == Backend::mysql) {
    // An index whose only column is `column`, unique (the primary key too).
    *sql_ << "SELECT COUNT(*) FROM (SELECT index_name FROM information_schema.statistics"
             " WHERE table_schema = DATABASE() AND table_name = :t AND non_unique = 0"
             " GROUP BY index_name HAVING COUNT(*) = 1 AND MAX(column_name) = :c) u",
        soci::use(table), soci::use(column), soci::into(n);
  } else {
    *sql_ << "SELECT COUNT(*) FROM pragma_index_list(:t) il"
             " WHERE il.\"unique\" = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1"
             " AND (SELECT name FROM pragma_index_info(il.name)) = :c",
        soci::use(table), soci::use(column), soci::into(n);
  }
  return n > 0;
}

bool Store::has_index(const std::string& table, const std::string& index) {
  long long n = 0;
  if (backend_ == Backend::mysql) {
    *sql_ << "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()"
             " AND table_name = :t AND index_name = :i",
        soci::use(table), soci::use(index), soci::into(n);
  } else {
    *sql_ << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
             " AND name = :i",
        soci::use(table), soci::use(index), soci::into(n);
  }
  return n > 0;
}

bool Store::guard_holds(const MigrationStatement::Guard& g) {
  using Condition = MigrationStatement::Condition;
  switch (g.condition) {
    case Condition::missing_column:
      return has_table(g.table) && !has_column(g.table, g.name);
    case Condition::table_exists:
      return has_table(g.table);
    case Condition::no_unique_index:
      return !has_unique_index_on(g.table, g.name);
    case Condition::missing_index:
      return has_table(g.table) && !has_index(g.table, g.name);
  }
  return false;
}

std::string Store::statement_to_apply(const MigrationStatement& s) {
  if (s.widen_decimal) return widen_decimal(s.table, s.column, s.precision, s.scale);
  for (const MigrationStatement::Guard& g : s.guards) {
    if (!guard_holds(g)) return {};
  }
  return s.sql;
}

std::string Store::widen_decimal(const std::string& table, const std::string& column, int precision,
                                 int scale) {
  // SQLite keeps any DECIMAL value as it is: nothing to widen.
  if (backend_ != Backend::mysql) return {};
  std::string data_type, column_type, nullable, comment_literal;
  std::string default_value;
  soci::indicator default_ind = soci::i_ok;
  long long have_precision = 0, have_scale = 0;
  *sql_ << "SELECT data_type, column_type, is_nullable, column_default,"
           " COALESCE(numeric_precision, 0), COALESCE(numeric_scale, 0), QUOTE(column_comment)"
           " FROM information_schema.columns WHERE table_schema = DATABASE()"
           " AND table_name = :t AND column_name = :c",
      soci::use(table), soci::use(column), soci::into(data_type), soci::into(column_type),
      soci::into(nullable), soci::into(default_value, default_ind), soci::into(have_precision),
      soci::into(have_scale), soci::into(comment_literal);
  if (!sql_->got_data()) return {};  // no such column: nothing of ours to widen
  if (data_type != "decimal") {
    throw SchemaError(table + "." + column + " is " + column_type +
                      ", not a DECIMAL; left as it is (engagementd reads any number)");
  }
  // Wide enough already: as many places before and after the point.
  if (have_precision - have_scale >= precision - scale && have_scale >= scale) return {};
  const long long want_scale = std::max<long long>(scale, have_scale);
  const long long want_precision =
      std::max<long long>(precision - scale, have_precision - have_scale) + want_scale;
  // The same column otherwise: its sign, nullability, default and comment
  // are the site's (a MODIFY restates them all, so each is written back).
  std::string text = "ALTER TABLE " + table + " MODIFY " + column + " DECIMAL(" +
                     std::to_string(want_precision) + "," + std::to_string(want_scale) + ")";
  if (column_type.find("unsigned") != std::string::npos) text += " UNSIGNED";
  text += nullable == "YES" ? " NULL" : " NOT NULL";
  if (default_ind != soci::i_null) {
    // MariaDB shows a missing default of a NULL column as the text NULL.
    if (default_value == "NULL") {
      text += " DEFAULT NULL";
    } else if (!default_value.empty() &&
               default_value.find_first_not_of("0123456789.-") == std::string::npos) {
      text += " DEFAULT " + default_value;
    } else {
      throw SchemaError(table + "." + column + " has the default '" + default_value +
                        "', which engagementd cannot restate; widen it to DECIMAL(" +
                        std::to_string(precision) + "," + std::to_string(scale) +
                        ") by hand, keeping the default");
    }
  }
  if (comment_literal != "''") text += " COMMENT " + comment_literal;
  return text;
}

int Store::schema_version() {
  long long tables = 0;
  if (backend_ == Backend::mysql) {
    *sql_ << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
             "AND table_name = 'engagementd_schema_version'",
        soci::into(tables);
  } else {
    *sql_ << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
             "AND name = 'engagementd_schema_version'",
        soci::into(tables);
  }
  if (tables == 0) return 0;
  long long version = 0;
  soci::indicator ind = soci::i_ok;
  *sql_ << "SELECT MAX(version) FROM engagementd_schema_version", soci::into(version, ind);
  return ind == soci::i_null ? 0 : static_cast<int>(version);
}

void Store::check_schema() {
  const int have = schema_version();
  const int want = latest_schema_version(backend_);
  if (have < want) {
    throw SchemaError("the database schema is at version " + std::to_string(have) +
                      ", this engagementd needs version " + std::to_string(want) +
                      ": run 'engagementd migrate -c <config>' first");
  }
  if (have > want) {
    throw SchemaError("the database schema is at version " + std::to_string(have) +
                      ", newer than this engagementd knows (" + std::to_string(want) +
                      "): upgrade engagementd");
  }
  detect_columns();
}

void Store::detect_columns() {
  heartbeat_column_ = has_column("stream_viewers", "last_seen_at");
  updated_at_column_ = has_column("live_streams", "updated_at");
  const auto has = [&](std::initializer_list<const char*> columns) {
    for (const char* c : columns) {
      if (!has_column("saved_streams", c)) return false;
    }
    return true;
  };
  if (!has_table("saved_streams")) {
    saved_shape_ = SavedStreamsShape::absent;
  } else if (has({"stream_id", "viewer_count", "like_count"})) {
    saved_shape_ = SavedStreamsShape::with_ids;
  } else if (has({"views", "likes", "dislikes"})) {
    saved_shape_ = has({"stream_id"}) ? SavedStreamsShape::linked : SavedStreamsShape::unlinked;
  } else {
    saved_shape_ = SavedStreamsShape::unknown;
  }
  std::vector<std::pair<const char*, const char*>> columns = {{"live_streams", "viewer_count"},
                                                              {"live_streams", "max_viewers"},
                                                              {"live_streams", "like_count"},
                                                              {"live_streams", "dislike_count"},
                                                              {"live_streams", "comment_count"}};
  if (saved_shape_ == SavedStreamsShape::with_ids) {
    columns.insert(columns.end(),
                   {{"saved_streams", "viewer_count"}, {"saved_streams", "like_count"}});
  } else if (saved_shape_ == SavedStreamsShape::linked) {
    columns.insert(
        columns.end(),
        {{"saved_streams", "views"}, {"saved_streams", "likes"}, {"saved_streams", "dislikes"}});
  }
  display_limit_ = std::numeric_limits<std::int64_t>::max();
  for (const auto& [table, column] : columns) {
    display_limit_ = std::min<std::int64_t>(display_limit_, column_limit(table, column));
  }
  columns_detected_ = true;
}

long long Store::column_limit(const std::string& table, const std::string& column) {
  if (backend_ != Backend::mysql) return std::numeric_limits<long long>::max();
  std::string type;
  *sql_ << "SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE()"
           " AND table_name = :t AND column_name = :c",
      soci::use(table), soci::use(column), soci::into(type);
  if (!sql_->got_data()) return std::numeric_limits<long long>::max();
  const bool is_unsigned = type.find("unsigned") != std::string::npos;
  const auto starts = [&](const char* prefix) { return type.rfind(prefix, 0) == 0; };
  if (starts("tinyint")) return is_unsigned ? 255 : 127;
  if (starts("smallint")) return is_unsigned ? 65535 : 32767;
  if (starts("mediumint")) return is_unsigned ? 16777215 : 8388607;
  if (starts("int")) return is_unsigned ? 4294967295LL : 2147483647LL;
  return std::numeric_limits<long long>::max();  // bigint, decimal, text: far enough
}

SavedStreamsShape Store::saved_streams_shape() {
  if (!columns_detected_) detect_columns();
  return saved_shape_;
}

std::int64_t Store::display_limit() {
  if (!columns_detected_) detect_columns();
  return display_limit_;
}

const char* describe(SavedStreamsShape shape) {
  switch (shape) {
    case SavedStreamsShape::absent:
      return "absent (no replay list; nothing to write there)";
    case SavedStreamsShape::with_ids:
      return "stream_id, viewer_count, like_count (final numbers written there)";
    case SavedStreamsShape::linked:
      return "views, likes, dislikes, linked by stream_id (final numbers written there)";
    case SavedStreamsShape::unlinked:
      return "views, likes, dislikes without stream_id: run 'engagementd migrate' to add the "
             "link, until then final numbers are not written there";
    case SavedStreamsShape::unknown:
      return "unknown (neither viewer_count/like_count nor views/likes/dislikes): final numbers "
             "are not written there";
  }
  return "unknown";
}

ServerFacts Store::server_facts() {
  ServerFacts f;
  long long log_bin = 0, trust = 0;
  std::string format;
  soci::indicator format_ind = soci::i_ok;
  *sql_ << "SELECT VERSION(), @@version_comment, @@log_bin, @@binlog_format,"
           " @@log_bin_trust_function_creators",
      soci::into(f.version), soci::into(f.version_comment), soci::into(log_bin),
      soci::into(format, format_ind), soci::into(trust);
  f.log_bin = log_bin != 0;
  f.binlog_format = format_ind == soci::i_null ? std::string() : format;
  f.trust_function_creators = trust != 0;
  f.wsrep = read_cluster_facts(*sql_).wsrep;  // Galera: as if log_bin were on
  std::string db;
  *sql_ << "SELECT DATABASE()", soci::into(db);
  // The account's own grants, then those of its enabled roles (and of the
  // roles granted to them): MariaDB and MySQL list a granted role as a
  // line of its own, its privileges only under its own name.
  std::vector<std::string> roles;
  const auto read = [&](const std::string& query) {
    soci::rowset<std::string> lines = sql_->prepare << query;
    for (const std::string& line : lines) read_grant_line(line, db, f.privileges, roles);
  };
  read("SHOW GRANTS");
  std::string current;
  soci::indicator current_ind = soci::i_ok;
  *sql_ << "SELECT CURRENT_ROLE()", soci::into(current, current_ind);
  std::vector<std::string> enabled;
  if (current_ind != soci::i_null && current != "NONE") {
    std::size_t start = 0;
    while (start <= current.size()) {
      const auto comma = current.find(',', start);
      std::string r = current.substr(start, comma == std::string::npos ? comma : comma - start);
      const auto at = r.find('@');
      if (at != std::string::npos) r = r.substr(0, at);
      if (r.size() >= 2 && r.front() == '`') r = r.substr(1, r.size() - 2);
      if (!r.empty()) enabled.push_back(r);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  std::set<std::string> seen;
  while (!enabled.empty()) {
    const std::string r = enabled.back();
    enabled.pop_back();
    if (!seen.insert(r).second || r.find('`') != std::string::npos) continue;
    roles.clear();
    read("SHOW GRANTS FOR `" + r + "`");
    enabled.insert(enabled.end(), roles.begin(), roles.end());
  }
  return f;
}

std::vector<int> Store::migrate(const Logger& log) {
  std::vector<int> applied;
  const bool mysql = backend_ == Backend::mysql;
  std::unique_ptr<MigrationLock> lock;  // released when migrate returns
  if (mysql) {
    // Everything a pending migration needs of the server is checked before
    // anything changes: MariaDB commits each DDL statement, so a refusal
    // half-way would leave the migration half-applied.
    const int at = schema_version();
    MigrateNeeds needs;
    bool pending = false;
    for (const Migration& m : migrations_for(backend_)) {
      if (m.version <= at) continue;
      pending = true;
      for (const MigrationStatement& s : m.statements) {
        if (s.sql.find("RANDOM_BYTES") != std::string::npos) needs.random_bytes = true;
        if (s.sql.find("CREATE TRIGGER") != std::string::npos) needs.triggers = true;
      }
    }
    if (pending) {
      const std::string refusal = migrate_refusal(server_facts(), needs);
      if (!refusal.empty()) throw SchemaError(refusal);
    }
    *sql_ << "CREATE TABLE IF NOT EXISTS engagementd_schema_version ("
             " version INT NOT NULL PRIMARY KEY,"
             " name VARCHAR(255) NOT NULL,"
             " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
             ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    // Two migrators at once would interleave DDL: serialize them, across
    // every node of a cluster (store/cluster.hpp; GET_LOCK is the node's own).
    lock = std::make_unique<MigrationLock>(*sql_, log);
  } else {
    *sql_ << "CREATE TABLE IF NOT EXISTS engagementd_schema_version ("
             " version INTEGER NOT NULL PRIMARY KEY,"
             " name TEXT NOT NULL,"
             " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)";
  }
  const int current = schema_version();
  const auto& all = migrations_for(backend_);
  if (current > static_cast<int>(all.size())) {
    throw SchemaError("the database schema is at version " + std::to_string(current) +
                      ", newer than this engagementd knows (" + std::to_string(all.size()) +
                      "): upgrade engagementd");
  }
  for (const Migration& m : all) {
    if (m.version <= current) continue;
    log.notice("applying schema migration " + m.name);
    // MariaDB commits DDL implicitly, so there every statement is written to
    // be safe to repeat; SQLite runs the whole migration as one transaction.
    if (!mysql) sql_->begin();
    try {
      for (const MigrationStatement& s : m.statements) {
        if (lock) lock->renew();
        std::string text;
        try {
          text = statement_to_apply(s);
          if (text.empty()) continue;
          *sql_ << text;
        } catch (const soci::soci_error& e) {
          throw std::runtime_error(
              m.name + ": " + e.get_error_message() + "\n  in: " +
              (text.empty() ? (s.widen_decimal ? s.table + "." + s.column : s.sql) : text));
        } catch (const SchemaError& e) {
          throw SchemaError(m.name + ": " + e.what());
        }
      }
      *sql_ << "INSERT INTO engagementd_schema_version (version, name) VALUES (:v, :n)",
          soci::use(m.version), soci::use(m.name);
      if (!mysql) sql_->commit();
    } catch (...) {
      if (!mysql) sql_->rollback();
      throw;
    }
    applied.push_back(m.version);
  }
  // The triggers (new ones, and those of an earlier version) run as their
  // own locked account, not as the one migrating.
  move_triggers_to_own_account(*this, log);
  detect_columns();
  return applied;
}

std::int64_t Store::now_ms() {
  long long now = 0;
  if (backend_ == Backend::mysql) {
    // The session's zone is UTC (Store::open): no hour repeats.
    *sql_ << "SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)", soci::into(now);
  } else {
    *sql_ << "SELECT CAST(strftime('%s','now') AS INTEGER) * 1000"
             " + CAST(substr(strftime('%f','now'), 4) AS INTEGER)",
        soci::into(now);
  }
  return now;
}

std::map<std::string, std::optional<std::string>> Store::read_global_settings() {
  std::map<std::string, std::optional<std::string>> out;
  std::string key, value;
  soci::indicator value_ind = soci::i_ok;
  soci::statement st =
      (sql_->prepare << "SELECT setting_key, setting_value FROM global_stream_settings "
                        "WHERE setting_key IN ('fake_viewers_enabled', 'fake_likes_enabled', "
                        "'min_fake_viewers', 'max_fake_viewers', 'viewer_increase_rate', "
                        "'viewer_decrease_rate', 'like_rate', 'engagement_multiplier', "
                        "'simulation_enabled', 'sim_watch_minutes')",
       soci::into(key), soci::into(value, value_ind));
  st.execute();
  while (st.fetch()) {
    out[key] = value_ind == soci::i_null ? std::nullopt : std::optional<std::string>(value);
  }
  return out;
}

std::string Store::live_streams_query(const Shard& shard) {
  if (!columns_detected_) detect_columns();
  const bool mysql = backend_ == Backend::mysql;
  std::string ttl_filter;
  if (heartbeat_column_) {
    ttl_filter =
        mysql ? " AND COALESCE(sv.last_seen_at, sv.joined_at) >= NOW() - INTERVAL :ttl SECOND"
              : " AND COALESCE(sv.last_seen_at, sv.joined_at) >= "
                "datetime('now', '-' || :ttl || ' seconds')";
  }
  // SQLite: every value as text, NULL kept (SOCI's SQLite backend reads a
  // column declared INT through a 32-bit int, even into a string).
  const auto value = [&](const std::string& column) {
    return mysql ? column : "CAST(" + column + " AS TEXT)";
  };
  std::string config_columns;
  for (const std::string_view key : kConfigKeys) {
    config_columns += " " + value("c." + std::string(key)) + ",";
  }
  // Real counts come from engagementd_real_counts, kept by the triggers of
  // migration 006 as the site writes: one primary-key read per live stream,
  // whatever the length of its history. A heartbeat column (time-based, no
  // trigger can follow it) has open sessions counted here instead, in a
  // derived table over the chunk's live streams' own rows (a range read per
  // stream on the (stream_id, is_fake, left_at) index).
  std::string viewers = "rc.viewers";
  std::string heartbeat_join;
  if (heartbeat_column_) {
    viewers = "rv.viewers";
    heartbeat_join =
        " LEFT JOIN (SELECT sv.stream_id, COUNT(*) AS viewers FROM live_streams lv"
        "   JOIN stream_viewers sv ON sv.stream_id = lv.id"
        "   WHERE lv.status = 'live' AND lv.id > :after_v AND lv.id <= :upto_v"
        "   AND sv.is_fake = 0 AND sv.left_at IS NULL" +
        ttl_filter + shard_filter("lv.id", shard, "_v") +
        "   GROUP BY sv.stream_id) rv ON rv.stream_id = ls.id";
  }
  // Plain columns, NULL for a missing row of a LEFT JOIN: no expression per
  // value (COALESCE, CASE and CAST measured twice the server's time).
  std::string columns;
  for (const char* c :
       {"ls.id", "ls.viewer_count", "ls.max_viewers", "ls.like_count", "ls.dislike_count",
        "ls.comment_count", "ls.includes_simulated", "c.stream_id"}) {
    columns += (columns.empty() ? "" : ", ") + value(c);
  }
  columns += "," + config_columns;
  for (const std::string& c :
       {std::string("st.stream_id"), std::string("st.sim_viewers"), std::string("st.sim_joins"),
        std::string("st.sim_likes"), std::string("st.peak_viewers"),
        std::string("st.first_tick_ms"), std::string("st.last_tick_ms"),
        std::string("st.finalized_ms"), std::string("st.real_peak"), std::string("st.sim_peak"),
        std::string("st.config_json"), viewers, std::string("rc.likes"), std::string("rc.dislikes"),
        std::string("rc.comments"), std::string("rc.stream_id")}) {
    columns += (columns.back() == ',' ? " " : ", ") + value(c);
  }
  return "SELECT " + columns +
         " FROM live_streams ls"
         " LEFT JOIN stream_engagement_config c ON c.stream_id = ls.id"
         " LEFT JOIN engagementd_stream_state st ON st.stream_id = ls.id"
         " LEFT JOIN engagementd_real_counts rc ON rc.stream_id = ls.id" +
         heartbeat_join + " WHERE ls.status = 'live' AND ls.id > :after AND ls.id <= :upto" +
         shard_filter("ls.id", shard) + " ORDER BY ls.id";
}

void Store::read_live_streams(std::chrono::milliseconds real_viewer_ttl, const Shard& shard,
                              std::size_t chunk,
                              const std::function<void(const std::vector<LiveStream>&)>& fn) {
  chunk = std::max<std::size_t>(1, chunk);
  const std::string query = live_streams_query(shard);

  // Bulk fetch: rows arrive in blocks into column vectors (at least 2 rows a
  // block: SOCI's SQLite backend returns no row into vectors of one).
  const std::size_t block = std::clamp<std::size_t>(chunk, 2, 1000);
  // Every column arrives as text with its indicator and is parsed here:
  // whole numbers by whole_number (SOCI's MySQL backend would use a
  // std::istringstream per value), config values by parse_number, so that a
  // site whose columns are not numeric (or SQLite, which stores any type)
  // cannot fail the whole read over one row. The columns, in query order:
  enum : std::size_t {
    kId,
    kShownViewers,
    kShownMax,
    kShownLikes,
    kShownDislikes,
    kShownComments,
    kShownSimulated,
    kConfigRow,
    kConfig0,
    kStateRow = kConfig0 + kConfigKeys.size(),
    kSimViewers,
    kSimJoins,
    kSimLikes,
    kPeak,
    kFirstTick,
    kLastTick,
    kFinalized,
    kRealPeak,
    kSimPeak,
    kConfigJson,
    kRealViewers,
    kRealLikes,
    kRealDislikes,
    kRealComments,
    kCountsRow,
    kColumns
  };
  std::array<std::vector<std::string>, kColumns> col;
  std::array<std::vector<soci::indicator>, kColumns> ind;
  const auto resize = [&] {
    for (auto& v : col) v.resize(block);
    for (auto& v : ind) v.resize(block);
  };
  resize();
  long long ttl_seconds = real_viewer_ttl.count() / 1000;
  long long after = -1, upto = 0;
  long long shard_count = shard.count, shard_index = shard.index;

  // The last id of the next chunk: the chunk-th live id after `after`.
  long long next_upto = 0;
  soci::indicator next_upto_ind = soci::i_ok;
  soci::statement bound(*sql_);
  bound.exchange(soci::into(next_upto, next_upto_ind));
  bound.exchange(soci::use(after));
  use_shard(bound, shard, shard_count, shard_index);
  bound.alloc();
  bound.prepare("SELECT id FROM live_streams WHERE status = 'live' AND id > :after" +
                shard_filter("id", shard) + " ORDER BY id LIMIT 1 OFFSET " +
                std::to_string(chunk - 1));
  bound.define_and_bind();

  soci::statement st(*sql_);
  for (std::size_t k = 0; k < kColumns; ++k) st.exchange(soci::into(col[k], ind[k]));
  // The placeholders in the order of the text: with a heartbeat column the
  // id range, the TTL and the shard in the viewers' derived table; then the
  // range and the shard in the outer WHERE.
  if (heartbeat_column_) {
    st.exchange(soci::use(after));
    st.exchange(soci::use(upto));
    st.exchange(soci::use(ttl_seconds));
    use_shard(st, shard, shard_count, shard_index);
  }
  st.exchange(soci::use(after));
  st.exchange(soci::use(upto));
  use_shard(st, shard, shard_count, shard_index);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();

  fold_real_deltas(shard);
  std::vector<LiveStream> out;
  out.reserve(chunk);
  std::vector<std::size_t> uncounted;  // streams of the chunk without a counts row
  for (bool last = false; !last;) {
    bound.execute(true);
    last = !bound.got_data() || next_upto_ind == soci::i_null;
    upto = last ? std::numeric_limits<long long>::max() : next_upto;
    out.clear();
    resize();
    bool more = st.execute(true);
    while (more) {
      const std::size_t rows = col[kId].size();
      for (std::size_t r = 0; r < rows; ++r) {
        const auto present = [&](std::size_t k) { return ind[k][r] != soci::i_null; };
        const auto at = [&](std::size_t k) { return present(k) ? whole_number(col[k][r]) : 0; };
        LiveStream s;
        s.id = at(kId);
        s.shown = Display{at(kShownViewers),  at(kShownMax),      at(kShownLikes),
                          at(kShownDislikes), at(kShownComments), at(kShownSimulated) != 0};
        if (present(kConfigRow)) {
          RawConfig raw;
          for (std::size_t k = 0; k < kConfigKeys.size(); ++k) {
            if (present(kConfig0 + k)) raw[k] = parse_number(col[kConfig0 + k][r]);
          }
          s.config = raw;
        }
        if (present(kStateRow)) {
          s.state = StoredState{SimState{at(kSimViewers), at(kSimJoins), at(kSimLikes), at(kPeak),
                                         at(kRealPeak), at(kSimPeak)},
                                at(kFirstTick), at(kLastTick), present(kFinalized),
                                present(kConfigJson) ? col[kConfigJson][r] : std::string()};
        }
        s.real = RealCounts{at(kRealViewers), at(kRealLikes), at(kRealDislikes), at(kRealComments)};
        if (!present(kCountsRow)) {
          uncounted.push_back(out.size());
        } else if (s.real.viewers < 0 || s.real.likes < 0 || s.real.dislikes < 0 ||
                   s.real.comments < 0) {
          // Only a change that bypassed the triggers (a restore, a TRUNCATE,
          // rows deleted by hand) makes a kept count negative: count again.
          problems_.push_back({s.id,
                               "kept real counts were negative (rows changed without the "
                               "triggers, e.g. a restore); counted again from the site's rows",
                               false});
          uncounted.push_back(out.size());
        }
        out.push_back(std::move(s));
      }
      more = st.fetch();
    }
    if (!uncounted.empty()) {
      count_real(out, uncounted);
      uncounted.clear();
    }
    if (!out.empty()) fn(out);
    after = upto;
  }
}

void Store::fold_real_deltas(const Shard& shard) {
  const bool mysql = backend_ == Backend::mysql;
  // The changes the triggers appended, as this tick's snapshot shows them.
  std::vector<long long> ids;
  std::map<long long, RealCounts> sums;
  {
    long long id = 0, stream = 0, v = 0, l = 0, d = 0, c = 0;
    long long shard_count = shard.count, shard_index = shard.index;
    soci::statement st(*sql_);
    for (long long* x : {&id, &stream, &v, &l, &d, &c}) st.exchange(soci::into(*x));
    use_shard(st, shard, shard_count, shard_index);
    st.alloc();
    st.prepare(
        "SELECT id, stream_id, viewers, likes, dislikes, comments FROM engagementd_real_deltas"
        " WHERE 1 = 1" +
        shard_filter("stream_id", shard) + " ORDER BY id");
    st.define_and_bind();
    st.execute();
    while (st.fetch()) {
      ids.push_back(id);
      RealCounts& sum = sums[stream];
      sum.viewers += v;
      sum.likes += l;
      sum.dislikes += d;
      sum.comments += c;
    }
  }
  if (ids.empty()) return;
  // Added to the kept counts that exist; a stream without one is counted
  // from its rows (in this same snapshot) when it is seen live.
  std::vector<std::pair<long long, RealCounts>> rows(sums.begin(), sums.end());
  in_batches(rows, [&](std::size_t begin, std::size_t end) {
    BoundSql q(*sql_);
    const auto row = [&](std::size_t i, bool named) {
      const RealCounts& r = rows[i].second;
      q.value(rows[i].first).text(named ? " AS stream_id, " : ", ");
      q.value(static_cast<long long>(r.viewers)).text(named ? " AS viewers, " : ", ");
      q.value(static_cast<long long>(r.likes)).text(named ? " AS likes, " : ", ");
      q.value(static_cast<long long>(r.dislikes)).text(named ? " AS dislikes, " : ", ");
      q.value(static_cast<long long>(r.comments)).text(named ? " AS comments" : "");
    };
    if (mysql) {
      q.text("UPDATE engagementd_real_counts rc JOIN (");
      for (std::size_t i = begin; i < end; ++i) {
        q.text(i == begin ? "SELECT " : " UNION ALL SELECT ");
        row(i, i == begin);
      }
      q.text(
          ") d ON rc.stream_id = d.stream_id"
          " SET rc.viewers = rc.viewers + d.viewers, rc.likes = rc.likes + d.likes,"
          " rc.dislikes = rc.dislikes + d.dislikes, rc.comments = rc.comments + d.comments");
    } else {
      q.text(
          "UPDATE engagementd_real_counts SET viewers = viewers + d.column2, likes = likes +"
          " d.column3, dislikes = dislikes + d.column4, comments = comments + d.column5 FROM"
          " (VALUES ");
      for (std::size_t i = begin; i < end; ++i) {
        q.text(i == begin ? "(" : ", (");
        row(i, false);
        q.text(")");
      }
      q.text(") AS d WHERE engagementd_real_counts.stream_id = d.column1");
    }
    q.execute();
  });
  // Exactly the rows read: one appended meanwhile (not in the snapshot)
  // stays. By primary key, one point each: a scan (the optimizer's choice
  // when the list covers most of the table) would lock the gaps up to the
  // table's end until the tick commits, and the triggers' inserts would
  // wait for it; a point on a unique key locks that row alone.
  // MariaDB: a join on the primary key (eq_ref), not `IN (...)`: a
  // multi-row IN takes next-key locks, i.e. the gap below each row too, and
  // on a Galera cluster, where each node's ids interleave (auto-increment
  // step = cluster size), the site's rows from other nodes land in exactly
  // those gaps: their replication aborted the tick (measured, tests/galera).
  in_batches(ids, [&](std::size_t begin, std::size_t end) {
    BoundSql q(*sql_);
    if (mysql) {
      q.text("DELETE d FROM engagementd_real_deltas d JOIN (");
      for (std::size_t i = begin; i < end; ++i) {
        q.text(i == begin ? "SELECT " : " UNION ALL SELECT ").value(ids[i]);
        if (i == begin) q.text(" AS id");
      }
      q.text(") k ON d.id = k.id");
    } else {
      q.text("DELETE FROM engagementd_real_deltas WHERE id IN (");
      for (std::size_t i = begin; i < end; ++i) q.text(i == begin ? "" : ", ").value(ids[i]);
      q.text(")");
    }
    q.execute();
  });
}

void Store::count_real(std::vector<LiveStream>& streams, const std::vector<std::size_t>& which) {
  const bool mysql = backend_ == Backend::mysql;
  // Consistent reads, in the tick's snapshot (REPEATABLE READ): the site's
  // writes never wait for them. A change the snapshot shows is counted here
  // and its delta, visible in the same snapshot, was left out by
  // fold_real_deltas (the stream had no counts row); a change it does not
  // show has a delta it does not show either, added at a later tick. Either
  // way once. (SQLite: the tick holds the database's write lock.)
  const std::string lock;
  for (std::size_t begin = 0; begin < which.size(); begin += kBatchRows) {
    const std::size_t end = std::min(which.size(), begin + kBatchRows);
    std::vector<long long> ids;
    ids.reserve(end - begin);
    std::string list;
    std::map<long long, RealCounts> counts;
    for (std::size_t i = begin; i < end; ++i) {
      list += (i == begin ? ":i" : ", :i") + std::to_string(i - begin);
      ids.push_back(streams[which[i]].id);
      counts[ids.back()] = RealCounts{};
    }
    // Each row of a grouped count: the stream, a kind, how many.
    const auto grouped = [&](const std::string& query, const auto& add) {
      long long id = 0, n = 0;
      std::string kind;
      soci::statement st(*sql_);
      st.exchange(soci::into(id));
      st.exchange(soci::into(kind));
      st.exchange(soci::into(n));
      for (long long& v : ids) st.exchange(soci::use(v));
      st.alloc();
      st.prepare(query);
      st.define_and_bind();
      st.execute();
      while (st.fetch()) add(counts[id], kind, n);
    };
    grouped("SELECT stream_id, 'viewers', COUNT(*) FROM stream_viewers WHERE stream_id IN (" +
                list + ") AND is_fake = 0 AND left_at IS NULL GROUP BY stream_id" + lock,
            [](RealCounts& c, const std::string&, long long n) { c.viewers = n; });
    grouped(std::string("SELECT stream_id, ") +
                (mysql ? "CAST(interaction_type AS CHAR)" : "interaction_type") +
                ", COUNT(*) FROM stream_interactions WHERE stream_id IN (" + list +
                ") AND is_fake = 0 AND interaction_type IN ('like', 'dislike', 'comment')"
                " GROUP BY stream_id, interaction_type" +
                lock,
            [](RealCounts& c, const std::string& kind, long long n) {
              if (kind == "like") c.likes = n;
              if (kind == "dislike") c.dislikes = n;
              if (kind == "comment") c.comments = n;
            });
    BoundSql q(*sql_);
    q.text(
        "INSERT INTO engagementd_real_counts (stream_id, viewers, likes, dislikes, comments)"
        " VALUES ");
    bool first = true;
    for (const auto& [id, c] : counts) {
      q.text(first ? "(" : ", (").value(id).text(", ");
      q.value(static_cast<long long>(c.viewers)).text(", ");
      q.value(static_cast<long long>(c.likes)).text(", ");
      q.value(static_cast<long long>(c.dislikes)).text(", ");
      q.value(static_cast<long long>(c.comments)).text(")");
      first = false;
    }
    q.text(mysql ? " ON DUPLICATE KEY UPDATE viewers = VALUES(viewers), likes = VALUES(likes),"
                   " dislikes = VALUES(dislikes), comments = VALUES(comments)"
                 : " ON CONFLICT(stream_id) DO UPDATE SET viewers = excluded.viewers,"
                   " likes = excluded.likes, dislikes = excluded.dislikes,"
                   " comments = excluded.comments");
    q.execute();
    for (std::size_t i = begin; i < end; ++i) {
      LiveStream& s = streams[which[i]];
      const RealCounts& c = counts[s.id];
      // With a heartbeat column the open sessions were counted by the read.
      if (!heartbeat_column_) s.real.viewers = c.viewers;
      s.real.likes = c.likes;
      s.real.dislikes = c.dislikes;
      s.real.comments = c.comments;
    }
  }
}

std::vector<LiveStream> Store::read_live_streams(std::chrono::milliseconds real_viewer_ttl,
                                                 const Shard& shard) {
  std::vector<LiveStream> all;
  read_live_streams(real_viewer_ttl, shard, 5000, [&](const std::vector<LiveStream>& chunk) {
    all.insert(all.end(), chunk.begin(), chunk.end());
  });
  return all;
}

std::vector<EndedStream> Store::read_ended_streams(const Shard& shard) {
  const bool mysql = backend_ == Backend::mysql;
  const std::string duration =
      mysql ? "COALESCE(TIMESTAMPDIFF(SECOND, ls.started_at, COALESCE(ls.ended_at, NOW())), -1)"
            : "COALESCE(CAST(ROUND((julianday(COALESCE(ls.ended_at, 'now'))"
              " - julianday(ls.started_at)) * 86400) AS INTEGER), -1)";
  const std::string query =
      "SELECT st.stream_id, CASE WHEN ls.id IS NULL THEN 0 ELSE 1 END, COALESCE(ls.status, ''),"
      " st.sim_viewers, st.sim_joins, st.sim_likes, st.peak_viewers, st.first_tick_ms,"
      " st.last_tick_ms, st.real_peak, st.sim_peak,"
      " (SELECT COUNT(DISTINCT sv.session_id) FROM stream_viewers sv"
      "   WHERE sv.stream_id = st.stream_id AND sv.is_fake = 0)," +
      real_interaction_counts("st.stream_id") + ", " + duration +
      " FROM engagementd_stream_state st LEFT JOIN live_streams ls ON ls.id = st.stream_id"
      " WHERE st.finalized_ms IS NULL AND (ls.id IS NULL OR ls.status <> 'live')" +
      shard_filter("st.stream_id", shard) + " ORDER BY st.stream_id";
  long long id = 0, exists = 0, sv = 0, sj = 0, sl = 0, sp = 0, first = 0, last = 0;
  long long real_peak = 0, sim_peak = 0;
  long long total = 0, likes = 0, dislikes = 0, comments = 0, duration_s = 0;
  std::string status;
  long long shard_count = shard.count, shard_index = shard.index;
  soci::statement st(*sql_);
  for (long long* v : {&id, &exists}) st.exchange(soci::into(*v));
  st.exchange(soci::into(status));
  for (long long* v : {&sv, &sj, &sl, &sp, &first, &last, &real_peak, &sim_peak, &total, &likes,
                       &dislikes, &comments, &duration_s}) {
    st.exchange(soci::into(*v));
  }
  use_shard(st, shard, shard_count, shard_index);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute();
  std::vector<EndedStream> out;
  while (st.fetch()) {
    EndedStream e;
    e.id = id;
    e.exists = exists != 0;
    e.status = status;
    e.state = StoredState{SimState{sv, sj, sl, sp, real_peak, sim_peak}, first, last, false, {}};
    e.real_viewers_total = total;
    e.real = RealCounts{0, likes, dislikes, comments};
    e.duration_seconds = duration_s;
    out.push_back(std::move(e));
  }
  return out;
}

void Store::insert_configs(const std::vector<ConfigInsert>& rows) {
  in_batches(rows, [&](std::size_t begin, std::size_t end) {
    BoundSql q(*sql_);
    q.text(backend_ == Backend::mysql ? "INSERT IGNORE" : "INSERT");
    q.text(
        " INTO stream_engagement_config (stream_id, fake_viewers_enabled, "
        "fake_likes_enabled, min_fake_viewers, max_fake_viewers, viewer_increase_rate, "
        "viewer_decrease_rate, like_rate, engagement_multiplier) VALUES ");
    for (std::size_t i = begin; i < end; ++i) {
      const EngagementConfig& c = rows[i].config;
      q.text(i == begin ? "(" : ", (").value(static_cast<long long>(rows[i].stream_id));
      q.text(", ")
          .value(c.viewers_enabled ? 1LL : 0LL)
          .text(", ")
          .value(c.likes_enabled ? 1LL : 0LL);
      q.text(", ").value(static_cast<long long>(c.min_viewers));
      q.text(", ").value(static_cast<long long>(c.max_viewers));
      q.text(", ").value(c.increase_rate).text(", ").value(c.decrease_rate);
      q.text(", ").value(c.like_rate).text(", ").value(c.multiplier).text(")");
    }
    // The admin panel may create the row at the same moment: theirs wins.
    // (INSERT IGNORE needs only the INSERT privilege; see schema/mysql/grants.sql.)
    if (backend_ != Backend::mysql) q.text(" ON CONFLICT(stream_id) DO NOTHING");
    q.execute();
  });
}

void Store::write_states(const std::vector<StateWrite>& rows) {
  if (rows.empty()) return;
  if (local_infile_ && write_states_bulk(rows)) return;
  in_batches(rows, [&](std::size_t first, std::size_t last) {
    isolating(
        first, last,
        [&](std::size_t begin, std::size_t end) {
          BoundSql q(*sql_);
          q.text(
              "INSERT INTO engagementd_stream_state (stream_id, sim_viewers, sim_joins, sim_likes, "
              "peak_viewers, first_tick_ms, last_tick_ms, finalized_ms, real_peak, sim_peak, "
              "config_json) VALUES ");
          for (std::size_t i = begin; i < end; ++i) {
            const StateWrite& w = rows[i];
            q.text(i == begin ? "(" : ", (").value(static_cast<long long>(w.stream_id));
            q.text(", ").value(static_cast<long long>(w.sim.viewers));
            q.text(", ").value(static_cast<long long>(w.sim.joins));
            q.text(", ").value(static_cast<long long>(w.sim.likes));
            q.text(", ").value(static_cast<long long>(w.sim.peak));
            q.text(", ").value(static_cast<long long>(w.first_tick_ms));
            q.text(", ").value(static_cast<long long>(w.last_tick_ms)).text(", NULL");
            q.text(", ").value(static_cast<long long>(w.sim.real_peak));
            q.text(", ").value(static_cast<long long>(w.sim.sim_peak)).text(", ");
            if (w.config_json.empty()) {
              q.text("NULL)");
            } else {
              q.value(w.config_json).text(")");
            }
          }
          if (backend_ == Backend::mysql) {
            q.text(
                " ON DUPLICATE KEY UPDATE sim_viewers = VALUES(sim_viewers), sim_joins = "
                "VALUES(sim_joins), sim_likes = VALUES(sim_likes), peak_viewers = "
                "VALUES(peak_viewers), "
                "last_tick_ms = VALUES(last_tick_ms), finalized_ms = NULL, real_peak = "
                "VALUES(real_peak), sim_peak = VALUES(sim_peak), config_json = "
                "COALESCE(VALUES(config_json), config_json)");
          } else {
            q.text(
                " ON CONFLICT(stream_id) DO UPDATE SET sim_viewers = excluded.sim_viewers, "
                "sim_joins = "
                "excluded.sim_joins, sim_likes = excluded.sim_likes, peak_viewers = "
                "excluded.peak_viewers, last_tick_ms = excluded.last_tick_ms, finalized_ms = NULL, "
                "real_peak = excluded.real_peak, sim_peak = excluded.sim_peak, config_json = "
                "COALESCE(excluded.config_json, engagementd_stream_state.config_json)");
          }
          q.execute();
        },
        [&](std::size_t i) { return rows[i].stream_id; });
  });
}

void Store::write_displays(const std::vector<DisplayWrite>& rows) {
  if (rows.empty()) return;
  if (local_infile_ && write_displays_bulk(rows)) return;
  const bool mysql = backend_ == Backend::mysql;
  in_batches(rows, [&](std::size_t first, std::size_t last) {
    isolating(
        first, last,
        [&](std::size_t begin, std::size_t end) {
          BoundSql q(*sql_);
          auto row = [&](std::size_t i, bool named) {
            const DisplayWrite& w = rows[i];
            const Display& d = w.display;
            q.value(static_cast<long long>(w.stream_id)).text(named ? " AS id, " : ", ");
            q.value(static_cast<long long>(d.viewers)).text(named ? " AS vc, " : ", ");
            q.value(static_cast<long long>(d.max_viewers)).text(named ? " AS mv, " : ", ");
            q.value(static_cast<long long>(d.likes)).text(named ? " AS lc, " : ", ");
            q.value(static_cast<long long>(d.dislikes)).text(named ? " AS dc, " : ", ");
            q.value(static_cast<long long>(d.comments)).text(named ? " AS cc, " : ", ");
            q.value(d.simulated ? 1LL : 0LL).text(named ? " AS sf" : "");
          };
          if (mysql) {
            q.text("UPDATE live_streams ls JOIN (");
            for (std::size_t i = begin; i < end; ++i) {
              q.text(i == begin ? "SELECT " : " UNION ALL SELECT ");
              row(i, i == begin);
            }
            q.text(
                ") d ON ls.id = d.id SET ls.viewer_count = d.vc, ls.max_viewers = d.mv, "
                "ls.like_count = d.lc, ls.dislike_count = d.dc, ls.comment_count = d.cc, "
                "ls.includes_simulated = d.sf");
            // Display numbers are not an edit of the stream: keep updated_at.
            if (updated_at_column_) q.text(", ls.updated_at = ls.updated_at");
            q.text(" WHERE ls.status = 'live'");
          } else {
            q.text(
                "UPDATE live_streams SET viewer_count = d.column2, max_viewers = d.column3, "
                "like_count = d.column4, dislike_count = d.column5, comment_count = d.column6, "
                "includes_simulated = d.column7 "
                "FROM (VALUES ");
            for (std::size_t i = begin; i < end; ++i) {
              q.text(i == begin ? "(" : ", (");
              row(i, false);
              q.text(")");
            }
            q.text(") AS d WHERE live_streams.id = d.column1 AND live_streams.status = 'live'");
          }
          q.execute();
        },
        [&](std::size_t i) { return rows[i].stream_id; });
  });
}

bool Store::finalize(const Finalization& f) {
  // One stream's statements in a savepoint: a failure of its own (a value,
  // a constraint, a trigger of the site's) sets it aside, not the tick.
  bool done = false;
  isolating(
      0, 1, [&](std::size_t, std::size_t) { done = finalize_rows(f); },
      [&](std::size_t) { return f.stream_id; });
  return done;
}

bool Store::finalize_rows(const Finalization& f) {
  const long long id = f.stream_id;
  const Display& d = f.final_display;
  // The guard: whoever turns finalized_ms from NULL does the rest, once.
  {
    BoundSql q(*sql_);
    q.text("UPDATE engagementd_stream_state SET finalized_ms = ")
        .value(static_cast<long long>(f.finalized_ms))
        .text(" WHERE stream_id = ")
        .value(id)
        .text(" AND finalized_ms IS NULL");
    if (q.execute() != 1) return false;
  }
  {
    // The stream's counts row is no longer needed: the summary has them.
    BoundSql q(*sql_);
    q.text("DELETE FROM engagementd_real_counts WHERE stream_id = ").value(id);
    q.execute();
  }
  if (f.stream_exists) {
    BoundSql q(*sql_);
    q.text("UPDATE live_streams SET viewer_count = ").value(static_cast<long long>(d.viewers));
    q.text(", max_viewers = ").value(static_cast<long long>(d.max_viewers));
    q.text(", like_count = ").value(static_cast<long long>(d.likes));
    q.text(", dislike_count = ").value(static_cast<long long>(d.dislikes));
    q.text(", comment_count = ").value(static_cast<long long>(d.comments));
    q.text(", includes_simulated = ").value(d.simulated ? 1LL : 0LL);
    if (updated_at_column_) q.text(", updated_at = updated_at");
    q.text(" WHERE id = ").value(id).text(" AND status <> 'live'");
    q.execute();
  }
  // The replay row, in its shape's own columns, if it is there already (one
  // written later gets them from sync_saved_streams).
  if (saved_shape_ == SavedStreamsShape::with_ids || saved_shape_ == SavedStreamsShape::linked) {
    BoundSql saved(*sql_);
    if (saved_shape_ == SavedStreamsShape::with_ids) {
      saved.text("UPDATE saved_streams SET viewer_count = ")
          .value(static_cast<long long>(d.viewers));
      saved.text(", like_count = ").value(static_cast<long long>(d.likes));
    } else {
      saved.text("UPDATE saved_streams SET views = ").value(static_cast<long long>(d.viewers));
      saved.text(", likes = ").value(static_cast<long long>(d.likes));
      saved.text(", dislikes = ").value(static_cast<long long>(d.dislikes));
    }
    saved.text(" WHERE stream_id = ").value(id);
    saved.execute();
  }
  BoundSql q(*sql_);
  q.text(
      "REPLACE INTO engagementd_stream_summary (stream_id, final_status, duration_seconds, "
      "real_viewers_total, sim_viewers_total, real_likes, sim_likes, real_dislikes, "
      "real_comments, peak_viewers, final_viewer_count, final_like_count, real_peak, sim_peak, "
      "finalized_ms) VALUES (");
  q.value(id).text(", ").value(f.final_status).text(", ");
  for (long long v :
       {static_cast<long long>(f.duration_seconds), static_cast<long long>(f.real_viewers_total),
        static_cast<long long>(f.sim_viewers_total), static_cast<long long>(f.real.likes),
        static_cast<long long>(f.sim_likes), static_cast<long long>(f.real.dislikes),
        static_cast<long long>(f.real.comments), static_cast<long long>(d.max_viewers),
        static_cast<long long>(d.viewers), static_cast<long long>(d.likes),
        static_cast<long long>(f.real_peak), static_cast<long long>(f.sim_peak)}) {
    q.value(v).text(", ");
  }
  q.value(static_cast<long long>(f.finalized_ms)).text(")");
  q.execute();
  return true;
}

namespace {

// The lease row of a shard, read plainly or with a locking clause; nullopt
// if there is no row.
std::optional<Lease> select_lease(soci::session& sql, int shard, const char* lock) {
  std::string holder, server_host;
  long long token = 0, conn = 0, expires = 0, last = 0, started = 0;
  sql << std::string(
             "SELECT holder, token, connection_id, expires_ms, last_tick_ms, server_host,"
             " server_started_s FROM engagementd_leader WHERE shard = :s") +
             lock,
      soci::use(shard), soci::into(holder), soci::into(token), soci::into(conn),
      soci::into(expires), soci::into(last), soci::into(server_host), soci::into(started);
  if (!sql.got_data()) return std::nullopt;
  return Lease{holder, token, conn, expires, last, server_host, started};
}

}  // namespace

std::optional<Lease> Store::peek_lease(int shard) {
  return select_lease(*sql_, shard, "");
}

std::optional<Lease> Store::lock_lease(int shard) {
  const bool mysql = backend_ == Backend::mysql;
  if (!mysql) {
    // SQLite has no row locks: this write takes the database's write lock
    // for the transaction, which serializes instances just the same.
    *sql_ << "INSERT OR IGNORE INTO engagementd_leader (shard, holder, token, expires_ms)"
             " VALUES (:s, '', 0, 0)",
        soci::use(shard);
    return peek_lease(shard);
  }
  // The locking read comes first in the transaction, so the snapshot the
  // tick then reads from is taken after the lease is held.
  for (int attempt = 0;; ++attempt) {
    std::optional<Lease> lease;
    try {
      lease = select_lease(*sql_, shard, " FOR UPDATE NOWAIT");
    } catch (const soci::soci_error& e) {
      // 1205 (MariaDB) or 3572 (MySQL): another session holds the row.
      const int n = error_number(e);
      if (n == 1205 || n == 3572) return std::nullopt;
      throw;
    }
    if (lease) {
      // The stamp of the lock's holder (lease_lock_holder): uncommitted
      // until the tick commits, visible to a standby's dirty read only
      // while this transaction holds the row.
      // With the node: connection ids are per node on a cluster (010).
      const std::string node = this->node();
      *sql_ << "UPDATE engagementd_leader SET connection_id = CONNECTION_ID(),"
               " lock_account = CURRENT_USER(), lock_nonce = lock_nonce + 1,"
               " lock_node = :n WHERE shard = :s",
          soci::use(node), soci::use(shard);
      return lease;
    }
    if (attempt > 0) throw std::runtime_error("the engagementd_leader row cannot be created");
    // A shard seen for the first time: an empty, expired row to lock.
    *sql_ << "INSERT IGNORE INTO engagementd_leader (shard, holder, token, expires_ms)"
             " VALUES (:s, '', 0, 0)",
        soci::use(shard);
  }
}

std::optional<LeaseLockHolder> Store::lease_lock_holder(int shard) {
  if (backend_ != Backend::mysql) return std::nullopt;
  long long conn = 0, dirty_nonce = 0, committed_nonce = 0;
  std::string account, node;
  bool found = false;
  // The newest version of the row, committed or not.
  *sql_ << "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED";
  try {
    *sql_ << "SELECT connection_id, lock_nonce, lock_account, lock_node FROM engagementd_leader"
             " WHERE shard = :s",
        soci::use(shard), soci::into(conn), soci::into(dirty_nonce), soci::into(account),
        soci::into(node);
    found = sql_->got_data();
  } catch (...) {
    *sql_ << "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    throw;
  }
  *sql_ << "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
  if (!found) return std::nullopt;
  // The committed version, read after it: a holder that committed in
  // between shows the same nonce both ways, and proves nothing.
  *sql_ << "SELECT lock_nonce FROM engagementd_leader WHERE shard = :s", soci::use(shard),
      soci::into(committed_nonce);
  if (dirty_nonce == committed_nonce || conn <= 0) return std::nullopt;
  std::string own;
  *sql_ << "SELECT CURRENT_USER()", soci::into(own);
  return LeaseLockHolder{conn, account, account == own, node, node == this->node()};
}

std::string Store::node() {
  if (backend_ != Backend::mysql) return {};
  if (!node_) node_ = node_identity(read_cluster_facts(*sql_));
  return *node_;
}

std::pair<std::string, std::int64_t> Store::server_identity() {
  if (backend_ != Backend::mysql) return {};
  if (!server_identity_) {
    std::string host, name, uptime;
    long long port = 0, now = 0;
    *sql_ << "SELECT @@hostname, @@port, UNIX_TIMESTAMP()", soci::into(host), soci::into(port),
        soci::into(now);
    // SHOW STATUS: the one form MariaDB and MySQL 8 both have, no privilege needed.
    *sql_ << "SHOW GLOBAL STATUS LIKE 'Uptime'", soci::into(name), soci::into(uptime);
    server_identity_.emplace(host + ":" + std::to_string(port), now - std::stoll(uptime));
  }
  return *server_identity_;
}

bool Store::write_lease(int shard, const Lease& read, const Lease& next) {
  BoundSql q(*sql_);
  q.text("UPDATE engagementd_leader SET holder = ").value(next.holder);
  q.text(", token = ").value(static_cast<long long>(next.token));
  q.text(", connection_id = ").value(static_cast<long long>(next.connection_id));
  q.text(", expires_ms = ").value(static_cast<long long>(next.expires_ms));
  q.text(", last_tick_ms = ").value(static_cast<long long>(next.last_tick_ms));
  q.text(", server_host = ").value(next.server_host);
  q.text(", server_started_s = ").value(static_cast<long long>(next.server_started_s));
  q.text(" WHERE shard = ").value(static_cast<long long>(shard));
  q.text(" AND token = ").value(static_cast<long long>(read.token));
  q.text(" AND last_tick_ms = ").value(static_cast<long long>(read.last_tick_ms));
  return q.execute() == 1;
}

void Store::release_lease(int shard, const std::string& holder, std::int64_t token) {
  BoundSql q(*sql_);
  q.text("UPDATE engagementd_leader SET expires_ms = 0 WHERE shard = ")
      .value(static_cast<long long>(shard));
  q.text(" AND holder = ").value(holder).text(" AND token = ").value(static_cast<long long>(token));
  q.execute();
}

std::int64_t Store::connection_id() {
  if (backend_ != Backend::mysql) return 0;
  if (connection_id_ < 0) {
    long long id = 0;
    *sql_ << "SELECT CONNECTION_ID()", soci::into(id);
    connection_id_ = id;
  }
  return connection_id_;
}

void Store::kill_connection(std::int64_t id) {
  if (backend_ != Backend::mysql || id <= 0) return;
  const long long n = id;
  // KILL takes no placeholder; the id is a number we format ourselves.
  *sql_ << "KILL CONNECTION " + std::to_string(n);
}

int Store::error_number(const std::exception& e) {
  if (const auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    return static_cast<int>(m->err_num_);
  }
  return 0;
}

bool Store::is_retryable(const std::exception& e) {
  const int n = error_number(e);
  if (n == 1213 || n == 1205) return true;  // deadlock, lock wait timeout
  // SOCI reports some statement errors without the number; the text is stable.
  const std::string what = e.what();
  return what.find("Deadlock found") != std::string::npos ||
         what.find("Lock wait timeout exceeded") != std::string::npos;
}

bool Store::is_statement_error(const std::exception& e) {
  if (is_retryable(e)) return false;
  if (const auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    const int n = static_cast<int>(m->err_num_);
    if (n >= 2000 && n < 3000) return false;  // client errors: the connection
    switch (n) {
      case 1040:  // too many connections
      case 1053:  // server shutdown in progress
      case 1077:
      case 1078:
      case 1079:
      case 1080:  // shutdown
      case 1152:  // aborted connection
      case 1153:  // packet too large
      case 1154:
      case 1155:
      case 1156:
      case 1157:
      case 1158:
      case 1159:
      case 1160:
      case 1161:  // network read/write errors
      case 1184:  // aborted new connection
      case 1290:  // --read-only: another server may be the primary after a reconnect
      case 1836:  // read-only mode
      case 1927:  // connection killed
      case 4031:  // disconnected by the server (MySQL 8)
        return false;
      default:
        return true;
    }
  }
  if (const auto* l = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    switch (l->result()) {
      case 1:   // SQLITE_ERROR: the SQL (no such table or column)
      case 19:  // SQLITE_CONSTRAINT
      case 20:  // SQLITE_MISMATCH
      case 25:  // SQLITE_RANGE
        return true;
      default:
        return false;  // busy, locked, I/O, full, corrupt: the database
    }
  }
  // SOCI's own errors (a conversion of a value): about the statement.
  return dynamic_cast<const soci::soci_error*>(&e) != nullptr;
}

long long Store::sync_saved_streams(std::int64_t now_ms, std::int64_t window_ms) {
  if (!columns_detected_) detect_columns();
  const bool mysql = backend_ == Backend::mysql;
  std::string set, differs;
  if (saved_shape_ == SavedStreamsShape::with_ids) {
    set = mysql ? "sv.viewer_count = s.final_viewer_count, sv.like_count = s.final_like_count"
                : "viewer_count = s.final_viewer_count, like_count = s.final_like_count";
    differs =
        " AND (sv.viewer_count <> s.final_viewer_count OR sv.like_count <> "
        "s.final_like_count)";
  } else if (saved_shape_ == SavedStreamsShape::linked) {
    set = mysql ? "sv.views = s.final_viewer_count, sv.likes = s.final_like_count,"
                  " sv.dislikes = s.real_dislikes"
                : "views = s.final_viewer_count, likes = s.final_like_count,"
                  " dislikes = s.real_dislikes";
    differs =
        " AND (sv.views IS NULL OR sv.likes IS NULL OR sv.dislikes IS NULL"
        " OR sv.views <> s.final_viewer_count OR sv.likes <> s.final_like_count"
        " OR sv.dislikes <> s.real_dislikes)";
  } else {
    return 0;
  }
  long long since = now_ms - window_ms;
  long long limit = display_limit_;
  soci::statement st(*sql_);
  st.exchange(soci::use(since));
  st.alloc();
  if (mysql) {
    st.prepare("UPDATE saved_streams sv JOIN (SELECT stream_id, LEAST(final_viewer_count, " +
               std::to_string(limit) + ") AS final_viewer_count, LEAST(final_like_count, " +
               std::to_string(limit) + ") AS final_like_count, LEAST(real_dislikes, " +
               std::to_string(limit) +
               ") AS real_dislikes FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
               " ON s.stream_id = sv.stream_id SET " +
               set + " WHERE sv.stream_id IS NOT NULL" + differs);
  } else {
    st.prepare("UPDATE saved_streams AS sv SET " + set +
               " FROM (SELECT stream_id, final_viewer_count, final_like_count, real_dislikes"
               " FROM engagementd_stream_summary WHERE finalized_ms >= :since) s"
               " WHERE s.stream_id = sv.stream_id" +
               differs);
  }
  st.define_and_bind();
  // In a savepoint: a failure (the account may not read the table) must not
  // take the tick's other writes with it.
  *sql_ << "SAVEPOINT engagementd_saved";
  try {
    st.execute(true);
  } catch (const soci::soci_error& e) {
    if (is_statement_error(e)) {
      *sql_ << "ROLLBACK TO SAVEPOINT engagementd_saved";
      *sql_ << "RELEASE SAVEPOINT engagementd_saved";
    }
    throw;
  }
  *sql_ << "RELEASE SAVEPOINT engagementd_saved";
  return st.get_affected_rows();
}

std::vector<Store::CountsCheck> Store::check_real_counts(std::optional<std::int64_t> stream) {
  const std::string query =
      "SELECT rc.stream_id, rc.viewers + COALESCE((SELECT SUM(d.viewers) FROM"
      " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.likes +"
      " COALESCE((SELECT SUM(d.likes) FROM engagementd_real_deltas d WHERE d.stream_id ="
      " rc.stream_id), 0), rc.dislikes + COALESCE((SELECT SUM(d.dislikes) FROM"
      " engagementd_real_deltas d WHERE d.stream_id = rc.stream_id), 0), rc.comments +"
      " COALESCE((SELECT SUM(d.comments) FROM engagementd_real_deltas d WHERE d.stream_id ="
      " rc.stream_id), 0),"
      " (SELECT COUNT(*) FROM stream_viewers sv WHERE sv.stream_id = rc.stream_id"
      "   AND sv.is_fake = 0 AND sv.left_at IS NULL)," +
      real_interaction_counts("rc.stream_id") + " FROM engagementd_real_counts rc" +
      std::string(stream ? " WHERE rc.stream_id = :id" : "") + " ORDER BY rc.stream_id";
  long long id = 0, kv = 0, kl = 0, kd = 0, kc = 0, cv = 0, cl = 0, cd = 0, cc = 0;
  long long wanted = stream.value_or(0);
  soci::statement st(*sql_);
  for (long long* v : {&id, &kv, &kl, &kd, &kc, &cv, &cl, &cd, &cc}) st.exchange(soci::into(*v));
  if (stream) st.exchange(soci::use(wanted));
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute();
  std::vector<CountsCheck> out;
  while (st.fetch()) out.push_back({id, RealCounts{kv, kl, kd, kc}, RealCounts{cv, cl, cd, cc}});
  return out;
}

long long Store::drop_real_counts(std::optional<std::int64_t> stream) {
  BoundSql q(*sql_);
  q.text("DELETE FROM engagementd_real_counts");
  if (stream) q.text(" WHERE stream_id = ").value(static_cast<long long>(*stream));
  return q.execute();
}

void Store::append_audit(const std::vector<AuditEvent>& rows) {
  in_batches(rows, [&](std::size_t begin, std::size_t end) {
    BoundSql q(*sql_);
    q.text("INSERT INTO engagementd_audit (at_ms, event, stream_id, detail) VALUES ");
    for (std::size_t i = begin; i < end; ++i) {
      const AuditEvent& a = rows[i];
      q.text(i == begin ? "(" : ", (").value(static_cast<long long>(a.at_ms));
      q.text(", ").value(a.event).text(", ");
      if (a.stream_id) {
        q.value(static_cast<long long>(*a.stream_id));
      } else {
        q.text("NULL");
      }
      q.text(", ").value(a.detail).text(")");
    }
    q.execute();
  });
}

std::optional<std::string> Store::last_audit_detail(const std::string& event) {
  std::string detail;
  soci::indicator ind = soci::i_null;
  *sql_ << "SELECT detail FROM engagementd_audit WHERE event = :e ORDER BY id DESC LIMIT 1",
      soci::use(event), soci::into(detail, ind);
  if (!sql_->got_data() || ind == soci::i_null) return std::nullopt;
  return detail;
}

}  // namespace engagementd
