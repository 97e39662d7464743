package dev.baton.internal.engine;

import dev.baton.spi.ClusterPermits;
import dev.baton.spi.Scheduler;
import dev.baton.spi.StoreException;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   A cluster node's share of cluster.max_concurrent_total (DESIGN §4; docs/storage.md "Cluster-wide
 *   concurrency cap"). The node's FairDispatcher starts turns only with permits; its capacity is what the
 *   last heartbeat (ClusterPermits.rebalance) gave this node. Heartbeats run every poll interval (at most a
 *   third of the ttl) on their own virtual thread, so no slow journal poll delays them, and at once (a
 *   nudge, spaced by a quarter poll interval) when sessions wait and every permit is in use: a node that was
 *   idle holds none. A watchdog timer drops the capacity to 0 when nine tenths of the ttl have passed since
 *   the start of the last successful heartbeat, so the node stops starting turns before its permits can
 *   lapse in the database and go to another node. During a heartbeat the dispatcher is frozen at the permits
 *   in use (FairDispatcher.freeze): a heartbeat may give unused permits back, and one handed out locally at
 *   that moment would run a turn beyond the cap.
 *
 * Concurrency
 *   Heartbeats run one at a time (the `beating` lock: tried by the heartbeat and the nudge, taken by stop()).
 *   `validUntil` and the timers are volatile; the watchdog compares `validUntil` with the value it was armed
 *   for, so only the latest one acts. FairDispatcher.setCapacity is thread-safe.
 *
 * Failure
 *   A failed heartbeat is logged and tried again next interval; the watchdog keeps the cap.
 */
/** The cluster-wide cap on running turns, as seen by one node. Thread-safe. */
final class ClusterCap {

  private final Engine engine;
  private final ClusterPermits permits;
  private final String owner;
  private final int clusterMax;
  private final long pollIntervalMs;
  private final Duration ttl;
  private final Scheduler scheduler;
  private final ReentrantLock beating = new ReentrantLock();
  private volatile boolean stopped;
  /** Until when (scheduler nanos) the permits of the last successful heartbeat are surely this node's. */
  private volatile long validUntil = Long.MIN_VALUE;
  private volatile long lastBeatNanos = Long.MIN_VALUE / 2;
  private volatile Scheduler.@Nullable Cancellable timer;
  private volatile Scheduler.@Nullable Cancellable watchdog;

  ClusterCap(Engine engine, ClusterPermits permits, String owner, int clusterMax, long pollIntervalMs,
      Duration ttl) {
    this.engine = engine;
    this.permits = permits;
    this.owner = owner;
    this.clusterMax = clusterMax;
    this.pollIntervalMs = pollIntervalMs;
    this.ttl = ttl;
    this.scheduler = engine.scheduler;
  }

  /** The first heartbeat, now (before the node admits anything), then one every interval. */
  void start() {
    tick();
  }

  private void tick() {
    if (stopped) return;
    if (beating.tryLock()) {
      try {
        beat();
      } finally {
        beating.unlock();
      }
    }
    if (stopped) return;
    long every = Math.max(1, Math.min(pollIntervalMs, ttl.toMillis() / 3));
    timer = scheduler.schedule(Duration.ofMillis(every),
        () -> Thread.ofVirtual().name("baton-cluster-permits").start(this::tick));
  }

  /**
   * Sessions wait and every permit this node holds is in use: heartbeat now rather than at the next interval.
   * Cheap when called often (on every starved pump): spaced by a quarter poll interval.
   */
  void nudge() {
    if (stopped) return;
    long now = scheduler.nanoTime();
    if (now - lastBeatNanos < pollIntervalMs * 250_000L) return;
    if (engine.dispatcher.capacity() >= engine.concurrency.maxConcurrentTotal()) return;
    lastBeatNanos = now; // one nudge per spacing, even when many threads find the node starved
    Thread.ofVirtual().name("baton-cluster-permits").start(() -> {
      if (!beating.tryLock()) return; // a heartbeat is under way
      try {
        beat();
      } finally {
        beating.unlock();
      }
    });
  }

  /** One heartbeat; called with `beating` held. */
  private void beat() {
    long started = scheduler.nanoTime(); // the permits' database expiry counts from no earlier than this
    lastBeatNanos = started;
    // No turn may start on a permit this heartbeat could give back: until it answers, only the permits in
    // use now count (at most what the database holds for this node, before and after).
    int inUse = engine.dispatcher.freeze();
    int demand = inUse + engine.dispatcher.waiting();
    int localMax = engine.concurrency.maxConcurrentTotal();
    try {
      int got = permits.rebalance(owner, demand, Math.max(0, inUse), localMax, clusterMax, ttl);
      long until = started + ttl.toNanos() - ttl.toNanos() / 10; // a tenth of the ttl spare for clocks
      validUntil = until;
      engine.dispatcher.setCapacity(Math.min(got, localMax));
      Scheduler.Cancellable previous = watchdog;
      if (previous != null) previous.cancel();
      watchdog = scheduler.scheduleAt(until, () -> {
        if (validUntil == until && !stopped) {
          engine.dispatcher.setCapacity(0);
          engine.log.warn("cluster node {}: cluster permits not renewed in time; starting no turns until they are",
              owner);
        }
      });
    } catch (RuntimeException e) {
      // Whether the heartbeat gave permits back is unknown: keep the frozen capacity (at most what is still
      // held) until a heartbeat answers, and none at all once the permits may have lapsed.
      engine.log.warn("cluster node {}: permit heartbeat failed ({})", owner, e.toString());
      if (scheduler.nanoTime() - validUntil >= 0) engine.dispatcher.setCapacity(0);
    }
  }

  /** Stops the heartbeats (waiting for one under way) and gives every permit back. */
  void stop() {
    stopped = true;
    Scheduler.Cancellable t = timer;
    if (t != null) t.cancel();
    Scheduler.Cancellable w = watchdog;
    if (w != null) w.cancel();
    beating.lock();
    try {
      permits.leave(owner);
    } catch (StoreException e) {
      engine.log.warn("cluster node {}: could not give back its permits ({}); they expire in {} ms", owner,
          e.toString(), ttl.toMillis());
    } finally {
      beating.unlock();
    }
  }
}
