-- What the site's pages need so they only read the numbers (the PHP kit in
-- php/ uses both columns when they are there, and works without them).
-- Neither changes a column of the site's.

-- The heartbeat: the page's poll sets last_seen_at, so a real viewer whose
-- tab is gone stops counting after simulation.real_viewer_ttl (a session
-- with no heartbeat yet counts from joined_at). With this column, open
-- sessions are counted by every tick rather than kept by the triggers.
-- if-missing-column: stream_viewers.last_seen_at
ALTER TABLE stream_viewers ADD COLUMN last_seen_at TIMESTAMP NULL DEFAULT NULL COMMENT 'Last heartbeat of the viewing page (engagementd)';

-- The production saved_streams has no stream id: end.php links its replay
-- row to the stream here, and finalization writes the stream's final
-- numbers into the linked row (views, likes, dislikes), also when the row
-- is written after the stream was finalized. A saved_streams that has a
-- stream_id column already (the site's migration shape) is left alone.
-- if-missing-column: saved_streams.stream_id
ALTER TABLE saved_streams ADD COLUMN stream_id BIGINT UNSIGNED NULL DEFAULT NULL COMMENT 'live_streams.id this replay is of (engagementd)', ADD INDEX idx_saved_streams_stream_id (stream_id);

-- Finding the streams finalized lately (the replay rows written after
-- finalization) without reading every summary row.
-- if-missing-index: engagementd_stream_summary.idx_engagementd_stream_summary_finalized
CREATE INDEX idx_engagementd_stream_summary_finalized ON engagementd_stream_summary (finalized_ms);
