-- The node of the lease row's stamp (see schema/mysql/010). SQLite has no
-- nodes: the column exists so both dialects have the same table.
-- if-missing-column: engagementd_leader.lock_node
ALTER TABLE engagementd_leader ADD COLUMN lock_node TEXT NOT NULL DEFAULT '';

-- Instances that claim shards themselves (see schema/mysql/010).
CREATE TABLE IF NOT EXISTS engagementd_instances (
  holder TEXT NOT NULL PRIMARY KEY,
  shard_count INTEGER NOT NULL,
  seen_ms INTEGER NOT NULL
);
