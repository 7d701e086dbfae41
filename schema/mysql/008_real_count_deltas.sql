-- Real counts without a hot row and without locks: the triggers of
-- migration 006 updated one engagementd_real_counts row per stream in the
-- site's transaction, so concurrent likes on one stream queued on that row
-- (and conflicted on a Galera cluster), and a stream's first count needed
-- locking reads that made the site's writes wait for the tick.
--
-- Now every change of a counted row appends one row here, in the site's own
-- transaction (an INSERT of a new row: nothing to wait for, nothing to
-- conflict on). Each tick adds the appended rows it can see to the kept
-- counts and deletes them, all in its one consistent snapshot; a stream seen
-- for the first time is counted from the site's rows in that same snapshot,
-- without locks: a change is either visible to the tick in both the site's
-- rows and here, or in neither, and then it is added at a later tick.
CREATE TABLE IF NOT EXISTS engagementd_real_deltas (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stream_id BIGINT UNSIGNED NOT NULL,
  viewers INT NOT NULL,
  likes INT NOT NULL,
  dislikes INT NOT NULL,
  comments INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Each trigger inserts with VALUES, under an IF: a single-row INSERT takes
-- the table's auto-increment value without a table lock (an INSERT ...
-- SELECT would hold the AUTO-INC lock for the statement, queueing every
-- counted write of the server behind it). One line each: the migration
-- runner splits statements at a line-final semicolon.
DROP TRIGGER IF EXISTS engagementd_viewers_insert;

CREATE TRIGGER engagementd_viewers_insert AFTER INSERT ON stream_viewers FOR EACH ROW BEGIN IF NEW.is_fake = 0 AND NEW.left_at IS NULL THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (NEW.stream_id, 1, 0, 0, 0); END IF; END;

DROP TRIGGER IF EXISTS engagementd_viewers_update;

CREATE TRIGGER engagementd_viewers_update AFTER UPDATE ON stream_viewers FOR EACH ROW BEGIN IF OLD.is_fake = 0 AND OLD.left_at IS NULL AND (OLD.stream_id <> NEW.stream_id OR NOT (NEW.is_fake = 0 AND NEW.left_at IS NULL)) THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (OLD.stream_id, -1, 0, 0, 0); END IF; IF NEW.is_fake = 0 AND NEW.left_at IS NULL AND (OLD.stream_id <> NEW.stream_id OR NOT (OLD.is_fake = 0 AND OLD.left_at IS NULL)) THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (NEW.stream_id, 1, 0, 0, 0); END IF; END;

DROP TRIGGER IF EXISTS engagementd_viewers_delete;

CREATE TRIGGER engagementd_viewers_delete AFTER DELETE ON stream_viewers FOR EACH ROW BEGIN IF OLD.is_fake = 0 AND OLD.left_at IS NULL THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (OLD.stream_id, -1, 0, 0, 0); END IF; END;

DROP TRIGGER IF EXISTS engagementd_interactions_insert;

CREATE TRIGGER engagementd_interactions_insert AFTER INSERT ON stream_interactions FOR EACH ROW BEGIN IF NEW.is_fake = 0 AND NEW.interaction_type IN ('like', 'dislike', 'comment') THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (NEW.stream_id, 0, NEW.interaction_type = 'like', NEW.interaction_type = 'dislike', NEW.interaction_type = 'comment'); END IF; END;

DROP TRIGGER IF EXISTS engagementd_interactions_update;

CREATE TRIGGER engagementd_interactions_update AFTER UPDATE ON stream_interactions FOR EACH ROW BEGIN IF OLD.stream_id <> NEW.stream_id OR OLD.is_fake <> NEW.is_fake OR OLD.interaction_type <> NEW.interaction_type THEN IF OLD.is_fake = 0 AND OLD.interaction_type IN ('like', 'dislike', 'comment') THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (OLD.stream_id, 0, -(OLD.interaction_type = 'like'), -(OLD.interaction_type = 'dislike'), -(OLD.interaction_type = 'comment')); END IF; IF NEW.is_fake = 0 AND NEW.interaction_type IN ('like', 'dislike', 'comment') THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (NEW.stream_id, 0, NEW.interaction_type = 'like', NEW.interaction_type = 'dislike', NEW.interaction_type = 'comment'); END IF; END IF; END;

DROP TRIGGER IF EXISTS engagementd_interactions_delete;

CREATE TRIGGER engagementd_interactions_delete AFTER DELETE ON stream_interactions FOR EACH ROW BEGIN IF OLD.is_fake = 0 AND OLD.interaction_type IN ('like', 'dislike', 'comment') THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (OLD.stream_id, 0, -(OLD.interaction_type = 'like'), -(OLD.interaction_type = 'dislike'), -(OLD.interaction_type = 'comment')); END IF; END;
