-- The site's tables for the embedded SQLite backend (trying engagementd out,
-- tests). Same columns and meaning as the MariaDB definitions.

CREATE TABLE IF NOT EXISTS live_streams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  vendor_id INTEGER NOT NULL,
  stream_key TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  description TEXT NULL,
  status TEXT NOT NULL DEFAULT 'scheduled'
    CHECK (status IN ('scheduled','live','ended','archived','cancelled')),
  viewer_count INTEGER NOT NULL DEFAULT 0,
  max_viewers INTEGER NOT NULL DEFAULT 0,
  like_count INTEGER NOT NULL DEFAULT 0,
  dislike_count INTEGER NOT NULL DEFAULT 0,
  comment_count INTEGER NOT NULL DEFAULT 0,
  started_at TEXT NULL,
  ended_at TEXT NULL,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_live_streams_status ON live_streams (status);

CREATE TABLE IF NOT EXISTS stream_viewers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL,
  user_id INTEGER NULL,
  session_id TEXT NOT NULL,
  is_fake INTEGER NOT NULL DEFAULT 0,
  joined_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  left_at TEXT NULL,
  watch_duration INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS stream_interactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL,
  user_id INTEGER NULL,
  interaction_type TEXT NOT NULL CHECK (interaction_type IN ('like','dislike','comment','share')),
  comment_text TEXT NULL,
  is_fake INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS stream_engagement_config (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL UNIQUE,
  fake_viewers_enabled INTEGER NOT NULL DEFAULT 1,
  fake_likes_enabled INTEGER NOT NULL DEFAULT 1,
  min_fake_viewers INTEGER NOT NULL DEFAULT 15,
  max_fake_viewers INTEGER NOT NULL DEFAULT 100,
  viewer_increase_rate INTEGER NOT NULL DEFAULT 5,
  viewer_decrease_rate INTEGER NOT NULL DEFAULT 3,
  like_rate INTEGER NOT NULL DEFAULT 3,
  engagement_multiplier NUMERIC NOT NULL DEFAULT 2.0,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS global_stream_settings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  setting_key TEXT NOT NULL UNIQUE,
  setting_value TEXT NULL,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS saved_streams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL UNIQUE,
  vendor_id INTEGER NULL,
  title TEXT NOT NULL DEFAULT '',
  viewer_count INTEGER NOT NULL DEFAULT 0,
  like_count INTEGER NOT NULL DEFAULT 0,
  duration INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
