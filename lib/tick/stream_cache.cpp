#include "tick/stream_cache.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace engagementd {
namespace {

// The bytes of a settings row, a key for the pool (a NaN compares unequal
// to itself, so values are compared by their bits).
std::string config_key(const RawConfig& raw) {
  std::string key;
  key.reserve(raw.size() * (1 + sizeof(double)));
  for (const std::optional<double>& v : raw) {
    key.push_back(v ? '\1' : '\0');
    char bits[sizeof(double)] = {};
    if (v) std::memcpy(bits, &*v, sizeof bits);
    key.append(bits, sizeof bits);
  }
  return key;
}

bool contains(const std::vector<std::int64_t>& sorted, std::int64_t id) {
  return std::binary_search(sorted.begin(), sorted.end(), id);
}

}  // namespace

StreamCache::StreamCache(TickStore& db) : ForwardingStore(db) {}

void StreamCache::enable(bool on) {
  if (enabled_ && !on) drop("tick.cache is off");
  enabled_ = on;
}

void StreamCache::clear() {
  valid_ = false;
  filled_ = false;
  lease_.reset();
  writing_.reset();
  sweep_after_ = 0;
  last_sweep_ms_ = 0;
  heartbeat_.reset();
  swept_ = 0;
  std::vector<Entry>().swap(entries_);
  std::vector<Entry>().swap(added_);
  stale_.clear();
  ended_.clear();
  configs_.clear();
  config_ids_.clear();
  jsons_.clear();
  json_ids_.clear();
}

void StreamCache::drop(const std::string& why) {
  if ((valid_ || !entries_.empty()) && dropped_.empty()) dropped_ = why;
  clear();
}

// --- Transactions and the lease: when what is in memory is sure ---

void StreamCache::begin() {
  // The engines of an instance's shards share one database store (one
  // connection, tick/shard_pool): each tick's reads are for this shard.
  db_.configure(shard_, real_viewer_ttl_);
  try {
    db_.begin();
  } catch (...) {
    drop("the transaction could not begin (the connection may be gone)");
    throw;
  }
  filled_ = false;
  used_ = false;
  writing_.reset();
}

void StreamCache::commit() {
  try {
    db_.commit();
  } catch (...) {
    // It may have committed or not: only the database knows.
    drop("the commit failed or its reply was lost");
    throw;
  }
  if (!enabled_) return;
  if (!writing_) {
    // A transaction that did not tick (a release): nothing to vouch for.
    if (valid_ || filled_) drop("a transaction without a tick committed");
    return;
  }
  lease_ = std::exchange(writing_, std::nullopt);
  valid_ = filled_;
  filled_ = false;
  shrink_pools();
}

void StreamCache::rollback() {
  drop("the tick was rolled back");
  db_.rollback();
}

std::int64_t StreamCache::now_ms() {
  now_ms_ = db_.now_ms();
  return now_ms_;
}

std::optional<Lease> StreamCache::lock_lease(int shard) {
  std::optional<Lease> lease = db_.lock_lease(shard);
  if (!enabled_ || !valid_) return lease;
  if (!lease || !lease_) {
    drop("the lease is held by another instance");
  } else if (lease->holder != lease_->holder || lease->token != lease_->token ||
             lease->last_tick_ms != lease_->last_tick_ms) {
    drop("another tick ran since this instance's last (the lease changed hands)");
  } else if (lease->expires_ms < now_ms_) {
    drop("the lease had run out before this tick took it again");
  } else if (db_.connection_id() != lease_->connection_id) {
    drop("a new database connection");
  }
  return lease;
}

bool StreamCache::write_lease(int shard, const Lease& read, const Lease& next) {
  const bool written = db_.write_lease(shard, read, next);
  if (written) {
    writing_ = LeaseSeen{next.holder, next.token, next.last_tick_ms, db_.connection_id()};
  }
  return written;
}

void StreamCache::release_lease(int shard, const std::string& holder, std::int64_t token) {
  drop("the lease was released");
  db_.release_lease(shard, holder, token);
}

