-- Real counts appended as deltas by the triggers and folded by the tick (see
-- schema/mysql/008).
CREATE TABLE IF NOT EXISTS engagementd_real_deltas (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL,
  viewers INTEGER NOT NULL,
  likes INTEGER NOT NULL,
  dislikes INTEGER NOT NULL,
  comments INTEGER NOT NULL
);

DROP TRIGGER IF EXISTS engagementd_viewers_insert;

CREATE TRIGGER engagementd_viewers_insert AFTER INSERT ON stream_viewers FOR EACH ROW WHEN NEW.is_fake = 0 AND NEW.left_at IS NULL BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (NEW.stream_id, 1, 0, 0, 0); END;

DROP TRIGGER IF EXISTS engagementd_viewers_update;

CREATE TRIGGER engagementd_viewers_update AFTER UPDATE ON stream_viewers FOR EACH ROW WHEN OLD.stream_id <> NEW.stream_id OR (OLD.is_fake = 0 AND OLD.left_at IS NULL) <> (NEW.is_fake = 0 AND NEW.left_at IS NULL) BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) SELECT OLD.stream_id, -1, 0, 0, 0 WHERE OLD.is_fake = 0 AND OLD.left_at IS NULL; INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) SELECT NEW.stream_id, 1, 0, 0, 0 WHERE NEW.is_fake = 0 AND NEW.left_at IS NULL; END;

DROP TRIGGER IF EXISTS engagementd_viewers_delete;

CREATE TRIGGER engagementd_viewers_delete AFTER DELETE ON stream_viewers FOR EACH ROW WHEN OLD.is_fake = 0 AND OLD.left_at IS NULL BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (OLD.stream_id, -1, 0, 0, 0); END;

DROP TRIGGER IF EXISTS engagementd_interactions_insert;

CREATE TRIGGER engagementd_interactions_insert AFTER INSERT ON stream_interactions FOR EACH ROW WHEN NEW.is_fake = 0 AND NEW.interaction_type IN ('like', 'dislike', 'comment') BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (NEW.stream_id, 0, NEW.interaction_type = 'like', NEW.interaction_type = 'dislike', NEW.interaction_type = 'comment'); END;

DROP TRIGGER IF EXISTS engagementd_interactions_update;

CREATE TRIGGER engagementd_interactions_update AFTER UPDATE ON stream_interactions FOR EACH ROW WHEN OLD.stream_id <> NEW.stream_id OR OLD.is_fake <> NEW.is_fake OR OLD.interaction_type <> NEW.interaction_type BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) SELECT OLD.stream_id, 0, -(OLD.interaction_type = 'like'), -(OLD.interaction_type = 'dislike'), -(OLD.interaction_type = 'comment') WHERE OLD.is_fake = 0 AND OLD.interaction_type IN ('like', 'dislike', 'comment'); INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) SELECT NEW.stream_id, 0, NEW.interaction_type = 'like', NEW.interaction_type = 'dislike', NEW.interaction_type = 'comment' WHERE NEW.is_fake = 0 AND NEW.interaction_type IN ('like', 'dislike', 'comment'); END;

DROP TRIGGER IF EXISTS engagementd_interactions_delete;

CREATE TRIGGER engagementd_interactions_delete AFTER DELETE ON stream_interactions FOR EACH ROW WHEN OLD.is_fake = 0 AND OLD.interaction_type IN ('like', 'dislike', 'comment') BEGIN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (OLD.stream_id, 0, -(OLD.interaction_type = 'like'), -(OLD.interaction_type = 'dislike'), -(OLD.interaction_type = 'comment')); END;
