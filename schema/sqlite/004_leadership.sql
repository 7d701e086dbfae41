-- The leadership lease (see schema/mysql/004).
CREATE TABLE IF NOT EXISTS engagementd_leader (
  shard INTEGER NOT NULL PRIMARY KEY,
  holder TEXT NOT NULL,
  token INTEGER NOT NULL,
  connection_id INTEGER NOT NULL DEFAULT 0,
  expires_ms INTEGER NOT NULL,
  last_tick_ms INTEGER NOT NULL DEFAULT 0
);

INSERT OR IGNORE INTO engagementd_leader (shard, holder, token, expires_ms) VALUES (0, '', 0, 0);
