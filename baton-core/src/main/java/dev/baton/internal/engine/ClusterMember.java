package dev.baton.internal.engine;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ClusterConfig;
import dev.baton.spi.ClusterPermits;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Scheduler;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.SessionLeases.Lease;
import dev.baton.spi.StoreException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The engine's part in a cluster of nodes on one database (cluster.enabled; docs/storage.md "Many nodes").
 *   A node runs a session's turns only while it holds the session's lease, and every commit of the session
 *   carries the lease's fencing token, so a node that lost the lease cannot write (the store refuses it).
 *
 *   - submit: after the journal insert the engine runs underLease(): held -> admit here; free or expired ->
 *     take it; another live node holds it -> the message stays journaled and that node's poll picks it up.
 *     Under the lease the journal decides: the session's older unfinished messages are admitted first, and
 *     the submitted one only if it is still unfinished and not in flight (a poll may have run it already).
 *   - A fresh acquire adopts the session: its undelivered replies are delivered (the last owner died before
 *     it could) and its unfinished messages, read afresh after the acquire, are admitted in journal order.
 *   - poll (every poll_interval_ms, on a virtual thread): walks the journal's unfinished entries of sessions
 *     that are free, expired or ours (a cursor; a backlog is read over several polls), admits those of our
 *     sessions not yet in flight here, takes over expired sessions (dropping what it read before the
 *     acquire: adoption reads afresh), and delivers orphaned outboxes.
 *   - permits (cluster.max_concurrent_total): ClusterCap, with heartbeats of its own.
 *   - renewal (every lease_ttl/3, on its own virtual thread, so a slow poll cannot delay it): extends the
 *     leases of sessions with work and releases those of idle sessions whose replies are all delivered.
 *   - A lost lease (renew refused or a commit fenced): the session's in-memory work is dropped; its messages
 *     are still journaled and run by the new owner.
 *
 *   In-flight set: the keys admitted here and not finished. An admission (poll, submit, adoption) must not
 *   admit a message again that this node already runs, nor one it finished after the admission read the
 *   journal. So a finished key stays in the set, tagged with the poll epoch of its finish, and is forgotten
 *   only by a later poll, under the write lock of `tracking`, which every admission read-holds from its
 *   journal read to its last track(): the finish was then committed before any read still to come.
 *
 * Concurrency
 *   `held` and `inflight` are ConcurrentHashMaps. A Held's state moves under its own lock, which is held
 *   across the lease's store calls (acquire, adopt, release) and across every admission of the session on
 *   this node (submit and poll), so admissions of one session are serialized and the tick cannot release a
 *   lease between a check and an admission; it releases only when the session has no actor. Lock order:
 *   Held.lock, then the actor's monitor. Polls and renewals each run one at a time (the `polling` and
 *   `renewing` locks: tried or taken by their own thread, and by stop(), which waits for both). Never called
 *   under an actor's monitor.
 *
 * Failure
 *   Store errors in the tick are logged and retried next tick; a lease not renewed by its expiry (local
 *   clock) is treated as lost. A cluster permit lease not renewed within the ttl sets the node's capacity to
 *   0 until the store answers again.
 */
/** One engine node of a cluster: session leases, fencing tokens, journal polling and takeover. */
final class ClusterMember {

  /** The token of a session this node does not hold: refused by every fencing check. */
  static final long NOT_HELD = -1;

  private static final int IDLE = 0, OWNED = 1, GONE = 2;

  private static final class Held {
    final ReentrantLock lock = new ReentrantLock();
    int state = IDLE; // guarded by lock
    @Nullable Lease lease; // guarded by lock; volatile reads through token
    volatile long token = NOT_HELD;
  }

  /** A message admitted here: its session, and the poll epoch in which it finished (0 = in flight). */
  private static final class Flight {
    final SessionKey session;
    volatile long finishedEpoch;

    Flight(SessionKey session) {
      this.session = session;
    }
  }

  final String owner;
  private final Engine engine;
  private final ClusterConfig config;
  private final SessionLeases leases;
  /** The cluster-wide cap, or null when cluster.max_concurrent_total is 0. */
  final @Nullable ClusterCap cap;
  private final Duration ttl;
  private final Scheduler scheduler;
  private final ConcurrentHashMap<SessionKey, Held> held = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<DedupKey, Flight> inflight = new ConcurrentHashMap<>();
  private final AtomicLong epoch = new AtomicLong(1);
  /**
   * Read-held by every admission path from its journal read to its last track() (poll, submit, adoption);
   * write-held by the poll while it forgets finished messages. So a message finished between an admission's
   * read and its track() is never forgotten in between (the read saw it unfinished; only the in-flight set
   * tells that it ran).
   */
  private final ReentrantReadWriteLock tracking = new ReentrantReadWriteLock();
  /** Held by the one thread that polls or rebalances; stop() waits for it. */
  private final ReentrantLock polling = new ReentrantLock();
  private volatile boolean stopped;
  private volatile Scheduler.@Nullable Cancellable timer;
  private volatile Scheduler.@Nullable Cancellable renewTimer;
  /** Held by the renewal thread; stop() waits for it. */
  private final ReentrantLock renewing = new ReentrantLock();
  /** The journal poll's cursor; confined to the thread holding `polling`. */
  private long cursor;

