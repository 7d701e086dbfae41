-- Three live demo streams for scripts/demo.sh, inserted the way the PHP site
-- inserts them (no stream_key), with a few real viewer sessions and likes.
-- The rows with is_fake = 1 stand for leftovers of the old PHP generator:
-- engagementd never counts them as real.
INSERT INTO live_streams (vendor_id, title, status, started_at) VALUES
  (1, 'Morning coffee tasting', 'live', datetime('now', '-5 minutes')),
  (2, 'Vintage sneakers drop', 'live', datetime('now', '-1 minute')),
  (3, 'Handmade jewelry', 'live', datetime('now'));

INSERT INTO stream_engagement_config (stream_id, fake_viewers_enabled, fake_likes_enabled,
  min_fake_viewers, max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate,
  engagement_multiplier) VALUES
  (1, 1, 1, 5, 30, 2, 1, 1, 1.5),       -- the guide's conservative preset
  (2, 1, 1, 50, 500, 10, 5, 8, 3.0),    -- aggressive
  (3, 1, 1, 20, 200, 60, 30, 60, 10.0); -- lively, so a short demo shows movement

-- last_seen_at: the sessions' heartbeat, kept fresh by scripts/demo.sh.
INSERT INTO stream_viewers (stream_id, user_id, session_id, is_fake, left_at, last_seen_at) VALUES
  (1, 101, 'demo-s1', 0, NULL, datetime('now')), (1, 102, 'demo-s2', 0, NULL, datetime('now')),
  (1, NULL, 'demo-s3', 0, datetime('now', '-2 minutes'), NULL),
  (2, 103, 'demo-s4', 0, NULL, datetime('now')), (2, NULL, 'demo-old-fake-1', 1, NULL, NULL),
  (3, 104, 'demo-s5', 0, NULL, datetime('now'));

INSERT INTO stream_interactions (stream_id, user_id, interaction_type, comment_text, is_fake) VALUES
  (1, 101, 'like', NULL, 0), (1, 102, 'comment', 'Which beans are these?', 0),
  (2, 103, 'like', NULL, 0), (2, NULL, 'like', NULL, 1), (2, NULL, 'like', NULL, 1),
  (3, 104, 'like', NULL, 0);

-- The admin panel's global defaults (the guide's moderate preset).
INSERT INTO global_stream_settings (setting_key, setting_value) VALUES
  ('min_fake_viewers', '15'), ('max_fake_viewers', '100'), ('viewer_increase_rate', '5'),
  ('viewer_decrease_rate', '3'), ('like_rate', '3'), ('engagement_multiplier', '2.0'),
  ('fake_viewers_enabled', '1'), ('fake_likes_enabled', '1');