// --- The reads ---

void StreamCache::configure(const Shard& shard, std::chrono::milliseconds real_viewer_ttl) {
  if (shard != shard_) drop("the shard changed");
  if (real_viewer_ttl != real_viewer_ttl_) drop("the real-viewer TTL changed");
  shard_ = shard;
  real_viewer_ttl_ = real_viewer_ttl;
  db_.configure(shard, real_viewer_ttl);
}

void StreamCache::read_live_streams(std::size_t chunk,
                                    const std::function<void(const std::vector<LiveStream>&)>& fn) {
  if (!enabled_ || !valid_) {
    // A whole read sees every change the list names (in the same snapshot;
    // one appended after it stays for the next tick): the list is emptied,
    // so that it does not grow while nothing reads it.
    db_.take_stream_changes();
  }
  if (!enabled_) return db_.read_live_streams(chunk, fn);
  if (valid_) {
    read_from_memory(chunk, fn);
    used_ = true;
    filled_ = true;
    return;
  }
  // Read whole, and kept: every stream counted exactly now.
  clear();
  last_sweep_ms_ = now_ms_;
  db_.read_live_streams(chunk, [&](const std::vector<LiveStream>& rows) {
    for (const LiveStream& s : rows) entries_.push_back(to_entry(s));
    fn(rows);
  });
  const auto by_id = [](const Entry& a, const Entry& b) { return a.id < b.id; };
  if (!std::is_sorted(entries_.begin(), entries_.end(), by_id)) {
    std::sort(entries_.begin(), entries_.end(), by_id);
  }
  entries_.shrink_to_fit();
  filled_ = true;
}

void StreamCache::read_from_memory(std::size_t chunk,
                                   const std::function<void(const std::vector<LiveStream>&)>& fn) {
  // Streams to read whole: settings changed, or set aside at a write.
  std::vector<std::int64_t> reread = db_.take_stream_changes();
  reread.insert(reread.end(), stale_.begin(), stale_.end());
  stale_.clear();
  sort_unique(reread);

  // Is there a heartbeat column? Asked once (an empty range).
  if (!heartbeat_) heartbeat_ = db_.fresh_viewers(0, 0, 0).has_value();
  const std::int64_t ttl_s = real_viewer_ttl_.count() / 1000;

  // The real counts' changes, folded into the kept counts as always.
  for (const RealDelta& d : db_.fold_real_deltas()) {
    Entry* e = find(d.stream_id);
    if (e == nullptr) continue;
    e->real.likes += d.sum.likes;
    e->real.dislikes += d.sum.dislikes;
    e->real.comments += d.sum.comments;
    if (!*heartbeat_) {
      e->real.viewers += d.sum.viewers;  // the open sessions, exactly
      continue;
    }
    // A leave of a session last seen before its stream's last recount
    // minus the TTL: that recount did not count it, nothing to subtract.
    if (d.seen_s && d.sum.viewers < 0 && *d.seen_s < std::int64_t{e->counted_s} - ttl_s) continue;
    // Never below zero: a session left out by a recount, seen again and
    // then leaving before its stream's next recount is subtracted without
    // having been added back; that recount sets it right.
    e->real.viewers = std::max<std::int64_t>(0, e->real.viewers + d.sum.viewers);
  }
  // With a heartbeat column, this tick's slice of the real-viewer sweep.
  if (*heartbeat_) sweep();

  // The live ids, merged with what is in memory: an id in memory and not
  // live has ended; a live id not in memory is new.
  std::size_t at = 0;  // entries_ cursor
  std::vector<LiveStream> out;
  std::vector<std::int64_t> whole;
  db_.read_live_rows(chunk, [&](const std::vector<LiveRow>& rows) {
    out.clear();
    whole.clear();
    out.reserve(rows.size());
    for (const LiveRow& row : rows) {
      while (at < entries_.size() && entries_[at].id < row.id) {
        entries_[at].gone = true;
        if (entries_[at].has_state) ended_.push_back(entries_[at].id);
        ++at;
      }
      const bool known = at < entries_.size() && entries_[at].id == row.id;
      if (known && !contains(reread, row.id)) {
        out.push_back(to_stream(entries_[at], row.shown));
      } else {
        whole.push_back(row.id);
        // A placeholder keeps the chunk in id order; filled below.
        LiveStream s;
        s.id = row.id;
        out.push_back(std::move(s));
      }
      if (known) ++at;
    }
    if (!whole.empty()) {
      const std::vector<LiveStream> read = db_.read_streams(whole);
      std::size_t r = 0;
      std::vector<LiveStream> merged;
      merged.reserve(out.size());
      for (LiveStream& s : out) {
        if (!std::binary_search(whole.begin(), whole.end(), s.id)) {
          merged.push_back(std::move(s));
          continue;
        }
        while (r < read.size() && read[r].id < s.id) ++r;
        if (r == read.size() || read[r].id != s.id) continue;  // not live after all
        const LiveStream& fresh = read[r];
        if (Entry* e = find(fresh.id)) {
          const bool gone = e->gone;
          *e = to_entry(fresh);
          e->gone = gone;
        } else {
          added_.push_back(to_entry(fresh));
        }
        merged.push_back(fresh);
      }
      out.swap(merged);
    }
    if (verify_) check(out);
    if (!out.empty()) fn(out);
  });
  for (; at < entries_.size(); ++at) {
    entries_[at].gone = true;
    if (entries_[at].has_state) ended_.push_back(entries_[at].id);
  }
  sort_unique(ended_);
  settle();
}

