-- The site's tables, as the PHP site defines them. On a production database
-- that already has them, every statement here is a no-op (IF NOT EXISTS): the
-- daemon never rebuilds or rewrites the site's tables, later migrations only
-- add what is missing.

CREATE TABLE IF NOT EXISTS live_streams (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  vendor_id BIGINT UNSIGNED NOT NULL,
  stream_key VARCHAR(128) NOT NULL DEFAULT '',
  title VARCHAR(255) NOT NULL DEFAULT '',
  description TEXT NULL,
  status ENUM('scheduled','live','ended','archived','cancelled') NOT NULL DEFAULT 'scheduled',
  viewer_count INT UNSIGNED NOT NULL DEFAULT 0,
  max_viewers INT UNSIGNED NOT NULL DEFAULT 0,
  like_count INT UNSIGNED NOT NULL DEFAULT 0,
  dislike_count INT UNSIGNED NOT NULL DEFAULT 0,
  comment_count INT UNSIGNED NOT NULL DEFAULT 0,
  started_at DATETIME NULL,
  ended_at DATETIME NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY idx_live_streams_status (status),
  KEY idx_live_streams_vendor (vendor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS stream_viewers (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stream_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  session_id VARCHAR(128) NOT NULL,
  is_fake TINYINT(1) NOT NULL DEFAULT 0,
  joined_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  left_at TIMESTAMP NULL DEFAULT NULL,
  watch_duration INT UNSIGNED NOT NULL DEFAULT 0,
  KEY idx_stream_viewers_stream (stream_id, is_fake, left_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS stream_interactions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stream_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  interaction_type ENUM('like','dislike','comment','share') NOT NULL,
  comment_text TEXT NULL,
  is_fake TINYINT(1) NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_stream_interactions_stream (stream_id, is_fake, interaction_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS stream_engagement_config (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stream_id BIGINT UNSIGNED NOT NULL,
  fake_viewers_enabled TINYINT(1) NOT NULL DEFAULT 1,
  fake_likes_enabled TINYINT(1) NOT NULL DEFAULT 1,
  min_fake_viewers INT UNSIGNED NOT NULL DEFAULT 15,
  max_fake_viewers INT UNSIGNED NOT NULL DEFAULT 100,
  viewer_increase_rate INT UNSIGNED NOT NULL DEFAULT 5,
  viewer_decrease_rate INT UNSIGNED NOT NULL DEFAULT 3,
  like_rate INT UNSIGNED NOT NULL DEFAULT 3,
  engagement_multiplier DECIMAL(4,2) NOT NULL DEFAULT 2.00,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uq_stream_engagement_config_stream (stream_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS global_stream_settings (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  setting_key VARCHAR(100) NOT NULL,
  setting_value TEXT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY uq_global_stream_settings_key (setting_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS saved_streams (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stream_id BIGINT UNSIGNED NOT NULL,
  vendor_id BIGINT UNSIGNED NULL,
  title VARCHAR(255) NOT NULL DEFAULT '',
  viewer_count INT UNSIGNED NOT NULL DEFAULT 0,
  like_count INT UNSIGNED NOT NULL DEFAULT 0,
  duration INT UNSIGNED NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uq_saved_streams_stream (stream_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
