-- Real counts kept as the site writes its rows (see schema/mysql/006).
-- SQLite runs one writer at a time, so creating a stream's row by counting
-- cannot miss a row written meanwhile.
CREATE TABLE IF NOT EXISTS engagementd_real_counts (
  stream_id INTEGER NOT NULL PRIMARY KEY,
  viewers INTEGER NOT NULL DEFAULT 0,
  likes INTEGER NOT NULL DEFAULT 0,
  dislikes INTEGER NOT NULL DEFAULT 0,
  comments INTEGER NOT NULL DEFAULT 0
);

DROP TRIGGER IF EXISTS engagementd_viewers_insert;

CREATE TRIGGER engagementd_viewers_insert AFTER INSERT ON stream_viewers FOR EACH ROW WHEN NEW.is_fake = 0 AND NEW.left_at IS NULL BEGIN UPDATE engagementd_real_counts SET viewers = viewers + 1 WHERE stream_id = NEW.stream_id; END;

DROP TRIGGER IF EXISTS engagementd_viewers_update;

CREATE TRIGGER engagementd_viewers_update AFTER UPDATE ON stream_viewers FOR EACH ROW WHEN OLD.stream_id <> NEW.stream_id OR (OLD.is_fake = 0 AND OLD.left_at IS NULL) <> (NEW.is_fake = 0 AND NEW.left_at IS NULL) BEGIN UPDATE engagementd_real_counts SET viewers = viewers - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.left_at IS NULL) + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.left_at IS NULL) WHERE stream_id IN (OLD.stream_id, NEW.stream_id); END;

DROP TRIGGER IF EXISTS engagementd_viewers_delete;

CREATE TRIGGER engagementd_viewers_delete AFTER DELETE ON stream_viewers FOR EACH ROW WHEN OLD.is_fake = 0 AND OLD.left_at IS NULL BEGIN UPDATE engagementd_real_counts SET viewers = viewers - 1 WHERE stream_id = OLD.stream_id; END;

DROP TRIGGER IF EXISTS engagementd_interactions_insert;

CREATE TRIGGER engagementd_interactions_insert AFTER INSERT ON stream_interactions FOR EACH ROW WHEN NEW.is_fake = 0 AND NEW.interaction_type IN ('like', 'dislike', 'comment') BEGIN UPDATE engagementd_real_counts SET likes = likes + (NEW.interaction_type = 'like'), dislikes = dislikes + (NEW.interaction_type = 'dislike'), comments = comments + (NEW.interaction_type = 'comment') WHERE stream_id = NEW.stream_id; END;

DROP TRIGGER IF EXISTS engagementd_interactions_update;

CREATE TRIGGER engagementd_interactions_update AFTER UPDATE ON stream_interactions FOR EACH ROW WHEN OLD.stream_id <> NEW.stream_id OR OLD.is_fake <> NEW.is_fake OR OLD.interaction_type <> NEW.interaction_type BEGIN UPDATE engagementd_real_counts SET likes = likes - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.interaction_type = 'like') + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.interaction_type = 'like'), dislikes = dislikes - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.interaction_type = 'dislike') + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.interaction_type = 'dislike'), comments = comments - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.interaction_type = 'comment') + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.interaction_type = 'comment') WHERE stream_id IN (OLD.stream_id, NEW.stream_id); END;

DROP TRIGGER IF EXISTS engagementd_interactions_delete;

CREATE TRIGGER engagementd_interactions_delete AFTER DELETE ON stream_interactions FOR EACH ROW WHEN OLD.is_fake = 0 AND OLD.interaction_type IN ('like', 'dislike', 'comment') BEGIN UPDATE engagementd_real_counts SET likes = likes - (OLD.interaction_type = 'like'), dislikes = dislikes - (OLD.interaction_type = 'dislike'), comments = comments - (OLD.interaction_type = 'comment') WHERE stream_id = OLD.stream_id; END;
