-- Real viewers with a heartbeat column (stream_viewers.last_seen_at, 007):
-- a tick that keeps its streams in memory takes joins and leaves from the
-- appended deltas every tick, and recounts a rotating slice of the live
-- streams exactly (simulation.real_viewer_sweep), which drops the sessions
-- that went silent without leaving (a closed tab). A session dropped so and
-- leaving afterwards must not be subtracted again: its -1 now carries when
-- the session was last seen (its heartbeat, or its join without one), in
-- Unix seconds, so that the tick can tell whether the last recount of its
-- stream counted it. NULL on every other row.
--
-- Only the rows a leave appends change: the conditions of the UPDATE
-- trigger are the same as 008's, so the pages' heartbeat UPDATE (the
-- site's hottest write) does no more work than before.
-- if-missing-column: engagementd_real_deltas.seen_s
ALTER TABLE engagementd_real_deltas ADD COLUMN seen_s BIGINT NULL DEFAULT NULL;

DROP TRIGGER IF EXISTS engagementd_viewers_update;

CREATE TRIGGER engagementd_viewers_update AFTER UPDATE ON stream_viewers FOR EACH ROW BEGIN IF OLD.is_fake = 0 AND OLD.left_at IS NULL AND (OLD.stream_id <> NEW.stream_id OR NOT (NEW.is_fake = 0 AND NEW.left_at IS NULL)) THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments, seen_s) VALUES (OLD.stream_id, -1, 0, 0, 0, FLOOR(UNIX_TIMESTAMP(COALESCE(OLD.last_seen_at, OLD.joined_at)))); END IF; IF NEW.is_fake = 0 AND NEW.left_at IS NULL AND (OLD.stream_id <> NEW.stream_id OR NOT (OLD.is_fake = 0 AND OLD.left_at IS NULL)) THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments) VALUES (NEW.stream_id, 1, 0, 0, 0); END IF; END;

DROP TRIGGER IF EXISTS engagementd_viewers_delete;

CREATE TRIGGER engagementd_viewers_delete AFTER DELETE ON stream_viewers FOR EACH ROW BEGIN IF OLD.is_fake = 0 AND OLD.left_at IS NULL THEN INSERT INTO engagementd_real_deltas (stream_id, viewers, likes, dislikes, comments, seen_s) VALUES (OLD.stream_id, -1, 0, 0, 0, FLOOR(UNIX_TIMESTAMP(COALESCE(OLD.last_seen_at, OLD.joined_at)))); END IF; END;
