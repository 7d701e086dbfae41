-- engagementd's own tables. Simulated numbers live only here; the site's
-- stream_viewers and stream_interactions stay real-only.

-- Simulated state per stream. Times are milliseconds since the epoch on the
-- database clock.
CREATE TABLE IF NOT EXISTS engagementd_stream_state (
  stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  sim_viewers INT UNSIGNED NOT NULL,
  sim_joins BIGINT UNSIGNED NOT NULL,
  sim_likes BIGINT UNSIGNED NOT NULL,
  peak_viewers INT UNSIGNED NOT NULL,
  first_tick_ms BIGINT NOT NULL,
  last_tick_ms BIGINT NOT NULL,
  finalized_ms BIGINT NULL,
  KEY idx_engagementd_stream_state_open (finalized_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per finalized stream, real and simulated kept apart.
CREATE TABLE IF NOT EXISTS engagementd_stream_summary (
  stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  final_status VARCHAR(16) NOT NULL,
  duration_seconds BIGINT NOT NULL,
  real_viewers_total BIGINT UNSIGNED NOT NULL,
  sim_viewers_total BIGINT UNSIGNED NOT NULL,
  real_likes BIGINT UNSIGNED NOT NULL,
  sim_likes BIGINT UNSIGNED NOT NULL,
  real_dislikes BIGINT UNSIGNED NOT NULL,
  real_comments BIGINT UNSIGNED NOT NULL,
  peak_viewers INT UNSIGNED NOT NULL,
  final_viewer_count BIGINT UNSIGNED NOT NULL,
  final_like_count BIGINT UNSIGNED NOT NULL,
  finalized_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
