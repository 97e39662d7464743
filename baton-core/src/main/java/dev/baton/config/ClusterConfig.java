package dev.baton.config;

import java.util.Objects;

/**
 * {@code cluster:} several Baton nodes on one PostgreSQL database (see {@code docs/storage.md}, "Many
 * nodes"). Off by default: a single node needs none of it.
 */
public record ClusterConfig(
    @Doc("Run as one node of a cluster: take a session's lease before running its turns, commit with the"
        + " lease's fencing token, and pick up journaled work of sessions no live node owns. Needs"
        + " `storage.backend: postgres`.") boolean enabled,
    @Doc("This node's name in leases, logs and the admin API; empty = host name and process id. A random"
        + " suffix per start keeps two incarnations apart.") String nodeId,
    @Doc("How often the node looks in the journal for work it may take: messages another node accepted for"
        + " a session this node owns, and sessions whose owner's lease lapsed (ms).") long pollIntervalMs,
    @Doc("Most journal entries one poll reads; a larger backlog is read over several polls.") int pollBatch,
    @Doc("Most turns running at once across the whole cluster (0 = no cluster-wide cap; each node still"
        + " obeys `agent.concurrency.max_concurrent_total`).") int maxConcurrentTotal) {

  public ClusterConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    Checks.positive("poll_interval_ms", pollIntervalMs);
    Checks.positive("poll_batch", pollBatch);
    Checks.nonNegative("max_concurrent_total", maxConcurrentTotal);
    if (!nodeId.matches("[A-Za-z0-9._-]{0,64}")) {
      throw new IllegalArgumentException("node_id may hold only letters, digits, '.', '_' and '-' (at most 64)");
    }
  }

  public static ClusterConfig defaults() {
    return new ClusterConfig(false, "", 200, 1_000, 0);
  }

  /** Cluster mode on, as {@code nodeId}, other keys at their defaults. */
  public static ClusterConfig node(String nodeId) {
    return new ClusterConfig(true, nodeId, 200, 1_000, 0);
  }

  public ClusterConfig withPollIntervalMs(long ms) {
    return new ClusterConfig(enabled, nodeId, ms, pollBatch, maxConcurrentTotal);
  }

  public ClusterConfig withMaxConcurrentTotal(int n) {
    return new ClusterConfig(enabled, nodeId, pollIntervalMs, pollBatch, n);
  }
}
