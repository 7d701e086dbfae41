-- The stream_key fix (see schema/mysql/002): every row gets a unique
-- non-empty key of 192 bits from SQLite's randomblob() (seeded from the
-- operating system), existing keys are kept, and an INSERT that omits
-- stream_key works. SQLite cannot change a column's constraints in place: where
-- the column had to be added, the trigger and the unique index carry the rule.
-- SQLite stores any DECIMAL, so the multiplier needs no widening here.

-- if-missing-column: live_streams.stream_key
ALTER TABLE live_streams ADD COLUMN stream_key TEXT;

UPDATE live_streams SET stream_key = lower(hex(randomblob(24)))
 WHERE stream_key IS NULL OR stream_key = '';

UPDATE live_streams SET stream_key = lower(hex(randomblob(24)))
 WHERE id NOT IN (SELECT MIN(id) FROM live_streams GROUP BY stream_key);

-- if-no-unique-index: live_streams.stream_key
CREATE UNIQUE INDEX IF NOT EXISTS uq_live_streams_stream_key ON live_streams (stream_key);

DROP TRIGGER IF EXISTS live_streams_stream_key;

CREATE TRIGGER live_streams_stream_key AFTER INSERT ON live_streams FOR EACH ROW WHEN NEW.stream_key IS NULL OR NEW.stream_key = '' BEGIN UPDATE live_streams SET stream_key = lower(hex(randomblob(24))) WHERE id = NEW.id; END;

CREATE INDEX IF NOT EXISTS idx_stream_viewers_stream ON stream_viewers (stream_id, is_fake, left_at);

CREATE INDEX IF NOT EXISTS idx_stream_interactions_stream ON stream_interactions (stream_id, is_fake, interaction_type);
