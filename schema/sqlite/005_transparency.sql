-- Telling real from simulated (see schema/mysql/005).

-- if-missing-column: live_streams.includes_simulated
ALTER TABLE live_streams ADD COLUMN includes_simulated INTEGER NOT NULL DEFAULT 0;

ALTER TABLE engagementd_stream_state ADD COLUMN real_peak INTEGER NOT NULL DEFAULT 0;

ALTER TABLE engagementd_stream_state ADD COLUMN sim_peak INTEGER NOT NULL DEFAULT 0;

ALTER TABLE engagementd_stream_state ADD COLUMN config_json TEXT NULL;

ALTER TABLE engagementd_stream_summary ADD COLUMN real_peak INTEGER NOT NULL DEFAULT 0;

ALTER TABLE engagementd_stream_summary ADD COLUMN sim_peak INTEGER NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS engagementd_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  stream_id INTEGER NULL,
  detail TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_engagementd_audit_event ON engagementd_audit (event, id);

CREATE INDEX IF NOT EXISTS idx_engagementd_audit_stream ON engagementd_audit (stream_id, id);

CREATE TRIGGER IF NOT EXISTS engagementd_audit_no_update BEFORE UPDATE ON engagementd_audit BEGIN SELECT RAISE(ABORT, 'engagementd_audit is append-only'); END;

CREATE TRIGGER IF NOT EXISTS engagementd_audit_no_delete BEFORE DELETE ON engagementd_audit BEGIN SELECT RAISE(ABORT, 'engagementd_audit is append-only'); END;
