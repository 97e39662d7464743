package dev.baton.spi;

import java.time.Duration;

/**
 * The cluster-wide cap on running turns (DESIGN §4, {@code cluster.max_concurrent_total}): {@code clusterMax}
 * permits shared by the nodes of a cluster. A node holds some of them as leases that expire unless renewed,
 * and starts a turn only with a permit it holds, so at any time at most {@code clusterMax} turns run across
 * the cluster (as long as nodes renew within the lease period: a node that cannot renew stops starting turns
 * when its local view of the lease lapses). A dead node's permits return after one lease period.
 *
 * <p>Sharing: every node with demand is entitled to a fair share, {@code max(1, clusterMax / live nodes)};
 * permits beyond the fair share go to nodes whose demand exceeds it, and are given back (when unused) as soon
 * as another node's demand is not met.
 *
 * <p><b>Concurrency.</b> Thread-safe; each call is one transaction, atomic and durable when it returns. A
 * permit is held by at most one node at a time.
 */
public interface ClusterPermits {

  /**
   * One heartbeat of {@code node}: records its demand, renews the permits it holds, takes free or expired
   * permits up to its target, and gives back unused permits above it.
   *
   * @param node the node (its lease owner name)
   * @param demand turns the node runs or could start now (running + waiting sessions)
   * @param inUse permits the node uses now (running turns); never given back
   * @param localMax the node's own cap ({@code agent.concurrency.max_concurrent_total})
   * @param clusterMax the cluster-wide cap
   * @param ttl how long the permits last unless renewed
   * @return how many permits the node holds now (at least {@code inUse} unless its permits were taken over)
   */
  int rebalance(String node, int demand, int inUse, int localMax, int clusterMax, Duration ttl);

  /** Gives back all of {@code node}'s permits and forgets the node (shutdown). */
  void leave(String node);
}
