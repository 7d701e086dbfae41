-- What a standby needs before it ends a lease holder's session (KILL), so
-- that it never ends another one:
-- lock_nonce, lock_account: each tick, right after locking the row, the
-- holder stamps it (uncommitted) with its connection_id, its account and a
-- new lock_nonce. A standby that finds the row locked reads it both ways:
-- a dirty read showing another lock_nonce than the committed row is the
-- stamp of the transaction holding the row's lock, made on this server in
-- this server's life; only that connection is ended, and only if it runs
-- as the standby's own account.
-- server_host, server_started_s: the server the holder's last tick ran on
-- (@@hostname:@@port) and when that server started (seconds since the
-- epoch), so a takeover after a server restart says so.
-- if-missing-column: engagementd_leader.lock_nonce
ALTER TABLE engagementd_leader ADD COLUMN lock_nonce BIGINT UNSIGNED NOT NULL DEFAULT 0;
-- if-missing-column: engagementd_leader.lock_account
ALTER TABLE engagementd_leader ADD COLUMN lock_account VARCHAR(384) NOT NULL DEFAULT '';
-- if-missing-column: engagementd_leader.server_host
ALTER TABLE engagementd_leader ADD COLUMN server_host VARCHAR(300) NOT NULL DEFAULT '';
-- if-missing-column: engagementd_leader.server_started_s
ALTER TABLE engagementd_leader ADD COLUMN server_started_s BIGINT NOT NULL DEFAULT 0;
