-- Real counts kept as the site writes its rows, instead of counted every tick.
--
-- engagementd_real_counts holds, per stream engagementd simulates, the real
-- numbers of contract 1, that is open sessions (left_at IS NULL, is_fake = 0)
-- and the likes, dislikes and comments with is_fake = 0. The triggers below
-- keep a row exact in the same transaction as the site's INSERT, UPDATE or
-- DELETE; they only change rows that exist. engagementd creates a stream's
-- row by counting its rows (with a locking read, so a row the site writes
-- meanwhile is counted once) the first time it sees the stream live, and
-- deletes it when it finalizes the stream. So a tick reads one row per live
-- stream, whatever the length of the stream's history.
--
-- The triggers run with the privileges of the account that ran this
-- migration (their DEFINER). Keep that account, or the site's writes to
-- these two tables fail. A heartbeat column (stream_viewers.last_seen_at)
-- cannot be followed by triggers. With one, open sessions are counted every
-- tick as before, and only the interaction counts come from here.
CREATE TABLE IF NOT EXISTS engagementd_real_counts (
  stream_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  viewers BIGINT NOT NULL DEFAULT 0,
  likes BIGINT NOT NULL DEFAULT 0,
  dislikes BIGINT NOT NULL DEFAULT 0,
  comments BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

DROP TRIGGER IF EXISTS engagementd_viewers_insert;

CREATE TRIGGER engagementd_viewers_insert AFTER INSERT ON stream_viewers FOR EACH ROW
  UPDATE engagementd_real_counts SET viewers = viewers + 1
   WHERE stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.left_at IS NULL;

DROP TRIGGER IF EXISTS engagementd_viewers_update;

CREATE TRIGGER engagementd_viewers_update AFTER UPDATE ON stream_viewers FOR EACH ROW
  UPDATE engagementd_real_counts
     SET viewers = viewers
       - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.left_at IS NULL)
       + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.left_at IS NULL)
   WHERE stream_id IN (OLD.stream_id, NEW.stream_id)
     AND (OLD.stream_id <> NEW.stream_id
          OR (OLD.is_fake = 0 AND OLD.left_at IS NULL) <> (NEW.is_fake = 0 AND NEW.left_at IS NULL));

DROP TRIGGER IF EXISTS engagementd_viewers_delete;

CREATE TRIGGER engagementd_viewers_delete AFTER DELETE ON stream_viewers FOR EACH ROW
  UPDATE engagementd_real_counts SET viewers = viewers - 1
   WHERE stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.left_at IS NULL;

DROP TRIGGER IF EXISTS engagementd_interactions_insert;

CREATE TRIGGER engagementd_interactions_insert AFTER INSERT ON stream_interactions FOR EACH ROW
  UPDATE engagementd_real_counts
     SET likes = likes + (NEW.interaction_type = 'like'),
         dislikes = dislikes + (NEW.interaction_type = 'dislike'),
         comments = comments + (NEW.interaction_type = 'comment')
   WHERE stream_id = NEW.stream_id AND NEW.is_fake = 0
     AND NEW.interaction_type IN ('like', 'dislike', 'comment');

DROP TRIGGER IF EXISTS engagementd_interactions_update;

CREATE TRIGGER engagementd_interactions_update AFTER UPDATE ON stream_interactions FOR EACH ROW
  UPDATE engagementd_real_counts
     SET likes = likes
       - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.interaction_type = 'like')
       + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.interaction_type = 'like'),
         dislikes = dislikes
       - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.interaction_type = 'dislike')
       + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.interaction_type = 'dislike'),
         comments = comments
       - (stream_id = OLD.stream_id AND OLD.is_fake = 0 AND OLD.interaction_type = 'comment')
       + (stream_id = NEW.stream_id AND NEW.is_fake = 0 AND NEW.interaction_type = 'comment')
   WHERE stream_id IN (OLD.stream_id, NEW.stream_id)
     AND (OLD.stream_id <> NEW.stream_id OR OLD.is_fake <> NEW.is_fake
          OR OLD.interaction_type <> NEW.interaction_type);

DROP TRIGGER IF EXISTS engagementd_interactions_delete;

CREATE TRIGGER engagementd_interactions_delete AFTER DELETE ON stream_interactions FOR EACH ROW
  UPDATE engagementd_real_counts
     SET likes = likes - (OLD.interaction_type = 'like'),
         dislikes = dislikes - (OLD.interaction_type = 'dislike'),
         comments = comments - (OLD.interaction_type = 'comment')
   WHERE stream_id = OLD.stream_id AND OLD.is_fake = 0
     AND OLD.interaction_type IN ('like', 'dislike', 'comment');
