package dev.baton.internal.engine;

import dev.baton.DedupKey;
import dev.baton.SessionKey;
import dev.baton.spi.JournalEntry;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;

/*
 * Overview
 *   Cluster mode: the keys of the messages this node admitted and has not forgotten yet. An admission (poll,
 *   submit, adoption) must not admit a message again that this node already runs, nor one it finished after
 *   the admission read the journal (the read saw it unfinished; only this set tells that it ran). So a
 *   finished key stays in the set, tagged with the poll epoch of its finish, and is forgotten only by a later
 *   poll (forgetFinished), under the write lock of `tracking`, which every admission read-holds from its
 *   journal read to its last track() (admitting): the finish was then committed before any read still to come.
 *
 * Concurrency
 *   `inflight` is a ConcurrentHashMap; a Flight's finishedEpoch is volatile. `tracking` is read-held across
 *   the admission's journal read (a store call) — an exception to "no lock across a store call", on purpose:
 *   what it protects is exactly the span from the read to the track(). Only the poller's forgetFinished
 *   takes the write lock, and holds it for in-memory work only, with no other lock held and none taken under
 *   it. So the read lock may be taken inside LeaseTable's Held.lock (submit, adoption) and around it (the
 *   poll) alike: two readers never wait for each other, and the only writer waits for nothing but readers.
 *
 * Failure
 *   None of its own; a store error inside admitting() releases the read lock and propagates.
 */
/** The messages this cluster node admitted, kept until a poll after their finish. Thread-safe. */
final class InflightKeys {

  /** A message admitted here: its session, and the poll epoch in which it finished (0 = in flight). */
  private static final class Flight {
    final SessionKey session;
    volatile long finishedEpoch;

    Flight(SessionKey session) {
      this.session = session;
    }
  }

  private final ConcurrentHashMap<DedupKey, Flight> inflight = new ConcurrentHashMap<>();
  private final AtomicLong epoch = new AtomicLong(1);
  private final ReentrantReadWriteLock tracking = new ReentrantReadWriteLock();

  /** Runs an admission (its journal read and its track() calls) under the read lock of `tracking`. */
  boolean admitting(BooleanSupplier admission) {
    tracking.readLock().lock();
    try {
      return admission.getAsBoolean();
    } finally {
      tracking.readLock().unlock();
    }
  }

  /** Marks {@code e} as admitted here; false if it already was (then it must not be admitted again). */
  boolean track(JournalEntry e) {
    return inflight.putIfAbsent(e.key(), new Flight(e.session())) == null;
  }

  boolean contains(DedupKey key) {
    return inflight.containsKey(key);
  }

  /** The messages' outcome is committed (or they were released): a later poll may forget them. */
  void finished(List<DedupKey> keys) {
    long now = epoch.get();
    for (DedupKey k : keys) {
      Flight f = inflight.get(k);
      if (f != null) f.finishedEpoch = now;
    }
  }

  /** A new poll epoch: forgets the keys finished in earlier ones (no admission is between read and track). */
  void forgetFinished() {
    tracking.writeLock().lock();
    try {
      long e = epoch.incrementAndGet();
      inflight.values().removeIf(f -> f.finishedEpoch != 0 && f.finishedEpoch < e);
    } finally {
      tracking.writeLock().unlock();
    }
  }

  /** The session's lease was lost: its messages in flight here are the new owner's now. */
  void forgetSession(SessionKey session) {
    inflight.values().removeIf(f -> f.session.equals(session) && f.finishedEpoch == 0);
  }
}
