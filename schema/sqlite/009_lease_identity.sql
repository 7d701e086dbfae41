-- The lease holder's identity (see schema/mysql/008). SQLite has no
-- sessions to end: the columns exist so both dialects have the same table.
-- if-missing-column: engagementd_leader.lock_nonce
ALTER TABLE engagementd_leader ADD COLUMN lock_nonce INTEGER NOT NULL DEFAULT 0;
-- if-missing-column: engagementd_leader.lock_account
ALTER TABLE engagementd_leader ADD COLUMN lock_account TEXT NOT NULL DEFAULT '';
-- if-missing-column: engagementd_leader.server_host
ALTER TABLE engagementd_leader ADD COLUMN server_host TEXT NOT NULL DEFAULT '';
-- if-missing-column: engagementd_leader.server_started_s
ALTER TABLE engagementd_leader ADD COLUMN server_started_s INTEGER NOT NULL DEFAULT 0;
