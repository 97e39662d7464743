package dev.baton.internal.engine;

import dev.baton.DedupKey;
import dev.baton.SessionKey;
import dev.baton.spi.Scheduler;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.SessionLeases.Lease;
import dev.baton.spi.StoreException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   Cluster mode: the session leases this node holds, with their fencing tokens. underLease() runs work while
 *   holding a session's lease, taking it first if it is free or expired (then the session is adopted: see
 *   LeasedOwnership.adopt). The renewal (every lease_ttl/3, on its own virtual thread, so a slow poll cannot
 *   delay it) extends the leases of sessions with work and releases those of idle sessions whose replies are
 *   all delivered; a lease it cannot renew is lost (Lost callback).
 *
 * Concurrency
 *   `held` is a ConcurrentHashMap. A Held's state moves under its own lock, and that lock is held ACROSS the
 *   lease's store calls (acquire, the adoption's reads, renew, release) and across every admission of the
 *   session on this node (submit and poll). This is the written-down exception to "no lock across a store
 *   call": it is what serializes a session's admissions on this node, and what keeps the renewal from
 *   releasing a lease between an admission's check and its admit (it releases only a session without an
 *   actor). Releasing the lock around the store calls would need a second protocol (an acquiring state that
 *   admissions wait on) that is exactly this lock again. It is per session, so one slow session holds up
 *   only itself. Held.lock and InflightKeys.tracking (read) are taken in either order (submit: Held.lock
 *   first; the poll: tracking first): only the poller writes tracking, holding nothing else, so no cycle
 *   forms (docs/concurrency.md). Both come before the actor's monitor. Never
 *   called under an actor's monitor. Renewals run one at a time (`renewing`: taken by the renewal thread
 *   and by stop, which waits for a renewal under way).
 *
 * Failure
 *   A store error in acquire drops the entry and propagates (nothing was admitted). A renewal error is logged
 *   and retried next renewal; a lease not renewed by its expiry (local clock) is treated as lost.
 */
/** The session leases of one cluster node. Thread-safe. */
final class LeaseTable {

  /** The token of a session this node does not hold: refused by every fencing check. */
  static final long NOT_HELD = -1;

  private static final int IDLE = 0, OWNED = 1, GONE = 2;

  /** A session this node just took: adopts it, and tells whether {@code submitted} is still to run. */
  interface Adoption {
    boolean adopt(SessionKey session, @Nullable DedupKey submitted);
  }

  /** A lease this node held went to another node. */
  interface Lost {
    void lost(SessionKey session, long token);
  }

  /**
   * Work done under a session's lease. {@code adopted}: the lease was just taken and the session's unfinished
   * messages, read afresh, were admitted (anything the caller read before is stale). {@code submittedPending}:
   * the submitted message was among them, still unfinished (always true when not adopted).
   */
  interface LeasedWork<T> {
    T run(boolean adopted, boolean submittedPending);
  }

  private static final class Held {
    final ReentrantLock lock = new ReentrantLock();
    int state = IDLE; // guarded by lock
    @Nullable Lease lease; // guarded by lock; volatile reads through token
    volatile long token = NOT_HELD;
  }

  private static final int REFUSED = 0, TAKEN = 1, TAKEN_SUBMITTED_PENDING = 2;

  private final Engine engine;
  private final SessionLeases leases;
  private final String owner;
  private final Duration ttl;
  private final Scheduler scheduler;
  private final Adoption adoption;
  private final Lost onLost;
  private final ConcurrentHashMap<SessionKey, Held> held = new ConcurrentHashMap<>();
  private final ReentrantLock renewing = new ReentrantLock();
  private volatile boolean stopped;
  private volatile Scheduler.@Nullable Cancellable renewTimer;

  LeaseTable(Engine engine, SessionLeases leases, String owner, Duration ttl, Adoption adoption, Lost onLost) {
    this.engine = engine;
    this.leases = leases;
    this.owner = owner;
    this.ttl = ttl;
    this.scheduler = engine.scheduler;
    this.adoption = adoption;
    this.onLost = onLost;
  }

  int size() {
    return held.size();
  }

  boolean holds(SessionKey session) {
    return held.containsKey(session);
  }

  /** The token of a lease this node holds on {@code session}, or {@link #NOT_HELD}. */
  long token(SessionKey session) {
    Held h = held.get(session);
    return h == null ? NOT_HELD : h.token;
  }

  /**
   * Runs {@code work} while holding {@code session}'s lease and its lock, taking the lease first if it is free
   * or expired (and then adopting the session: its undelivered replies and unfinished messages, except
   * {@code submitted}). So admissions of one session on this node are serialized, and the renewal cannot
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
    return adoption.adopt(session, submitted) ? TAKEN_SUBMITTED_PENDING : TAKEN;
  }

  /**
   * Forgets {@code session}'s lease if this node still holds it with {@code token}.
   *
   * @return whether it did (the caller drops the session's work); false for a stale or unknown token
   */
  boolean drop(SessionKey session, long token) {
    Held h = held.get(session);
    if (h == null) return false;
    h.lock.lock();
    try {
      if (h.token != token || h.state != OWNED) return false;
      h.state = GONE;
      h.token = NOT_HELD;
      held.remove(session, h);
      return true;
    } finally {
      h.lock.unlock();
    }
  }

  // ------------------------------------------------------------------ renewal

  /** Starts the renewals, every lease_ttl / 3 on their own thread. */
  void startRenewing() {
    armRenew();
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
      if (lostToken != NOT_HELD) onLost.lost(s, lostToken);
    }
  }

  /** No more renewals: cancels the timer (a renewal under way finishes; {@link #releaseAll} waits for it). */
  void stopRenewing() {
    stopped = true;
    Scheduler.Cancellable r = renewTimer;
    if (r != null) r.cancel();
  }

  /**
   * Gives back the leases of sessions with nothing left to deliver and forgets every lease; waits for a
   * renewal under way first.
   *
   * @throws StoreException if the store does not answer (the leases expire by themselves)
   */
  void releaseAll() {
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
    } finally {
      renewing.unlock();
    }
  }
}