void StreamCache::sweep() {
  swept_ = 0;
  const std::size_t n = entries_.size();
  const std::int64_t now_s = now_ms_ / 1000;
  // The time since the last sweep (the first after a fill: since the fill,
  // whose whole read counted every stream exactly): the slice is that
  // share of the period, so that the rotation goes round once per period.
  const std::int64_t elapsed = std::clamp<std::int64_t>(now_ms_ - last_sweep_ms_, 0, sweep_ms_);
  last_sweep_ms_ = now_ms_;
  if (n == 0) return;
  const auto share = (static_cast<std::int64_t>(n) * elapsed + sweep_ms_ - 1) / sweep_ms_;
  const std::size_t turn = std::min<std::size_t>(n, static_cast<std::size_t>(share));
  std::vector<char> chosen(n, 0);
  // The rotation: the `turn` streams after the last one recounted, in id
  // order, round to the first.
  std::size_t at = static_cast<std::size_t>(
      std::upper_bound(entries_.begin(), entries_.end(), sweep_after_,
                       [](std::int64_t v, const Entry& e) { return v < e.id; }) -
      entries_.begin());
  for (std::size_t k = 0; k < turn; ++k, ++at) {
    if (at == n) at = 0;
    chosen[at] = 1;
    sweep_after_ = entries_[at].id;
  }
  // A safety net: any stream not recounted for longer than the period (the
  // rotation reaches every stream within it, a new one too, which its
  // whole read counted; counted_s is whole seconds, hence the second).
  for (std::size_t i = 0; i < n; ++i) {
    if (std::int64_t{entries_[i].counted_s} * 1000 + 1000 + sweep_ms_ < now_ms_) chosen[i] = 1;
  }
  // One read per run of consecutive chosen streams (an id range).
  const std::int64_t cutoff_s = now_s - real_viewer_ttl_.count() / 1000;
  for (std::size_t i = 0; i < n;) {
    if (!chosen[i]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && chosen[j]) ++j;
    const auto fresh = db_.fresh_viewers(cutoff_s, entries_[i].id - 1, entries_[j - 1].id);
    std::size_t f = 0;
    for (std::size_t k = i; k < j; ++k) {
      Entry& e = entries_[k];
      while (fresh && f < fresh->size() && (*fresh)[f].first < e.id) ++f;
      e.real.viewers =
          (fresh && f < fresh->size() && (*fresh)[f].first == e.id) ? (*fresh)[f].second : 0;
      e.counted_s = static_cast<std::uint32_t>(now_s);
    }
    swept_ += j - i;
    i = j;
  }
}

