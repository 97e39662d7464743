package dev.baton.internal.engine;

import dev.baton.SessionKey;
import dev.baton.config.ClusterConfig;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Scheduler;
import dev.baton.spi.SessionLeases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   Cluster mode: the journal poll (every poll_interval_ms, on a virtual thread). Each poll starts a new
 *   in-flight epoch (InflightKeys.forgetFinished), walks the journal's unfinished entries of sessions that are
 *   free, expired or this node's (a cursor: a backlog is read over several polls), admits those of this
 *   node's sessions not yet in flight here, takes over free and expired sessions (dropping what it read
 *   before the acquire: adoption reads afresh), and then delivers orphaned outboxes (sessions whose owner
 *   died with replies undelivered) by taking their leases.
 *
 * Concurrency
 *   Polls run one at a time: `polling` is tried by each tick (a tick that finds a poll under way comes back
 *   next interval) and taken by whileIdle (stop). `cursor` is confined to the thread holding `polling`.
 *   `stopped` and the timer are volatile. The lock is held across the poll's store calls: it guards only
 *   the cursor and "one poll at a time", and nothing else waits for it but stop.
 *
 * Failure
 *   A failed poll is logged and the next interval polls again (from the same cursor).
 */
/** The journal poll of one cluster node. Thread-safe. */
final class JournalPoller {

  private final Engine engine;
  private final ClusterConfig config;
  private final SessionLeases leases;
  private final String owner;
  private final LeaseTable table;
  private final InflightKeys inflight;
  private final ReentrantLock polling = new ReentrantLock();
  private volatile boolean stopped;
  private volatile Scheduler.@Nullable Cancellable timer;
  /** Confined to the thread holding `polling`. */
  private long cursor;

  JournalPoller(Engine engine, ClusterConfig config, SessionLeases leases, String owner, LeaseTable table,
      InflightKeys inflight) {
    this.engine = engine;
    this.config = config;
    this.leases = leases;
    this.owner = owner;
    this.table = table;
    this.inflight = inflight;
  }

  /** One poll and rebalance now, on the calling thread; then one every interval. */
  void tick() {
    if (stopped) return;
    if (!polling.tryLock()) { // a poll is still under way: come back next interval
      arm();
      return;
    }
    try {
      poll();
    } catch (RuntimeException e) {
      engine.log.warn("cluster node {}: poll failed ({}); retrying", owner, e.toString());
    } finally {
      polling.unlock();
      arm();
    }
  }

  private void arm() {
    if (stopped) return;
    timer = engine.scheduler.schedule(Duration.ofMillis(config.pollIntervalMs()),
        () -> Thread.ofVirtual().name("baton-cluster-poll").start(this::tick));
  }

  private void poll() {
    inflight.forgetFinished();
    inflight.admitting(() -> {
      admitClaimable();
      return true;
    });
    for (SessionKey s : leases.orphanedOutboxes(owner, config.pollBatch())) {
      if (stopped || engine.closed) return;
      if (table.holds(s)) continue;
      table.underLease(s, null, (adopted, pending) -> Boolean.TRUE); // adopting delivers the replies
    }
  }

  /** Reads the claimable journal entries and admits those of sessions this node holds or takes. */
  private void admitClaimable() {
    List<SessionLeases.Claimable> rows = leases.claimable(owner, cursor, config.pollBatch());
    cursor = rows.size() < config.pollBatch() ? 0 : rows.getLast().seq();
    Map<SessionKey, List<JournalEntry>> bySession = new LinkedHashMap<>();
    for (SessionLeases.Claimable c : rows) {
      if (!inflight.contains(c.entry().key())) {
        bySession.computeIfAbsent(c.entry().session(), k -> new ArrayList<>()).add(c.entry());
      }
    }
    for (Map.Entry<SessionKey, List<JournalEntry>> en : bySession.entrySet()) {
      if (stopped || engine.closed) return;
      List<JournalEntry> found = en.getValue();
      table.underLease(en.getKey(), null, (adopted, pending) -> {
        // A fresh acquire has just admitted the session's unfinished messages read afresh; what this poll
        // read before may be stale (another node may have finished them meanwhile): it is dropped.
        if (adopted) return Boolean.TRUE;
        List<JournalEntry> work = new ArrayList<>();
        for (JournalEntry j : found) if (inflight.track(j)) work.add(j);
        if (!work.isEmpty()) engine.adopt(work);
        return Boolean.TRUE;
      });
    }
  }

  /** No more polls: cancels the timer (a poll under way stops early once it sees this). */
  void stop() {
    stopped = true;
    Scheduler.Cancellable t = timer;
    if (t != null) t.cancel();
  }

  /** Runs {@code action} once no poll is under way, and with none starting meanwhile. */
  void whileIdle(Runnable action) {
    polling.lock();
    try {
      action.run();
    } finally {
      polling.unlock();
    }
  }
}
