package dev.baton.internal.engine;

import dev.baton.Admission;
import dev.baton.DedupKey;
import dev.baton.SessionKey;
import dev.baton.spi.JournalEntry;
import java.util.List;
import java.util.function.Supplier;

/*
 * Overview
 *   The one seam between the engine and cluster mode: who may run a session's turns on this node. The engine
 *   asks it at each point where a single node and a cluster differ, and never looks at which one it has:
 *   - admitting a message it just journaled (a single node admits it here; a cluster node only under the
 *     session's lease, and a session another live node holds is left to that node),
 *   - the fencing token a turn's commit carries (0 on a single node: no fencing),
 *   - a commit that went through or a message released without a turn (the cluster forgets it later),
 *   - a commit the store fenced (the lease went to another node: the session is dropped here),
 *   - how many global permits the dispatcher starts with, and the dispatcher finding itself starved,
 *   - start (recovery of the local store, or the first journal poll that takes over what no live node owns)
 *     and stop.
 *   LocalOwnership (one node) does nothing but run the recovery; LeasedOwnership (cluster.enabled) is the
 *   lease table, the in-flight keys, the journal poller and the cluster-wide cap together.
 *
 * Concurrency
 *   Implementations are thread-safe. Never called under an actor's monitor (a leased admission takes the
 *   session lease's lock, and the lock order is lease lock, then actor monitor).
 *
 * Failure
 *   A store error in admitFresh propagates to submit (the message stays journaled, the caller may retry).
 */
/** Session ownership as the engine sees it: a single node owns every session, a cluster node leases them. */
interface SessionOwnership {

  /**
   * Admits {@code entry}, just journaled by submit. {@code admitHere} admits it into this node's actor; an
   * implementation calls it at most once, and answers Accepted itself when the message is left to another
   * admission path (another node's poll, or this node's own poll that found it first).
   */
  Admission admitFresh(JournalEntry entry, Supplier<Admission> admitHere);

  /** The fencing token a commit of {@code session} made now carries; 0 when there is no fencing. */
  long token(SessionKey session);

  /** These messages' outcome is committed, or they were released without a turn. */
  void committed(List<DedupKey> keys);

  /** A commit of {@code session} with {@code token} was fenced: another node holds the session now. */
  void fenced(SessionKey session, long token);

  /** The dispatcher's permits at start, given the node's own max_concurrent_total. */
  int startingPermits(int localMax);

  /** Sessions wait for a permit and none is free (cheap; called on every starved pump). */
  void starved();

  /** Starts ownership; {@code recoverLocal} re-offers and re-queues what the store holds unfinished. */
  void start(Runnable recoverLocal);

  /** Stops it (at shutdown, after the turns drained). */
  void stop();
}
