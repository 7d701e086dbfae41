-- engagementd's own tables (see schema/mysql/003).

CREATE TABLE IF NOT EXISTS engagementd_stream_state (
  stream_id INTEGER NOT NULL PRIMARY KEY,
  sim_viewers INTEGER NOT NULL,
  sim_joins INTEGER NOT NULL,
  sim_likes INTEGER NOT NULL,
  peak_viewers INTEGER NOT NULL,
  first_tick_ms INTEGER NOT NULL,
  last_tick_ms INTEGER NOT NULL,
  finalized_ms INTEGER NULL
);

CREATE INDEX IF NOT EXISTS idx_engagementd_stream_state_open ON engagementd_stream_state (finalized_ms);

CREATE TABLE IF NOT EXISTS engagementd_stream_summary (
  stream_id INTEGER NOT NULL PRIMARY KEY,
  final_status TEXT NOT NULL,
  duration_seconds INTEGER NOT NULL,
  real_viewers_total INTEGER NOT NULL,
  sim_viewers_total INTEGER NOT NULL,
  real_likes INTEGER NOT NULL,
  sim_likes INTEGER NOT NULL,
  real_dislikes INTEGER NOT NULL,
  real_comments INTEGER NOT NULL,
  peak_viewers INTEGER NOT NULL,
  final_viewer_count INTEGER NOT NULL,
  final_like_count INTEGER NOT NULL,
  finalized_ms INTEGER NOT NULL
);
