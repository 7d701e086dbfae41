-- Telling real from simulated.

-- The badge flag: 1 while the stream's display numbers (viewer_count,
-- like_count, max_viewers) include a simulated part, so the page can say
-- "includes simulated audience". Written by engagementd only when it changes;
-- it stays on an ended stream whose final numbers include simulated ones.
-- if-missing-column: live_streams.includes_simulated
ALTER TABLE live_streams ADD COLUMN includes_simulated TINYINT UNSIGNED NOT NULL DEFAULT 0;

-- Real and simulated peaks apart (peak_viewers is the peak of their sum), and
-- the configuration the stream was last simulated with, to notice changes.
-- if-missing-column: engagementd_stream_state.real_peak
ALTER TABLE engagementd_stream_state ADD COLUMN real_peak INT UNSIGNED NOT NULL DEFAULT 0;

-- if-missing-column: engagementd_stream_state.sim_peak
ALTER TABLE engagementd_stream_state ADD COLUMN sim_peak INT UNSIGNED NOT NULL DEFAULT 0;

-- if-missing-column: engagementd_stream_state.config_json
ALTER TABLE engagementd_stream_state ADD COLUMN config_json VARCHAR(512) NULL;

-- if-missing-column: engagementd_stream_summary.real_peak
ALTER TABLE engagementd_stream_summary ADD COLUMN real_peak INT UNSIGNED NOT NULL DEFAULT 0;

-- if-missing-column: engagementd_stream_summary.sim_peak
ALTER TABLE engagementd_stream_summary ADD COLUMN sim_peak INT UNSIGNED NOT NULL DEFAULT 0;

-- Append-only audit trail: when a stream was first simulated and with which
-- settings, kill-switch flips, settings changes engagementd noticed or made,
-- finalizations. detail is a JSON object. Times: ms since the epoch on the
-- database clock. The triggers refuse UPDATE and DELETE.
CREATE TABLE IF NOT EXISTS engagementd_audit (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  event VARCHAR(32) NOT NULL,
  stream_id BIGINT UNSIGNED NULL,
  detail TEXT NOT NULL,
  KEY idx_engagementd_audit_event (event, id),
  KEY idx_engagementd_audit_stream (stream_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

DROP TRIGGER IF EXISTS engagementd_audit_no_update;

CREATE TRIGGER engagementd_audit_no_update BEFORE UPDATE ON engagementd_audit FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'engagementd_audit is append-only';

DROP TRIGGER IF EXISTS engagementd_audit_no_delete;

CREATE TRIGGER engagementd_audit_no_delete BEFORE DELETE ON engagementd_audit FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'engagementd_audit is append-only';
