package dev.baton.internal.engine;

import dev.baton.spi.Scheduler;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The global cap on running turns (max_concurrent_total), shared fairly across sessions (P3) and weighted
 *   across session classes (sessions.classes). A session that can start a turn puts one *ticket* (itself) in
 *   the FIFO line of its class — one ticket per turn it could start now, never one per queued message, and at
 *   most max_concurrent_per_session at a time. A session's class is fixed when its actor is made (its first
 *   message), so all its tickets go to one line and per-session FIFO holds. Within a class, tickets are served
 *   in FIFO order and a session that finishes a turn with more waiting takes a new ticket at the tail:
 *   round-robin, so a session with 1,000 queued messages holds one place in its line.
 *
 *   Across classes: weighted round robin over a fixed schedule. `schedule` lists class indexes, each class
 *   `weight` times in one period of sum(weights) slots (the smooth interleaving of nginx's weighted round
 *   robin, heaviest first: weights 3:1 give A A B A). Grant number g (one AtomicLong, incremented once per
 *   permit taken) goes to the class at slot g % period; if that line is empty it goes to the next class (by
 *   index) that has a ticket, so no permit idles while anyone waits (work-conserving). Guarantees, counted in
 *   grants (permits handed out), not in time:
 *     - share: while every class has tickets, class c gets exactly weight(c) of every period of grants;
 *     - no starvation: the ticket at the head of a non-empty line is served within `maxGap(c)` grants (the
 *       longest run of slots without c, plus one; at most period - weight(c) + 1), whatever the others'
 *       backlogs; a ticket k places back in its line within (k + 1) * maxGap(c);
 *     - a heavier class goes first: it holds more slots, and the period starts with the heaviest class.
 *   A class that was idle gains no credit (there is none to bank), so it cannot burst past its share later.
 *
 * Concurrency
 *   The ticket path is lock-free: one ConcurrentLinkedQueue per class, an AtomicInteger of free permits, an
 *   AtomicLong grant counter (a capacity change, cluster mode only, takes `capacityLock`, a leaf held for
 *   arithmetic). pump() is called after every ticket offer and every permit release; it loops "take a permit,
 *   take the ticket of grant g". No lost wake-up: an offer is a volatile write (the CLQ's link of its line)
 *   followed by a volatile read of `free` (pump's tryAcquire); a release is a volatile write of `free`
 *   followed by volatile reads of *every* line (hasTickets). In the total order of synchronization actions
 *   either the offerer's read of `free` comes after the release's write (it sees the permit and pumps the
 *   ticket itself), or the release's write comes after that read and so after the offer's write, and then the
 *   releaser's later read of that line sees the ticket. A pump that took a permit but found every line
 *   emptied by a racing pump gives the permit back and re-checks the lines (the same argument, once more). The
 *   permit count never goes below 0 (CAS), so no more than max_concurrent_total turns hold a permit at once.
 *   Concurrent pumps may take grant numbers in one order and poll in another; each grant number still polls
 *   at most one ticket, so the counts per period hold; only the order within a period may differ.
 *
 *   Queue timeout of messages that wait only for a permit (P4): every ticket carries the deadline of its
 *   session's oldest waiting message. One sweep timer is kept armed for the earliest deadline in line
 *   (nextSweep, lowered by CAS when an earlier ticket arrives; in steady state deadlines only grow, so an
 *   offer schedules nothing). The sweep walks every line, lets each due session expire what is due, and
 *   re-arms for the earliest deadline left. So a message that runs at once costs no timer, and one that
 *   waits for a permit still expires exactly at its deadline, in whichever class it waits.
 *
 * Failure
 *   A ticket whose session has nothing to start any more (its messages expired) gives its permit back.
 */
/**
 * Global permits handed to session tickets: FIFO within a class, weighted round robin across classes.
 * Thread-safe; lock-free on the ticket path.
 */
final class FairDispatcher {

  /** Starts a turn for a ticket of class {@code cls}; returns false if the session had nothing to start. */
  interface Starter {
    boolean start(SessionActor session, int cls);
  }

  /** One place in line: a session that can start a turn, and when its oldest waiting message expires. */
  private record Ticket(SessionActor session, int cls, long dueNanos) {}

  private final ConcurrentLinkedQueue<Ticket>[] lines;
  /** Class index per slot of one period (sum of the weights). Immutable. */
  private final int[] schedule;
  /** Per class: the longest stretch of grants its head ticket can wait (the starvation bound). */
  private final int[] maxGap;
  private final AtomicLong grants = new AtomicLong();
  private final AtomicInteger free;
  private volatile int capacity;
  /** Makes each capacity change (read, write, adjust free) atomic; a leaf, held for arithmetic only. */
  private final Object capacityLock = new Object();
  /** Tickets in line per class (approximate; the cluster's demand and the per-class gauge). */
  private final LongAdder[] waiting;
  private final Starter starter;
  private final Scheduler scheduler;
  private final AtomicLong nextSweep = new AtomicLong(Long.MAX_VALUE);
  private volatile boolean stopped;
  /** Called when a ticket waits and no permit is free (cluster mode: ask for more permits early). */
  private final Runnable starved;

  /** One class of weight 1: plain FIFO round-robin. */
  FairDispatcher(int permits, Starter starter, Scheduler scheduler) {
    this(permits, new int[] {1}, starter, scheduler, () -> {});
  }

  FairDispatcher(int permits, Starter starter, Scheduler scheduler, Runnable starved) {
    this(permits, new int[] {1}, starter, scheduler, starved);
  }

  /** @param weights class index -> weight (positive) */
  @SuppressWarnings("unchecked")
  FairDispatcher(int permits, int[] weights, Starter starter, Scheduler scheduler, Runnable starved) {
    if (weights.length == 0) throw new IllegalArgumentException("no session class");
    this.free = new AtomicInteger(permits);
    this.capacity = permits;
    this.starter = starter;
    this.scheduler = scheduler;
    this.starved = starved;
    this.schedule = smoothSchedule(weights);
    this.maxGap = gaps(schedule, weights.length);
    this.lines = new ConcurrentLinkedQueue[weights.length];
    this.waiting = new LongAdder[weights.length];
    for (int i = 0; i < weights.length; i++) {
      lines[i] = new ConcurrentLinkedQueue<>();
      waiting[i] = new LongAdder();
    }
  }

  /**
   * One period of slots: each class {@code weight} times, interleaved smoothly (each slot goes to the class
   * with the most accumulated credit; ties to the lower index), reduced by the weights' gcd.
   */
  static int[] smoothSchedule(int[] weights) {
    int g = 0;
    for (int w : weights) {
      if (w <= 0) throw new IllegalArgumentException("weights must be positive: " + Arrays.toString(weights));
      g = gcd(g, w);
    }
    int[] w = new int[weights.length];
    int total = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = weights[i] / g;
      total += w[i];
    }
    int[] out = new int[total];
    long[] credit = new long[w.length];
    for (int s = 0; s < total; s++) {
      int best = 0;
      for (int i = 0; i < w.length; i++) {
        credit[i] += w[i];
        if (credit[i] > credit[best]) best = i;
      }
      credit[best] -= total;
      out[s] = best;
    }
    return out;
  }

  /** Per class, the longest cyclic distance between two of its slots: from any grant, its next slot is within. */
  private static int[] gaps(int[] schedule, int classes) {
    int[] gap = new int[classes];
    int[] first = new int[classes];
    int[] last = new int[classes];
    Arrays.fill(first, -1);
    for (int s = 0; s < schedule.length; s++) {
      int c = schedule[s];
      if (first[c] < 0) first[c] = s;
      else gap[c] = Math.max(gap[c], s - last[c]);
      last[c] = s;
    }
    for (int c = 0; c < classes; c++) gap[c] = Math.max(gap[c], first[c] + schedule.length - last[c]);
    return gap;
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** Adds one ticket of class 0 (tests of the capacity). */
  void offer(SessionActor s, long dueNanos) {
    offer(s, 0, dueNanos);
  }

  /**
   * Adds one ticket of {@code s}, of class {@code cls}, whose oldest waiting message expires at {@code
   * dueNanos}. Non-blocking; may be called under the session's monitor.
   */
  void offer(SessionActor s, int cls, long dueNanos) {
    lines[cls].offer(new Ticket(s, cls, dueNanos));
    waiting[cls].increment();
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
    for (ConcurrentLinkedQueue<Ticket> line : lines) {
      for (Ticket t : line) {
        long due = t.dueNanos;
        if (due <= now) due = t.session.expireDue(now);
        min = Math.min(min, due);
      }
    }
    if (min != Long.MAX_VALUE) requestSweep(min);
  }

  /** Hands free permits to waiting tickets. Call without holding any session monitor. */
  void pump() {
    while (!stopped && hasTickets()) {
      if (!tryAcquire()) {
        starved.run();
        return;
      }
      Ticket t = next();
      if (t == null || !starter.start(t.session, t.cls)) {
        free.incrementAndGet();
      }
    }
  }

  private boolean hasTickets() {
    for (ConcurrentLinkedQueue<Ticket> line : lines) {
      if (!line.isEmpty()) return true;
    }
    return false;
  }

  /**
   * The ticket of the next grant: the class of the next slot of the schedule whose line has a ticket. The slots of
   * an idle class are passed over (consumed), so the classes that have tickets share the permits in the ratio of
   * their own weights, whichever classes are idle; after one whole period without a ticket any line will do (lines
   * change under us), and null if every line is empty.
   */
  private @Nullable Ticket next() {
    for (int i = 0; i < schedule.length; i++) {
      int c = schedule[(int) Long.remainderUnsigned(grants.getAndIncrement(), schedule.length)];
      Ticket t = lines[c].poll();
      if (t != null) {
        waiting[c].decrement();
        return t;
      }
    }
    for (int c = 0; c < lines.length; c++) {
      Ticket t = lines[c].poll();
      if (t != null) {
        waiting[c].decrement();
        return t;
      }
    }
    return null;
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
    long n = 0;
    for (LongAdder w : waiting) n += w.sum();
    return (int) Math.max(0, n);
  }

  /** Tickets of class {@code cls} in line (approximate). */
  long waiting(int cls) {
    return Math.max(0, waiting[cls].sum());
  }

  /** The starvation bound of class {@code cls}: grants within which the head of its line is served. */
  int maxGap(int cls) {
    return maxGap[cls];
  }

  /** No more turns start (shutdown). */
  void stop() {
    stopped = true;
  }

  /** Takes one ticket without a permit (tests that drive the dispatcher by hand after {@link #stop}). */
  @Nullable SessionActor pollTicket() {
    Ticket t = next();
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