void StreamCache::settle() {
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.gone; }),
      entries_.end());
  if (added_.empty()) return;
  const auto by_id = [](const Entry& a, const Entry& b) { return a.id < b.id; };
  const std::size_t middle = entries_.size();
  entries_.insert(entries_.end(), added_.begin(), added_.end());
  std::vector<Entry>().swap(added_);
  std::inplace_merge(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(middle),
                     entries_.end(), by_id);
}

std::vector<EndedStream> StreamCache::read_ended_streams() {
  if (!enabled_) return db_.read_ended_streams();
  std::vector<EndedStream> ended;
  if (used_) {
    // From memory: the streams seen ending, this tick or before (still
    // not finalized: set aside, or a finalization that failed).
    if (!ended_.empty()) ended = db_.read_ended_streams(ended_);
  } else {
    ended = db_.read_ended_streams();
  }
  ended_.clear();
  for (const EndedStream& e : ended) ended_.push_back(e.stream_id);
  sort_unique(ended_);
  return ended;
}

// --- The writes: what is in memory follows what the tick writes ---

void StreamCache::insert_configs(const std::vector<ConfigInsert>& rows) {
  db_.insert_configs(rows);
  if (!enabled_) return;
  for (const ConfigInsert& c : rows) {
    if (Entry* e = find(c.stream_id)) e->config = intern_config(to_raw(c.config));
  }
}

void StreamCache::write_states(const std::vector<StateWrite>& rows) {
  db_.write_states(rows);
  if (!enabled_) return;
  for (const StateWrite& w : rows) {
    Entry* e = find(w.stream_id);
    if (e == nullptr) continue;
    // A new row gets first_tick_ms; a stored one (finalized too) keeps its
    // own, as the state upsert does.
    if (!e->has_state) e->first_tick_ms = w.first_tick_ms;
    e->has_state = true;
    e->finalized = false;
    e->sim = w.sim;
    e->last_tick_ms = w.last_tick_ms;
    // Empty: the stored text is kept.
    if (!w.config_json.empty()) e->json = intern_json(w.config_json);
  }
}

bool StreamCache::finalize(const Finalization& f) {
  const bool done = db_.finalize(f);
  const auto it = std::lower_bound(ended_.begin(), ended_.end(), f.stream_id);
  if (it != ended_.end() && *it == f.stream_id) ended_.erase(it);
  return done;
}

std::vector<StreamProblem> StreamCache::take_problems() {
  std::vector<StreamProblem> problems = db_.take_problems();
  if (enabled_) {
    // A stream whose rows were not written (or were read oddly) is read
    // whole at the next tick.
    for (const StreamProblem& p : problems) stale_.push_back(p.stream_id);
  }
  return problems;
}

