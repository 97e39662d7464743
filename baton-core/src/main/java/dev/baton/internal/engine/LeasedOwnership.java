package dev.baton.internal.engine;

import dev.baton.Admission;
import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ClusterConfig;
import dev.baton.spi.ClusterPermits;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.StoreException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The engine's part in a cluster of nodes on one database (cluster.enabled; docs/storage.md "Many nodes").
 *   A node runs a session's turns only while it holds the session's lease, and every commit of the session
 *   carries the lease's fencing token, so a node that lost the lease cannot write (the store refuses it).
 *   Four ideas, one class each, joined here:
 *   - LeaseTable: the leases this node holds, their tokens, their renewal.
 *   - InflightKeys: what this node admitted and has not forgotten (so nothing is admitted twice here).
 *   - JournalPoller: the poll that finds work other nodes accepted or dead nodes left.
 *   - ClusterCap: this node's share of cluster.max_concurrent_total (absent when that is 0).
 *
 *   - submit (admitFresh): held -> admit here; free or expired -> take it; another live node holds it -> the
 *     message stays journaled and that node's poll picks it up. Under the lease the journal decides: the
 *     session's older unfinished messages are admitted first, and the submitted one only if it is still
 *     unfinished and not in flight (a poll may have run it already).
 *   - A fresh acquire adopts the session (adopt): its undelivered replies are delivered (the last owner died
 *     before it could) and its unfinished messages, read afresh after the acquire, admitted in journal order.
 *   - A lost lease (renew refused or a commit fenced): the session's in-memory work is dropped; its messages
 *     are still journaled and run by the new owner.
 *
 * Concurrency
 *   Thread-safe; see each part. Two locks are held across store calls, on purpose and written down in their
 *   classes: LeaseTable's per-session Held.lock (it serializes a session's admissions on this node; the
 *   renewal cannot release a lease between a check and an admission) and the read lock of
 *   InflightKeys.tracking (from an admission's journal read to its track()). Lock order: Held.lock and
 *   tracking (read) in either order — tracking is written only by the poller, one poll at a time, holding
 *   nothing else, so two readers never wait for each other —, then an actor's monitor. The `polling`,
 *   `renewing` and `beating` locks are each taken by their own thread and by stop. Never called under an
 *   actor's monitor.
 *
 * Failure
 *   Store errors in polls, renewals and heartbeats are logged and retried next time; a lease not renewed by
 *   its expiry (local clock) is treated as lost. A cluster permit lease not renewed within the ttl sets the
 *   node's capacity to 0 until the store answers again. A store error in admitFresh propagates to submit.
 */
/** One engine node of a cluster: session leases, fencing tokens, journal polling and takeover. */
final class LeasedOwnership implements SessionOwnership {

  final String owner;
  private final Engine engine;
  private final ClusterConfig config;
  private final Duration ttl;
  /** The cluster-wide cap, or null when cluster.max_concurrent_total is 0. */
  private final @Nullable ClusterCap cap;
  private final LeaseTable table;
  private final InflightKeys inflight = new InflightKeys();
  private final JournalPoller poller;

  LeasedOwnership(Engine engine, ClusterConfig config, SessionLeases leases, Optional<ClusterPermits> permits,
      Duration ttl, MeterRegistry meters) {
    this.engine = engine;
    this.config = config;
    this.ttl = ttl;
    String base = config.nodeId().isEmpty() ? defaultNodeId() : config.nodeId();
    this.owner = base + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    if (config.maxConcurrentTotal() > 0) {
      ClusterPermits p = permits.orElseThrow(() -> new IllegalStateException("cluster.max_concurrent_total needs"
          + " a store that offers cluster permits (postgres); this store does not"));
      this.cap = new ClusterCap(engine, p, owner, config.maxConcurrentTotal(), config.pollIntervalMs(), ttl);
    } else {
      this.cap = null;
    }
    this.table = new LeaseTable(engine, leases, owner, ttl, this::adopt, this::fenced);
    this.poller = new JournalPoller(engine, config, leases, owner, table, inflight);
    Gauge.builder("baton.cluster.leases", table, LeaseTable::size)
        .description("Session leases this node holds").register(meters);
    Gauge.builder("baton.cluster.permits", engine, e -> e.dispatcher.capacity())
        .description("Turns this node may run at once now (its share of cluster.max_concurrent_total)")
        .register(meters);
  }

  private static String defaultNodeId() {
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).filter(h -> !h.isBlank()).orElse("node");
    return host.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + ProcessHandle.current().pid();
  }

  // ------------------------------------------------------------------ SessionOwnership

  @Override
  public Admission admitFresh(JournalEntry entry, Supplier<Admission> admitHere) {
    DedupKey key = entry.key();
    SessionKey session = entry.session();
    Admission a = table.underLease(session, key, (adopted, pending) -> {
      if (!admitAfterOlder(entry, adopted, pending)) {
        // This node's poll found it in the journal first and admitted it (it may even be answered by now):
        // it runs once, from there.
        engine.metrics.admitted.increment();
        return new Admission.Accepted(key, session);
      }
      return admitHere.get();
    });
    if (a != null) return a;
    // Another live node runs this session: the message is journaled and its owner's poll takes it.
    engine.metrics.admitted.increment();
    return new Admission.Accepted(key, session);
  }

  @Override
  public long token(SessionKey session) {
    return table.token(session);
  }

  @Override
  public void committed(List<DedupKey> keys) {
    inflight.finished(keys);
  }

  /** Lease lost (renew refused, commit fenced): forget the session here; the new owner runs its messages. */
  @Override
  public void fenced(SessionKey session, long token) {
    if (!table.drop(session, token)) return;
    engine.log.warn("session {}: lease lost by {} (token {}); its queued work is left to the new owner",
        session, owner, token);
    engine.abandon(session);
    inflight.forgetSession(session);
  }

  @Override
  public int startingPermits(int localMax) {
    // With a cluster-wide cap the node may start turns only with the permits its first heartbeat gets.
    return cap != null ? 0 : localMax;
  }

  @Override
  public void starved() {
    ClusterCap c = cap;
    if (c != null) c.nudge();
  }

  /**
   * The first permits (before the first poll admits anything), one synchronous poll (so start-up takes over
   * what no live node owns: the local recovery is not run), then polls every interval, and the renewals
   * every lease_ttl / 3 on their own thread, so a slow poll (a database under load) never delays them.
   */
  @Override
  public void start(Runnable recoverLocal) {
    ClusterCap c = cap;
    if (c != null) c.start();
    poller.tick();
    table.startRenewing();
    engine.log.info("cluster node {} started (lease ttl {} ms, poll every {} ms)", owner, ttl.toMillis(),
        config.pollIntervalMs());
  }

  /** Stops polling and renewing; gives back permits and the leases of sessions with nothing left to deliver. */
  @Override
  public void stop() {
    poller.stop();
    table.stopRenewing();
    ClusterCap c = cap;
    if (c != null) c.stop();
    poller.whileIdle(() -> { // a poll under way finishes first (it stops early once it sees `stopped`)
      try {
        table.releaseAll();
      } catch (StoreException e) {
        engine.log.warn("cluster node {}: could not give back its leases ({}); they expire in {} ms", owner,
            e.toString(), ttl.toMillis());
      }
    });
  }

  // ------------------------------------------------------------------ admission under a lease

  /**
   * Cluster-mode admission of a message this node just journaled for a session it holds: first the session's
   * older unfinished messages that other nodes accepted and this node has not admitted yet (so a client that
   * waited for each acknowledgement sees its messages run in the order it sent them, whichever nodes took
   * them), then this one. Called under the lease.
   *
   * <p>Between the journal insert and this call a poll of this node may have found the message, admitted it,
   * and even run and committed it already (and a later poll forgotten it). So the journal, read here under
   * the lease's lock (no admission of this session can happen meanwhile), decides: the message is admitted
   * only if it is still unfinished there and not in flight here.
   *
   * @return whether the caller must admit {@code entry}
   */
  private boolean admitAfterOlder(JournalEntry entry, boolean adopted, boolean submittedPending) {
    return inflight.admitting(() -> {
      if (adopted) return submittedPending && inflight.track(entry);
      List<JournalEntry> older = new ArrayList<>();
      boolean pending = false;
      for (JournalEntry e : engine.store.unfinished(entry.session())) {
        if (e.key().equals(entry.key())) {
          pending = true;
          break;
        }
        if (inflight.track(e)) older.add(e);
      }
      if (!older.isEmpty()) engine.adopt(older);
      return pending && inflight.track(entry);
    });
  }

  /**
   * A session this node just took (under its lease's lock): its last owner's undelivered replies first, then
   * its unfinished messages in journal order (except {@code submitted}, which its submit admits itself).
   *
   * @return whether {@code submitted} is null or was among the unfinished messages
   */
  private boolean adopt(SessionKey session, @Nullable DedupKey submitted) {
    List<Reply> undelivered = engine.store.undeliveredReplies(session);
    if (!undelivered.isEmpty()) {
      engine.log.info("session {}: taken over by {} with {} undelivered repl(ies), from outbox position {}",
          session, owner, undelivered.size(), undelivered.getFirst().outboxSeq());
    }
    for (Reply r : undelivered) engine.deliver(r);
    return inflight.admitting(() -> {
      List<JournalEntry> work = new ArrayList<>();
      boolean pending = submitted == null;
      for (JournalEntry e : engine.store.unfinished(session)) {
        if (e.key().equals(submitted)) {
          pending = true;
        } else if (inflight.track(e)) {
          work.add(e);
        }
      }
      if (!work.isEmpty()) {
        engine.log.info("session {}: taken over by {} with {} unfinished message(s)", session, owner, work.size());
        engine.adopt(work);
      }
      return pending;
    });
  }
}
