// The bulk writer (MariaDB/MySQL, database.local_infile): a tick's rows sent
// by LOAD DATA LOCAL INFILE into temporary tables as they come, applied to
// the real tables by one statement each at finish_writes().

#include "store/bulk_writer.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "store/db_errors.hpp"
#include "store/sql_dialect.hpp"
#include "store/statement.hpp"
#include "store/store.hpp"

namespace engagementd {

int InfileSource::init(void** ptr, const char* filename, void* userdata) {
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

int InfileSource::read(void* ptr, char* buf, unsigned int len) {
  auto* self = static_cast<InfileSource*>(ptr);
  if (self->text == nullptr) return -1;
  const std::size_t n = std::min<std::size_t>(len, self->text->size() - self->pos);
  std::memcpy(buf, self->text->data() + self->pos, n);
  self->pos += n;
  return static_cast<int>(n);
}

void InfileSource::end(void* ptr) {
  auto* self = static_cast<InfileSource*>(ptr);
  self->text = nullptr;
}

int InfileSource::error_text(void* ptr, char* buf, unsigned int len) {
  auto* self = static_cast<InfileSource*>(ptr);
  if (len > 0) {
    std::snprintf(buf, len, "%s", self->error.empty() ? "no rows" : self->error.c_str());
  }
  return 2000;  // CR_UNKNOWN_ERROR
}

namespace {

// Rows for LOAD DATA LOCAL INFILE, as tab-separated text in memory.
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

// The errors that mean LOAD DATA LOCAL INFILE (or the temporary tables it
// fills) is not available to this account or server, as opposed to a
// failure of the database.
bool bulk_refused(int error) {
  using namespace mysql_error;
  switch (error) {
    case kErDbaccessDeniedError:  // no CREATE TEMPORARY TABLES
    case kErTableaccessDeniedError:
    case kErNotAllowedCommand:  // local_infile=OFF (MariaDB)
    case kErSpecificAccessDeniedError:
    case kCrLoadDataLocalInfileRejected:  // MySQL's client library
    case kErClientLocalFilesDisabled:     // MySQL 8
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
      for (const std::string& s : dialect_.bulk->create_tables) *sql_ << s;
      tick_tables_ready_ = true;
    }
    for (const std::string& s : dialect_.bulk->clear_tables) *sql_ << s;
  } catch (const soci::soci_error& e) {
    if (!bulk_refused(error_code(e))) throw;
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
    *sql_ << dialect_.bulk->load(infile_->name, table);
    infile_->text = nullptr;
  } catch (const soci::soci_error& e) {
    infile_->text = nullptr;
    if (!bulk_refused(error_code(e))) throw;
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
  const SavepointSql& savepoint = dialect_.rows_savepoint;
  *sql_ << savepoint.set;
  try {
    apply_staged_range(std::nullopt);
    *sql_ << savepoint.release;
    return;
  } catch (const soci::soci_error& e) {
    if (!is_statement_error(e)) throw;
    *sql_ << savepoint.rollback_to;
    *sql_ << savepoint.release;
  }
  // Some stream's rows fail: the staged streams are applied by id ranges,
  // halved until the failing ones are found (the temporary tables are not
  // transactional: a rollback leaves the staged rows in them).
  sort_unique(staged_ids_);
  isolating(
      0, staged_ids_.size(),
      [&](std::size_t begin, std::size_t end) {
        apply_staged_range(StagedRange{staged_ids_[begin], staged_ids_[end - 1]});
      },
      [&](std::size_t i) { return staged_ids_[i]; });
}

void Store::apply_staged_range(const std::optional<StagedRange>& range) {
  // Every statement over all staged rows; a part of them when a failing
  // stream is looked for.
  const BulkSql& bulk = *dialect_.bulk;
  const bool configs = !staged_configs_.empty();
  if (staged_states_ > 0) {
    *sql_ << bulk.update_states(range);
    if (configs) *sql_ << bulk.update_state_configs(range);
  }
  if (staged_new_) *sql_ << bulk.insert_states(configs, range);
  if (staged_displays_ > 0) *sql_ << bulk.update_displays(updated_at_column_, range);
}

}  // namespace engagementd
