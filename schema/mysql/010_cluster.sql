-- The node the lease row's stamp was made on (schema/mysql/009): on a
-- Galera cluster every node numbers its connections itself, so a
-- connection id means nothing without its node (wsrep_node_name; elsewhere
-- @@hostname:@@port). A standby ends a stalled holder's session only if
-- the stamp was made on its own node; through another node it ends
-- nothing (Galera itself aborts the stalled transaction when the standby's
-- tick commits the lease).
-- if-missing-column: engagementd_leader.lock_node
ALTER TABLE engagementd_leader ADD COLUMN lock_node VARCHAR(300) NOT NULL DEFAULT '';

-- Instances that claim shards themselves (shard.index: auto): each keeps
-- its own row here fresh every tick, so every instance knows how many
-- share the shards and takes its fair part (a row per instance: no two
-- instances write the same row, so no conflicts between nodes of a
-- cluster). A row not refreshed for a lease is an instance gone.
CREATE TABLE IF NOT EXISTS engagementd_instances (
  holder VARCHAR(255) NOT NULL PRIMARY KEY,
  shard_count INT UNSIGNED NOT NULL,
  seen_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
