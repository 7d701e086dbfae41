-- The node of the lease row's stamp (see schema/mysql/010). SQLite has no
-- nodes: the column exists so both dialects have the same table.
-- if-missing-column: engagementd_leader.lock_node
ALTER TABLE engagementd_leader ADD COLUMN lock_node TEXT NOT NULL DEFAULT '';
