-- The streams whose settings changed, appended by the triggers on the
-- site's stream_engagement_config (and by recount), taken by the tick (see
-- schema/mysql/011).
CREATE TABLE IF NOT EXISTS engagementd_stream_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL
);

DROP TRIGGER IF EXISTS engagementd_config_insert;

CREATE TRIGGER engagementd_config_insert AFTER INSERT ON stream_engagement_config FOR EACH ROW BEGIN INSERT INTO engagementd_stream_changes (stream_id) VALUES (NEW.stream_id); END;

DROP TRIGGER IF EXISTS engagementd_config_update;

CREATE TRIGGER engagementd_config_update AFTER UPDATE ON stream_engagement_config FOR EACH ROW BEGIN INSERT INTO engagementd_stream_changes (stream_id) VALUES (NEW.stream_id); INSERT INTO engagementd_stream_changes (stream_id) SELECT OLD.stream_id WHERE OLD.stream_id <> NEW.stream_id; END;

DROP TRIGGER IF EXISTS engagementd_config_delete;

CREATE TRIGGER engagementd_config_delete AFTER DELETE ON stream_engagement_config FOR EACH ROW BEGIN INSERT INTO engagementd_stream_changes (stream_id) VALUES (OLD.stream_id); END;
