-- Baton schema v5.1 (PostgreSQL only): the cluster-wide share of a model provider's requests per minute
-- (agent.rate_limits.provider.requests_per_minute in cluster mode). One row per provider and fixed 60 s window
-- (window_start: epoch milliseconds from the store's injected Scheduler); `used` counts the requests the nodes
-- together started in it and never passes the limit (PgProviderQuota: one atomic upsert per request).
-- Versioned 5.1 so that it orders after a V5 another change may add, and never collides with it.
CREATE TABLE provider_windows (
  provider     TEXT   NOT NULL,
  window_start BIGINT NOT NULL,
  used         INT    NOT NULL,
  PRIMARY KEY (provider, window_start)
);
