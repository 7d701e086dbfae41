-- The heartbeat column and the saved_streams link (see schema/mysql/007).

-- if-missing-column: stream_viewers.last_seen_at
ALTER TABLE stream_viewers ADD COLUMN last_seen_at TEXT NULL;

-- if-missing-column: saved_streams.stream_id
ALTER TABLE saved_streams ADD COLUMN stream_id INTEGER NULL;

-- if-table: saved_streams
CREATE INDEX IF NOT EXISTS idx_saved_streams_stream_id ON saved_streams (stream_id);

CREATE INDEX IF NOT EXISTS idx_engagementd_stream_summary_finalized ON engagementd_stream_summary (finalized_ms);
