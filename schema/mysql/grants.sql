-- Least privilege for the engagementd account on the site's database.
--
-- Run as an administrator, in the site's database, after 'engagementd
-- migrate' (run by an administrator too: the daemon's account cannot change
-- the schema):
--   mariadb shop < /usr/share/engagementd/schema/mysql/grants.sql
-- The account must exist first, with its password:
--   CREATE USER 'engagementd'@'localhost' IDENTIFIED BY '...';
-- Use another account name by editing 'engagementd'@'localhost' below.
--
-- The daemon reads only the columns it needs (never stream_key, never other
-- site tables), writes the display columns of live_streams and
-- saved_streams and the includes_simulated badge flag, creates missing
-- stream_engagement_config rows, and owns its engagementd_* tables. Ending a stalled instance's session (KILL) needs no
-- grant: the sessions are the account's own.
-- (The triggers of migration 006 need no grant for the site's account:
-- they run as the account that ran the migration.)

GRANT SELECT (id, status, started_at, ended_at, viewer_count, max_viewers, like_count,
              dislike_count, comment_count, includes_simulated, updated_at),
      UPDATE (viewer_count, max_viewers, like_count, dislike_count, comment_count,
              includes_simulated, updated_at)
  ON live_streams TO 'engagementd'@'localhost';

GRANT SELECT (stream_id, session_id, is_fake, joined_at, left_at, last_seen_at)
  ON stream_viewers TO 'engagementd'@'localhost';

GRANT SELECT (stream_id, is_fake, interaction_type)
  ON stream_interactions TO 'engagementd'@'localhost';

GRANT SELECT (stream_id, fake_viewers_enabled, fake_likes_enabled, min_fake_viewers,
              max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate,
              engagement_multiplier),
      INSERT (stream_id, fake_viewers_enabled, fake_likes_enabled, min_fake_viewers,
              max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate,
              engagement_multiplier)
  ON stream_engagement_config TO 'engagementd'@'localhost';

GRANT SELECT (setting_key, setting_value)
  ON global_stream_settings TO 'engagementd'@'localhost';

-- The replay list comes in two shapes (final numbers in viewer_count and
-- like_count, or in views, likes and dislikes: see 'engagementd doctor'), so
-- the grant is on the table; it holds the public replays' titles and links.
GRANT SELECT, UPDATE ON saved_streams TO 'engagementd'@'localhost';

GRANT SELECT ON engagementd_schema_version TO 'engagementd'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON engagementd_stream_state TO 'engagementd'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON engagementd_stream_summary TO 'engagementd'@'localhost';
GRANT SELECT, INSERT, UPDATE ON engagementd_leader TO 'engagementd'@'localhost';
-- Instances with shard.index: auto keep their own row here (010).
GRANT SELECT, INSERT, UPDATE, DELETE ON engagementd_instances TO 'engagementd'@'localhost';
-- Rows are created, kept and deleted by the daemon, from the rows the
-- site's triggers append to engagementd_real_deltas (which it reads and
-- deletes once added up).
GRANT SELECT, INSERT, UPDATE, DELETE ON engagementd_real_counts TO 'engagementd'@'localhost';
GRANT SELECT, DELETE ON engagementd_real_deltas TO 'engagementd'@'localhost';
-- The streams whose settings changed (011), appended by the site's triggers
-- and by recount, read and deleted by the tick.
GRANT SELECT, INSERT, DELETE ON engagementd_stream_changes TO 'engagementd'@'localhost';
-- The audit trail is append-only (its triggers refuse UPDATE and DELETE).
GRANT SELECT, INSERT ON engagementd_audit TO 'engagementd'@'localhost';
-- Each tick sends its changed rows into temporary tables of its own session
-- (LOAD DATA LOCAL INFILE, from memory); "ON *" is the current database.
-- Without it the daemon writes multi-row statements instead, more slowly.
GRANT CREATE TEMPORARY TABLES ON * TO 'engagementd'@'localhost';
