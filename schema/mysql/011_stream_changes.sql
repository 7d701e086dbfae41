-- The streams whose settings changed, so that a tick that keeps its streams
-- in memory between ticks reads again only those, never every row of
-- stream_engagement_config (the admin panel's per-stream settings, which
-- the site writes at any moment and the daemon cannot otherwise tell
-- apart without reading them all).
--
-- Every INSERT, UPDATE or DELETE of a settings row appends the stream's id
-- here, in the site's own transaction (as the real-count deltas of
-- migration 008: an INSERT of a new row, nothing to wait for or conflict
-- on); recount appends the streams whose kept counts it drops. Each tick
-- takes the rows it can see in its snapshot, reads those streams again and
-- deletes exactly the rows it read: a change committed after the tick's
-- snapshot began stays for the next tick.
CREATE TABLE IF NOT EXISTS engagementd_stream_changes (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stream_id BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Single-row INSERT ... VALUES, never INSERT ... SELECT (which would hold
-- the table's AUTO-INC lock for the statement: see 008). One line each: the
-- migration runner splits statements at a line-final semicolon. An UPDATE
-- that moves a row to another stream names both.
DROP TRIGGER IF EXISTS engagementd_config_insert;

CREATE TRIGGER engagementd_config_insert AFTER INSERT ON stream_engagement_config FOR EACH ROW BEGIN INSERT INTO engagementd_stream_changes (stream_id) VALUES (NEW.stream_id); END;

DROP TRIGGER IF EXISTS engagementd_config_update;

CREATE TRIGGER engagementd_config_update AFTER UPDATE ON stream_engagement_config FOR EACH ROW BEGIN INSERT INTO engagementd_stream_changes (stream_id) VALUES (NEW.stream_id); IF OLD.stream_id <> NEW.stream_id THEN INSERT INTO engagementd_stream_changes (stream_id) VALUES (OLD.stream_id); END IF; END;

DROP TRIGGER IF EXISTS engagementd_config_delete;

CREATE TRIGGER engagementd_config_delete AFTER DELETE ON stream_engagement_config FOR EACH ROW BEGIN INSERT INTO engagementd_stream_changes (stream_id) VALUES (OLD.stream_id); END;
