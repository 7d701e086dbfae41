-- A leave's delta carries when the session was last seen, in Unix seconds
-- (see schema/mysql/012).
-- if-missing-column: engagementd_real_deltas.seen_s
ALTER TABLE engagementd_real_deltas ADD COLUMN seen_s INTEGER NULL;

DROP TRIGGER IF EXISTS engagementd_viewers_update;

CREATE TRIGGER engagementd_viewers_update AFTER UPDATE ON stream_viewers FOR EACH ROW WHEN OLD.stream_id <> NEW.stream_id OR (OLD.is_fake = 0 AND OLD.left_at IS NULL) <> (NEW.is_fake = 0 AND NEW.left_at IS NULL) BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments, seen_s) SELECT OLD.stream_id, -1, 0, 0, 0, CAST(strftime('%s', COALESCE(OLD.last_seen_at, OLD.joined_at)) AS INTEGER) WHERE OLD.is_fake = 0 AND OLD.left_at IS NULL; INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) SELECT NEW.stream_id, 1, 0, 0, 0 WHERE NEW.is_fake = 0 AND NEW.left_at IS NULL; END;

DROP TRIGGER IF EXISTS engagementd_viewers_delete;

CREATE TRIGGER engagementd_viewers_delete AFTER DELETE ON stream_viewers FOR EACH ROW WHEN OLD.is_fake = 0 AND OLD.left_at IS NULL BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments, seen_s) VALUES (OLD.stream_id, -1, 0, 0, 0, CAST(strftime('%s', COALESCE(OLD.last_seen_at, OLD.joined_at)) AS INTEGER)); END;