  ClusterMember(Engine engine, ClusterConfig config, SessionLeases leases, Optional<ClusterPermits> permits,
      Duration ttl, MeterRegistry meters) {
    this.engine = engine;
    this.config = config;
    this.leases = leases;
    this.ttl = ttl;
    this.scheduler = engine.scheduler;
    String base = config.nodeId().isEmpty() ? defaultNodeId() : config.nodeId();
    this.owner = base + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    if (config.maxConcurrentTotal() > 0) {
      ClusterPermits p = permits.orElseThrow(() -> new IllegalStateException("cluster.max_concurrent_total needs"
          + " a store that offers cluster permits (postgres); this store does not"));
      this.cap = new ClusterCap(engine, p, owner, config.maxConcurrentTotal(), config.pollIntervalMs(), ttl);
    } else {
      this.cap = null;
    }
    Gauge.builder("baton.cluster.leases", held, Map::size)
        .description("Session leases this node holds").register(meters);
    Gauge.builder("baton.cluster.permits", this, m -> m.engine.dispatcher.capacity())
        .description("Turns this node may run at once now (its share of cluster.max_concurrent_total)")
        .register(meters);
  }

  private static String defaultNodeId() {
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).filter(h -> !h.isBlank()).orElse("node");
    return host.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + ProcessHandle.current().pid();
  }

  /**
   * Starts the tick: one synchronous poll (so start-up takes over what is due), then every poll interval;
   * and the renewals, every lease_ttl / 3 on their own thread, so a slow poll or rebalance (a database under
   * load) never delays them.
   */
  void start() {
    ClusterCap c = cap;
    if (c != null) c.start(); // the first permits before the first poll admits anything
    tick();
    armRenew();
    engine.log.info("cluster node {} started (lease ttl {} ms, poll every {} ms)", owner, ttl.toMillis(),
        config.pollIntervalMs());
  }

  private void arm() {
    if (stopped) return;
    timer = scheduler.schedule(Duration.ofMillis(config.pollIntervalMs()),
        () -> Thread.ofVirtual().name("baton-cluster-poll").start(this::tick));
  }

  private void armRenew() {
    if (stopped) return;
    renewTimer = scheduler.schedule(Duration.ofMillis(Math.max(1, ttl.toMillis() / 3)),
        () -> Thread.ofVirtual().name("baton-cluster-renew").start(this::renewTick));
  }

  private void renewTick() {
    if (stopped) return;
    renewing.lock();
    try {
      renewAll();
    } catch (RuntimeException e) {
      engine.log.warn("cluster node {}: lease renewal failed ({}); retrying", owner, e.toString());
    } finally {
      renewing.unlock();
      armRenew();
    }
  }

  /** One rebalance and poll; re-arms itself. Runs on a virtual thread (or the starting thread). */
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

  // ------------------------------------------------------------------ leases

  /**
   * Work done under a session's lease. {@code adopted}: the lease was just taken and the session's unfinished
   * messages, read afresh, were admitted (anything the caller read before is stale). {@code submittedPending}:
   * the submitted message was among them, still unfinished (always true when not adopted).
   */
  interface LeasedWork<T> {
    T run(boolean adopted, boolean submittedPending);
  }

  private static final int REFUSED = 0, TAKEN = 1, TAKEN_SUBMITTED_PENDING = 2;

  /**
   * Runs {@code work} while holding {@code session}'s lease and its lock, taking the lease first if it is free
   * or expired (and then adopting the session: its undelivered replies and unfinished messages, except
   * {@code submitted}). So admissions of one session on this node are serialized, and the tick cannot
   * release the lease between the check and the admission.
   *
   * @return the work's result, or null if another live node holds the lease (nothing was run)
   */
  <T> @Nullable T underLease(SessionKey session, @Nullable DedupKey submitted, LeasedWork<T> work) {
    while (true) {
      Held h = held.computeIfAbsent(session, k -> new Held());
      h.lock.lock();
      try {
        if (h.state == GONE) continue;
        boolean adopted = false;
        boolean pending = true;
        if (h.state == IDLE) {
          int got = acquireLocked(session, h, submitted);
          if (got == REFUSED) return null;
          adopted = true;
          pending = got == TAKEN_SUBMITTED_PENDING;
        }
        return work.run(adopted, pending);
      } finally {
        h.lock.unlock();
      }
    }
  }

  /**
   * Cluster-mode admission of a message this node just journaled for a session it holds: first the session's
   * older unfinished messages that other nodes accepted and this node has not admitted yet (so a client that
   * waited for each acknowledgement sees its messages run in the order it sent them, whichever nodes took
   * them), then this one. Called under the lease ({@link #underLease}).
   *
   * <p>Between the journal insert and this call a poll of this node may have found the message, admitted it,
   * and even run and committed it already (and a later poll forgotten it). So the journal, read here under
   * the lease's lock (no admission of this session can happen meanwhile), decides: the message is admitted
   * only if it is still unfinished there and not in flight here.
   *
   * @return whether the caller must admit {@code entry}
   */
  boolean admitAfterOlder(JournalEntry entry, boolean adopted, boolean submittedPending) {
    tracking.readLock().lock();
    try {
      if (adopted) return submittedPending && track(entry);
      List<JournalEntry> older = new ArrayList<>();
      boolean pending = false;
      for (JournalEntry e : engine.store.unfinished(entry.session())) {
        if (e.key().equals(entry.key())) {
          pending = true;
          break;
        }
        if (track(e)) older.add(e);
      }
      if (!older.isEmpty()) engine.adopt(older);
      return pending && track(entry);
    } finally {
      tracking.readLock().unlock();
    }
  }

  /** The token of a lease this node holds on {@code session}, or {@link #NOT_HELD}. */
  long token(SessionKey session) {
    Held h = held.get(session);
    return h == null ? NOT_HELD : h.token;
  }

  /**
   * Acquires under h's lock; on success adopts the session. REFUSED (and h dropped) if someone else holds it;
   * TAKEN_SUBMITTED_PENDING if {@code submitted} is null or was among the unfinished messages.
   */
  private int acquireLocked(SessionKey session, Held h, @Nullable DedupKey submitted) {
    Optional<Lease> got;
    try {
      got = leases.acquire(session, owner, ttl);
    } catch (StoreException e) {
      h.state = GONE;
      held.remove(session, h);
      throw e;
    }
    if (got.isEmpty()) {
      h.state = GONE;
      held.remove(session, h);
      return REFUSED;
    }
    h.lease = got.get();
    h.token = got.get().token();
    h.state = OWNED;
    return adopt(session, submitted) ? TAKEN_SUBMITTED_PENDING : TAKEN;
  }

  /**
   * A session this node just took: its last owner's undelivered replies first, then its unfinished messages
   * in journal order (except {@code submitted}, which its submit admits itself).
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
    tracking.readLock().lock();
    try {
      List<JournalEntry> work = new ArrayList<>();
      boolean pending = submitted == null;
      for (JournalEntry e : engine.store.unfinished(session)) {
        if (e.key().equals(submitted)) {
          pending = true;
        } else if (track(e)) {
          work.add(e);
        }
      }
      if (!work.isEmpty()) {
        engine.log.info("session {}: taken over by {} with {} unfinished message(s)", session, owner, work.size());
        engine.adopt(work);
      }
      return pending;
    } finally {
      tracking.readLock().unlock();
    }
  }

  /** Lease lost (renew refused, commit fenced): forget the session here; the new owner runs its messages. */
  void lost(SessionKey session, long token) {
    Held h = held.get(session);
    if (h == null) return;
    h.lock.lock();
    try {
      if (h.token != token || h.state != OWNED) return;
      h.state = GONE;
      h.token = NOT_HELD;
      held.remove(session, h);
    } finally {
      h.lock.unlock();
    }
    engine.log.warn("session {}: lease lost by {} (token {}); its queued work is left to the new owner",
        session, owner, token);
    engine.abandon(session);
    inflight.entrySet().removeIf(en -> en.getValue().session.equals(session) && en.getValue().finishedEpoch == 0);
  }

  private void renewAll() {
    for (Map.Entry<SessionKey, Held> en : held.entrySet()) {
      SessionKey s = en.getKey();
      Held h = en.getValue();
      long lostToken = NOT_HELD;
      h.lock.lock();
      try {
        Lease lease = h.lease;
        if (h.state != OWNED || lease == null) continue;
        boolean idle = !engine.actors.containsKey(s);
        if (idle && engine.store.undeliveredReplies(s).isEmpty()) {
          leases.release(lease);
          h.state = GONE;
          h.token = NOT_HELD;
          held.remove(s, h);
          continue;
        }
        Optional<Lease> renewed = leases.renew(lease, ttl);
        if (renewed.isPresent()) {
          h.lease = renewed.get();
        } else {
          lostToken = h.token;
        }
      } catch (StoreException e) {
        Lease lease = h.lease;
        if (lease != null && !scheduler.now().isBefore(lease.expiresAt())) lostToken = h.token;
        engine.log.warn("session {}: lease renewal failed ({})", s, e.toString());
      } finally {
        h.lock.unlock();
      }
      if (lostToken != NOT_HELD) lost(s, lostToken);
    }
  }

  // ------------------------------------------------------------------ in-flight keys

  /** Marks {@code e} as admitted here; false if it already was (then it must not be admitted again). */
  boolean track(JournalEntry e) {
    return inflight.putIfAbsent(e.key(), new Flight(e.session())) == null;
  }

  /** The messages' outcome is committed (or they were released): a later poll may forget them. */
  void finished(List<DedupKey> keys) {
    long now = epoch.get();
    for (DedupKey k : keys) {
      Flight f = inflight.get(k);
      if (f != null) f.finishedEpoch = now;
    }
  }

  // ------------------------------------------------------------------ poll

  private void poll() {
    tracking.writeLock().lock();
    try {
      long e = epoch.incrementAndGet();
      inflight.values().removeIf(f -> f.finishedEpoch != 0 && f.finishedEpoch < e);
    } finally {
      tracking.writeLock().unlock();
    }
    tracking.readLock().lock();
    try {
      admitClaimable();
    } finally {
      tracking.readLock().unlock();
    }
    for (SessionKey s : leases.orphanedOutboxes(owner, config.pollBatch())) {
      if (stopped || engine.closed) return;
      if (held.containsKey(s)) continue;
      underLease(s, null, (adopted, pending) -> Boolean.TRUE); // adopting delivers the replies
    }
  }

  /** Reads the claimable journal entries and admits those of sessions this node holds or takes. */
  private void admitClaimable() {
    List<SessionLeases.Claimable> rows = leases.claimable(owner, cursor, config.pollBatch());
    cursor = rows.size() < config.pollBatch() ? 0 : rows.getLast().seq();
    Map<SessionKey, List<JournalEntry>> bySession = new LinkedHashMap<>();
    for (SessionLeases.Claimable c : rows) {
      if (!inflight.containsKey(c.entry().key())) {
        bySession.computeIfAbsent(c.entry().session(), k -> new ArrayList<>()).add(c.entry());
      }
    }
    for (Map.Entry<SessionKey, List<JournalEntry>> en : bySession.entrySet()) {
      if (stopped || engine.closed) return;
      List<JournalEntry> found = en.getValue();
      underLease(en.getKey(), null, (adopted, pending) -> {
        // A fresh acquire has just admitted the session's unfinished messages read afresh; what this poll
        // read before may be stale (another node may have finished them meanwhile): it is dropped.
        if (adopted) return Boolean.TRUE;
        List<JournalEntry> work = new ArrayList<>();
        for (JournalEntry j : found) if (track(j)) work.add(j);
        if (!work.isEmpty()) engine.adopt(work);
        return Boolean.TRUE;
      });
    }
  }

  // ------------------------------------------------------------------ life

  /** Stops polling and renewing; gives back permits and the leases of sessions with nothing left to deliver. */
  void stop() {
    stopped = true;
    Scheduler.Cancellable t = timer;
    if (t != null) t.cancel();
    Scheduler.Cancellable r = renewTimer;
    if (r != null) r.cancel();
    ClusterCap c = cap;
    if (c != null) c.stop();
    polling.lock(); // a poll under way finishes first (it stops early once it sees `stopped`)
    renewing.lock();
    try {
      for (Map.Entry<SessionKey, Held> en : held.entrySet()) {
        Held h = en.getValue();
        h.lock.lock();
        try {
          Lease lease = h.lease;
          if (h.state == OWNED && lease != null && engine.store.undeliveredReplies(en.getKey()).isEmpty()) {
            leases.release(lease);
          }
          h.state = GONE;
        } finally {
          h.lock.unlock();
        }
      }
    } catch (StoreException e) {
      engine.log.warn("cluster node {}: could not give back its leases ({}); they expire in {} ms", owner,
          e.toString(), ttl.toMillis());
    } finally {
      renewing.unlock();
      polling.unlock();
    }
  }
}