void StreamCache::check(const std::vector<LiveStream>& streams) {
  std::vector<std::int64_t> ids;
  for (const LiveStream& s : streams) ids.push_back(s.id);
  const std::vector<LiveStream> truth = db_.read_streams(ids);
  const auto same_config = [](const std::optional<RawConfig>& a,
                              const std::optional<RawConfig>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || config_key(*a) == config_key(*b);
  };
  for (std::size_t i = 0; i < std::max(streams.size(), truth.size()); ++i) {
    const std::string where = "stream cache differs from the database at stream=" +
                              std::to_string(i < streams.size() ? streams[i].id : truth[i].id);
    if (i >= streams.size() || i >= truth.size() || streams[i].id != truth[i].id) {
      throw std::logic_error(where + ": not the same streams");
    }
    const LiveStream& a = streams[i];
    const LiveStream& b = truth[i];
    std::string field;
    if (a.shown != b.shown) field = "display";
    if (!same_config(a.config, b.config)) field = "config";
    if (a.state.has_value() != b.state.has_value()) field = "state row";
    if (a.state && b.state &&
        (!(a.state->sim == b.state->sim) || a.state->first_tick_ms != b.state->first_tick_ms ||
         a.state->last_tick_ms != b.state->last_tick_ms ||
         a.state->finalized != b.state->finalized ||
         a.state->config_json != b.state->config_json)) {
      field = "state";
    }
    if (a.real.viewers != b.real.viewers || a.real.likes != b.real.likes ||
        a.real.dislikes != b.real.dislikes || a.real.comments != b.real.comments) {
      field = "real counts (memory " + std::to_string(a.real.viewers) + "/" +
              std::to_string(a.real.likes) + "/" + std::to_string(a.real.dislikes) + "/" +
              std::to_string(a.real.comments) + ", database " + std::to_string(b.real.viewers) +
              "/" + std::to_string(b.real.likes) + "/" + std::to_string(b.real.dislikes) + "/" +
              std::to_string(b.real.comments) + ")";
    }
    if (!field.empty()) throw std::logic_error(where + ": " + field);
  }
}

// --- Entries ---

StreamCache::Entry* StreamCache::find(std::int64_t id) {
  const auto by_id = [](const Entry& e, std::int64_t v) { return e.id < v; };
  for (std::vector<Entry>* v : {&entries_, &added_}) {
    const auto it = std::lower_bound(v->begin(), v->end(), id, by_id);
    if (it != v->end() && it->id == id) return &*it;
  }
  return nullptr;
}

StreamCache::Entry StreamCache::to_entry(const LiveStream& s) {
  Entry e;
  e.id = s.id;
  if (s.config) e.config = intern_config(*s.config);
  if (s.state) {
    e.has_state = true;
    e.finalized = s.state->finalized;
    e.sim = s.state->sim;
    e.first_tick_ms = s.state->first_tick_ms;
    e.last_tick_ms = s.state->last_tick_ms;
    if (!s.state->config_json.empty()) e.json = intern_json(s.state->config_json);
  }
  e.real = s.real;
  // Read whole in this tick: counted exactly now.
  e.counted_s = static_cast<std::uint32_t>(std::max<std::int64_t>(0, now_ms_ / 1000));
  return e;
}

LiveStream StreamCache::to_stream(const Entry& e, const Display& shown) const {
  LiveStream s;
  s.id = e.id;
  s.shown = shown;
  if (e.config != kNone) s.config = configs_[e.config];
  if (e.has_state) {
    s.state = StoredState{e.sim, e.first_tick_ms, e.last_tick_ms, e.finalized,
                          e.json == kNone ? std::string() : *jsons_[e.json]};
  }
  s.real = e.real;
  return s;
}

std::uint32_t StreamCache::intern_config(const RawConfig& raw) {
  const auto [it, added] =
      config_ids_.emplace(config_key(raw), static_cast<std::uint32_t>(configs_.size()));
  if (added) configs_.push_back(raw);
  return it->second;
}

std::uint32_t StreamCache::intern_json(const std::string& json) {
  const auto [it, added] = json_ids_.emplace(json, static_cast<std::uint32_t>(jsons_.size()));
  if (added) jsons_.push_back(&it->first);
  return it->second;
}

void StreamCache::shrink_pools() {
  const std::size_t limit = 2 * entries_.size() + 64;
  if (configs_.size() <= limit && jsons_.size() <= limit) return;
  const std::vector<RawConfig> configs = std::move(configs_);
  std::vector<std::string> jsons;
  jsons.reserve(jsons_.size());
  for (const std::string* j : jsons_) jsons.push_back(*j);
  configs_.clear();
  config_ids_.clear();
  jsons_.clear();
  json_ids_.clear();
  for (Entry& e : entries_) {
    if (e.config != kNone) e.config = intern_config(configs[e.config]);
    if (e.json != kNone) e.json = intern_json(jsons[e.json]);
  }
}

}  // namespace engagementd
