-- The leadership lease, one row per shard. Only the holder of an unexpired
-- lease ticks; it locks the row (FOR UPDATE) at the start of every tick's
-- transaction and renews it there, so a paused or cut-off old holder cannot
-- commit once another instance has taken over (the token changes then).
-- Times are milliseconds since the epoch on the database clock.
-- last_tick_ms is when the holder's last committed tick ran, the time every
-- live stream has been advanced to, written in the same transaction as the
-- tick itself.
CREATE TABLE IF NOT EXISTS engagementd_leader (
  shard INT UNSIGNED NOT NULL PRIMARY KEY,
  holder VARCHAR(255) NOT NULL,
  token BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  expires_ms BIGINT NOT NULL,
  last_tick_ms BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The row of the only shard, so that instances lock it rather than race to
-- create it.
INSERT IGNORE INTO engagementd_leader (shard, holder, token, expires_ms) VALUES (0, '', 0, 0);
