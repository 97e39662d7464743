-- Baton schema v2 (PostgreSQL only): the cluster-wide cap on running turns (cluster.max_concurrent_total).
-- Times are nanoseconds since the epoch, from the store's injected Scheduler, like v1.

-- One row per permit, slots 1..max_concurrent_total (created on demand by the first node that needs them).
-- A permit is held by `owner` until `expires_at`; an expired or NULL owner means the permit is free.
CREATE TABLE cluster_permits (
  slot       INT    PRIMARY KEY,
  owner      TEXT,
  expires_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cluster_permits_owner ON cluster_permits (owner);

-- One row per live node: what it could use now (its demand capped by its own cap, never below its running
-- turns), how many permits it held after its last heartbeat, and when its heartbeat lapses.
CREATE TABLE cluster_nodes (
  node       TEXT   PRIMARY KEY,
  demand     INT    NOT NULL,
  held       INT    NOT NULL DEFAULT 0,
  expires_at BIGINT NOT NULL
);
