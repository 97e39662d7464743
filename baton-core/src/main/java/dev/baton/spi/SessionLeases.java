package dev.baton.spi;

import dev.baton.SessionKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Leases that let one node at a time run a session when several Baton nodes share one database (DESIGN §4).
 * Each successful takeover of a session increments its <em>fencing token</em>; a node passes the token of its
 * lease in {@link TurnCommit#fencingToken()}, and {@link Store#commitTurn} refuses a commit whose token is not
 * the session's current one ({@link FencedException}), so a node that lost its lease (paused, partitioned,
 * presumed dead) cannot write over the new owner's work.
 *
 * <p>Time comes from the store's injected {@link Scheduler}: a lease expires when {@code Scheduler.now()}
 * reaches {@link Lease#expiresAt()}. Nodes therefore need clocks that agree to well within a lease period;
 * fencing keeps the data safe even when they do not.
 *
 * <p><b>Concurrency.</b> Thread-safe; each method is atomic and durable when it returns. Of concurrent
 * {@link #acquire} calls by different owners for one free session exactly one succeeds.
 */
public interface SessionLeases {

  /**
   * A held lease.
   *
   * @param session the session
   * @param owner the node that holds it
   * @param token the fencing token (1, 2, 3, ... per session; higher is newer)
   * @param expiresAt when the lease lapses unless renewed
   */
  record Lease(SessionKey session, String owner, long token, Instant expiresAt) {}

  /**
   * Takes the session if no one holds it or its lease has expired (incrementing the token), or extends it if
   * {@code owner} already holds it (keeping the token).
   *
   * @return the lease, or empty when another owner holds an unexpired lease
   */
  Optional<Lease> acquire(SessionKey session, String owner, Duration ttl);

  /**
   * Extends a lease that is still this owner's (same token, not taken over). An expired lease that no one
   * took over yet is still renewable.
   *
   * @return the extended lease, or empty when it was lost
   */
  Optional<Lease> renew(Lease lease, Duration ttl);

  /** Gives the session up early so another node need not wait for expiry. Does nothing if it was lost. */
  void release(Lease lease);

  /** The session's current lease holder, if any lease (expired or not) was ever taken. */
  Optional<Lease> current(SessionKey session);

  /** An unfinished journal entry with its journal position (a cursor for {@link #claimable}). */
  record Claimable(long seq, JournalEntry entry) {}

  /**
   * Unfinished journal entries that {@code owner} may run: those of sessions whose lease is free, expired, or
   * held by {@code owner}. In journal order, after position {@code afterSeq}, at most {@code limit}. A node of a
   * cluster polls this to find messages another node accepted for a session it owns, and the work of sessions
   * whose owner died; it must still {@link #acquire} a session before running it.
   */
  List<Claimable> claimable(String owner, long afterSeq, int limit);

  /**
   * Sessions with undelivered replies whose lease expired and was held by another owner than {@code owner}:
   * their last owner stopped before delivering (a node releases a lease only once its replies are
   * delivered, so a released lease has none).
   */
  List<SessionKey> orphanedOutboxes(String owner, int limit);
}
