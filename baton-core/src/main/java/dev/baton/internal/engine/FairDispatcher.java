package dev.baton.internal.engine;

import dev.baton.spi.Scheduler;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The global cap on running turns (max_concurrent_total), shared fairly across sessions (P3). A session
 *   that can start a turn puts one *ticket* (itself) in a FIFO ready queue — one ticket per turn it could
 *   start now, never one per queued message, and at most max_concurrent_per_session at a time. Free
 *   permits are handed to tickets in FIFO order, and a session that finishes a turn with more messages
 *   waiting takes a new ticket at the tail. So the sessions with work are served round-robin: a session
 *   with 1,000 queued messages holds one place in the line, and a session with one message waits for at
 *   most (number of sessions ahead of it) turns, whatever their backlogs.
 *
 * Concurrency
 *   The ticket path is lock-free: a ConcurrentLinkedQueue of tickets and an AtomicInteger of free permits
 *   (a capacity change, cluster mode only, takes `capacityLock`, a leaf held for arithmetic). pump() is called
 *   after every ticket offer and every permit release; it loops "take a permit, take a ticket". The offer
 *   and the release are volatile writes each followed by a volatile read of the other variable, so (the
 *   store-load pattern under sequential consistency of synchronization actions) no wake-up is lost: if the
 *   offering thread saw no free permit, the releasing thread sees the ticket. The permit count never goes
 *   below 0 (CAS), so no more than max_concurrent_total turns hold a permit at once.
 *
 *   Queue timeout of messages that wait only for a permit (P4): every ticket carries the deadline of its
 *   session's oldest waiting message. One sweep timer is kept armed for the earliest deadline in line
 *   (nextSweep, lowered by CAS when an earlier ticket arrives; in steady state deadlines only grow, so an
 *   offer schedules nothing). The sweep walks the line, lets each due session expire what is due, and
 *   re-arms for the earliest deadline left. So a message that runs at once costs no timer, and one that
 *   waits for a permit still expires exactly at its deadline.
 *
 * Failure
 *   A ticket whose session has nothing to start any more (its messages expired) gives its permit back.
 */
/** Global permits handed to session tickets in FIFO order. Thread-safe; lock-free on the ticket path. */
final class FairDispatcher {

  /** Starts a turn for a ticket; returns false if the session had nothing to start (permit comes back). */
  interface Starter {
    boolean start(SessionActor session);
  }

  /** One place in line: a session that can start a turn, and when its oldest waiting message expires. */
  private record Ticket(SessionActor session, long dueNanos) {}

  private final ConcurrentLinkedQueue<Ticket> ready = new ConcurrentLinkedQueue<>();
  private final AtomicInteger free;
  private volatile int capacity;
  /** Makes each capacity change (read, write, adjust free) atomic; a leaf, held for arithmetic only. */
  private final Object capacityLock = new Object();
  /** Tickets in line (approximate; for the cluster's demand). */
  private final java.util.concurrent.atomic.LongAdder waiting = new java.util.concurrent.atomic.LongAdder();
  private final Starter starter;
  private final Scheduler scheduler;
  private final AtomicLong nextSweep = new AtomicLong(Long.MAX_VALUE);
  private volatile boolean stopped;
  /** Called when a ticket waits and no permit is free (cluster mode: ask for more permits early). */
  private final Runnable starved;

  FairDispatcher(int permits, Starter starter, Scheduler scheduler) {
    this(permits, starter, scheduler, () -> {});
  }

  FairDispatcher(int permits, Starter starter, Scheduler scheduler, Runnable starved) {
    this.free = new AtomicInteger(permits);
    this.capacity = permits;
    this.starter = starter;
    this.scheduler = scheduler;
    this.starved = starved;
  }

  /**
   * Adds one ticket of {@code s} whose oldest waiting message expires at {@code dueNanos}. Non-blocking; may
   * be called under the session's monitor.
   */
  void offer(SessionActor s, long dueNanos) {
    ready.offer(new Ticket(s, dueNanos));
    waiting.increment();
    if (dueNanos < nextSweep.get()) requestSweep(dueNanos);
  }

  private void requestSweep(long due) {
    while (true) {
      long cur = nextSweep.get();
      if (due >= cur) return;
      if (nextSweep.compareAndSet(cur, due)) {
        scheduler.scheduleAt(due, this::sweep);
        return;
      }
    }
  }

  /** Timer task: expires what waited too long for a permit, re-arms for the earliest deadline left. */
  private void sweep() {
    if (stopped) return;
    nextSweep.set(Long.MAX_VALUE);
    long now = scheduler.nanoTime();
    long min = Long.MAX_VALUE;
    for (Ticket t : ready) {
      long due = t.dueNanos;
      if (due <= now) due = t.session.expireDue(now);
      min = Math.min(min, due);
    }
    if (min != Long.MAX_VALUE) requestSweep(min);
  }

  /** Hands free permits to waiting tickets. Call without holding any session monitor. */
  void pump() {
    while (!stopped && !ready.isEmpty()) {
      if (!tryAcquire()) {
        starved.run();
        return;
      }
      Ticket t = ready.poll();
      if (t != null) waiting.decrement();
      if (t == null || !starter.start(t.session)) {
        free.incrementAndGet();
      }
    }
  }

  /** Gives back the permit of a finished turn and hands it on. */
  void release() {
    free.incrementAndGet();
    pump();
  }

  /**
   * Sets how many turns may run at once (cluster mode: the node's share of the cluster-wide cap). Lowering
   * it below what runs now starts nothing until enough turns end; no running turn is stopped. Thread-safe.
   */
  void setCapacity(int permits) {
    int delta;
    synchronized (capacityLock) {
      delta = permits - capacity;
      if (delta == 0) return;
      capacity = permits;
      free.addAndGet(delta);
    }
    if (delta > 0) pump();
  }

  /**
   * Takes back the free permits, so that no turn starts beyond those running now, and returns how many are in
   * use. Cluster mode calls it before a permit heartbeat, which may give unused permits back to the cluster:
   * a permit handed out here while the heartbeat gives it away would run a turn beyond the cluster-wide cap.
   * A permit a finished turn returns meanwhile is handed on as usual (the count in use does not grow).
   */
  int freeze() {
    synchronized (capacityLock) {
      while (true) {
        int f = free.get();
        if (f <= 0) break;
        if (free.compareAndSet(f, 0)) {
          capacity -= f;
          break;
        }
      }
      return capacity - free.get();
    }
  }

  /** Sessions in line for a permit (approximate). */
  int waiting() {
    return (int) Math.max(0, waiting.sum());
  }

  /** No more turns start (shutdown). */
  void stop() {
    stopped = true;
  }

  /** Takes one ticket without a permit (tests that drive the dispatcher by hand after {@link #stop}). */
  @Nullable SessionActor pollTicket() {
    Ticket t = ready.poll();
    if (t != null) waiting.decrement();
    return t == null ? null : t.session;
  }

  int capacity() {
    return capacity;
  }

  int inUse() {
    return capacity - free.get();
  }

  private boolean tryAcquire() {
    while (true) {
      int f = free.get();
      if (f <= 0) return false;
      if (free.compareAndSet(f, f - 1)) return true;
    }
  }
}
