-- The site's blocking bug: INSERT INTO live_streams without stream_key failed
-- ("Field 'stream_key' doesn't have a default value"), or the column was
-- missing. Afterwards every row, old and new, has a unique non-empty key of
-- 192 bits from the server's CSPRNG (RANDOM_BYTES, OpenSSL), existing keys are
-- kept, and the site's INSERT that omits stream_key works. Needs MariaDB 10.10+
-- or MySQL 8.0+ for RANDOM_BYTES (migrate checks the server first). Every
-- statement is safe to rerun.

-- if-missing-column: live_streams.stream_key
ALTER TABLE live_streams ADD COLUMN stream_key VARCHAR(128) NULL;

ALTER TABLE live_streams MODIFY stream_key VARCHAR(128) NULL DEFAULT NULL;

UPDATE live_streams SET stream_key = LOWER(HEX(RANDOM_BYTES(24)))
 WHERE stream_key IS NULL OR stream_key = '';

-- Duplicated keys: the oldest row keeps its key, the others get new ones.
UPDATE live_streams s
  JOIN (SELECT stream_key, MIN(id) AS keep_id FROM live_streams
         GROUP BY stream_key HAVING COUNT(*) > 1) d
    ON s.stream_key = d.stream_key AND s.id <> d.keep_id
   SET s.stream_key = LOWER(HEX(RANDOM_BYTES(24)));

ALTER TABLE live_streams MODIFY stream_key VARCHAR(128) NOT NULL DEFAULT '';

-- The site's own unique index on stream_key, where there is one, serves.
-- if-no-unique-index: live_streams.stream_key
-- if-missing-index: live_streams.uq_live_streams_stream_key
CREATE UNIQUE INDEX uq_live_streams_stream_key ON live_streams (stream_key);

-- An omitted (or empty) key becomes a fresh one before the row is written.
DROP TRIGGER IF EXISTS live_streams_stream_key;

CREATE TRIGGER live_streams_stream_key BEFORE INSERT ON live_streams FOR EACH ROW SET NEW.stream_key = IF(NEW.stream_key IS NULL OR NEW.stream_key = '', LOWER(HEX(RANDOM_BYTES(24))), NEW.stream_key);

-- The documented maximum multiplier is 10.0; DECIMAL(3,2) stops at 9.99.
-- Only the width changes: the column keeps the site's default (1.00 on the
-- production schema), nullability and comment.
-- widen-decimal: stream_engagement_config.engagement_multiplier 4,2

-- Real counts are aggregated per live stream every tick: index the columns.
-- if-missing-index: stream_viewers.idx_stream_viewers_stream
CREATE INDEX idx_stream_viewers_stream ON stream_viewers (stream_id, is_fake, left_at);

-- if-missing-index: stream_interactions.idx_stream_interactions_stream
CREATE INDEX idx_stream_interactions_stream ON stream_interactions (stream_id, is_fake, interaction_type);

-- if-missing-index: live_streams.idx_live_streams_status
CREATE INDEX idx_live_streams_status ON live_streams (status);
