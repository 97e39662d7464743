package dev.baton.tools.internal;

import dev.baton.DeadlockException;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.Scheduler;
import dev.baton.tools.ToolException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview. The limits of one tool (tools.limits.<name>): at most `max_concurrent` calls inside at once, and
 * calls starting at most `calls_per_minute`, spaced 60/N s apart. A call enters on its holder thread before it
 * takes its locks (so nothing it holds waits behind the limit) and leaves in that thread's finally.
 *   - Slots: free and nobody queued -> in at once; else the call queues (FIFO) and a leaving call hands its
 *     slot to the queue's head directly, so a late arrival never overtakes a waiter. The wait ends at the
 *     call's deadline (`timeout`, P4) or when the wait-for graph picks it as a deadlock victim: each waiter
 *     is an edge (TOOL_LIMIT, Need.ANY) to the calls inside, so "a call inside asks a session whose turn waits
 *     for this tool" is a cycle the graph sees and breaks (P8).
 *   - Rate: the next start time `next` (GCRA without a burst). A call reserves max(next, now) and moves `next`
 *     one interval on, under the lock, so starts are FIFO and never closer than the interval. A call whose
 *     start would be after its deadline fails at once with `rate_limited` (retriable) and reserves nothing; a
 *     call that gives up while waiting returns its reservation if nobody reserved after it.
 *   Slot first, then rate: a call starts (and hits the API) only when both allow it, so neither limit lets a
 *   burst through the other.
 *
 * Concurrency. Thread-safe. One ReentrantLock per tool guards the holders, the queue and `next`; it is a leaf
 * except for the graph's lock, taken under it (as LockManager's mu): lock order gate -> graph. Grants complete
 * futures under the lock; only the waiting thread joins them. Waits are on futures completed by the
 * Scheduler's timers, never on the real clock.
 *
 * Failure. Every refusal is a ToolException (retriable: a later call may pass) or a DeadlockException; the
 * caller's slot is never leaked (a grant that raced with the timeout is given back).
 */
final class ToolGate {

  private final String tool;
  private final int maxConcurrent;
  private final long intervalNanos;
  private final Scheduler scheduler;
  private final WaitGraph graph;
  private final Timer waited;
  private final Counter refusedRate;
  private final Counter timedOut;
  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final LinkedHashSet<Party> inside = new LinkedHashSet<>();
  private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
  private long next;

  private static final class Waiter {
    final Party party;
    final CompletableFuture<Void> granted = new CompletableFuture<>();
    WaitGraph.@Nullable Wait edge; // guarded by lock

    Waiter(Party party) {
      this.party = party;
    }
  }

  /**
   * @param maxConcurrent 0: no slot limit
   * @param callsPerMinute 0: no rate
   */
  ToolGate(String tool, int maxConcurrent, int callsPerMinute, Scheduler scheduler, WaitGraph graph,
      MeterRegistry meters) {
    this.tool = tool;
    this.maxConcurrent = maxConcurrent;
    this.intervalNanos = callsPerMinute == 0 ? 0 : Math.ceilDiv(60_000_000_000L, callsPerMinute);
    this.scheduler = scheduler;
    this.graph = graph;
    this.next = scheduler.nanoTime();
    this.waited = Timer.builder("baton.tool.limit.wait").tag("tool", tool)
        .description("Time tool calls waited for a slot or their turn under tools.limits").register(meters);
    this.refusedRate = meters.counter("baton.tool.limit.refused", "tool", tool, "limit", "rate");
    this.timedOut = meters.counter("baton.tool.limit.refused", "tool", tool, "limit", "max_concurrent");
  }

  /**
   * Lets {@code call} in, waiting at most until {@code deadlineNanos} (scheduler time): first for a slot, then for
   * its start time. On return the call holds a slot (if limited) and must call {@link #leave}.
   *
   * @throws ToolException {@code timeout} (no slot by the deadline) or {@code rate_limited} (its start would be
   *     after the deadline); nothing is held then
   * @throws DeadlockException if the slot wait was chosen as a deadlock victim; nothing is held
   * @throws InterruptedException if interrupted while waiting; nothing is held
   */
  void enter(Party call, long deadlineNanos) throws InterruptedException {
    long start = scheduler.nanoTime();
    boolean waitedHere = maxConcurrent > 0 && takeSlot(call, deadlineNanos);
    try {
      if (intervalNanos > 0) waitedHere |= awaitStart(call, deadlineNanos);
    } catch (InterruptedException | RuntimeException e) {
      leave(call);
      throw e;
    }
    if (waitedHere) waited.record(scheduler.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  /** Gives {@code call}'s slot to the next waiter (or back). Ignored for a call that holds none. */
  void leave(Party call) {
    if (maxConcurrent == 0) return;
    lock.lock();
    try {
      if (!inside.remove(call)) return;
      grantNext();
    } finally {
      lock.unlock();
    }
  }

  /** Returns whether the call had to queue. */
  private boolean takeSlot(Party call, long deadlineNanos) throws InterruptedException {
    Waiter w;
    lock.lock();
    try {
      if (queue.isEmpty() && inside.size() < maxConcurrent) {
        inside.add(call);
        return false;
      }
      w = new Waiter(call);
      queue.addLast(w);
      Waiter me = w;
      w.edge = graph.await(call, WaitKind.TOOL_LIMIT, "tool " + tool + " (max_concurrent " + maxConcurrent + ")",
          Need.ANY, List.copyOf(inside), ex -> me.granted.completeExceptionally(ex));
    } finally {
      lock.unlock();
    }
    ToolException late = new ToolException("timeout", "tool " + tool + " had no free slot (max_concurrent "
        + maxConcurrent + ") within the call's time", true);
    Scheduler.Cancellable timer = scheduler.scheduleAt(deadlineNanos, () -> w.granted.completeExceptionally(late));
    if (scheduler.nanoTime() >= deadlineNanos) w.granted.completeExceptionally(late);
    try {
      w.granted.get();
      return true;
    } catch (ExecutionException e) {
      withdraw(w);
      if (e.getCause() instanceof ToolException t) {
        timedOut.increment();
        throw t;
      }
      if (e.getCause() instanceof DeadlockException d) throw d;
      throw new IllegalStateException("slot wait failed", e);
    } catch (InterruptedException e) {
      withdraw(w);
      throw e;
    } finally {
      timer.cancel();
    }
  }

  /** A waiter that gave up: out of the queue; a grant that won the race is passed on. */
  private void withdraw(Waiter w) {
    lock.lock();
    try {
      if (w.edge != null) graph.end(w.edge);
      if (!queue.remove(w) && inside.remove(w.party)) grantNext();
    } finally {
      lock.unlock();
    }
  }

  // Guarded by lock: hands free slots to the queue's head, in order, then re-points the waiters' edges.
  private void grantNext() {
    while (inside.size() < maxConcurrent && !queue.isEmpty()) {
      Waiter head = queue.pollFirst();
      if (head.edge != null) graph.end(head.edge);
      if (head.granted.complete(null)) inside.add(head.party); // else it timed out or was a victim: skip it
    }
    List<Party> holders = List.copyOf(inside);
    for (Waiter w : queue) {
      if (w.edge != null) graph.update(w.edge, holders);
    }
  }

  /** Returns whether the call had to wait for its start time. */
  private boolean awaitStart(Party call, long deadlineNanos) throws InterruptedException {
    long at;
    lock.lock();
    try {
      long now = scheduler.nanoTime();
      at = Math.max(next, now);
      if (at >= deadlineNanos) { // a start at the deadline leaves the call no time to run
        refusedRate.increment();
        throw new ToolException("rate_limited", "tool " + tool + " is at its rate (tools.limits calls_per_minute);"
            + " its next start is " + Math.ceilDiv(at - now, 1_000_000L) + " ms away, after this call's deadline",
            true);
      }
      next = at + intervalNanos;
    } finally {
      lock.unlock();
    }
    if (at <= scheduler.nanoTime()) return false;
    CompletableFuture<Void> due = new CompletableFuture<>();
    // Shown in the graph's snapshot; blocked by nobody (time), so it never closes a cycle.
    WaitGraph.Wait shown = graph.await(call, WaitKind.TOOL_LIMIT, "tool " + tool + " (calls_per_minute, start in "
        + Math.ceilDiv(at - scheduler.nanoTime(), 1_000_000L) + " ms)", Need.ALL, List.of(), due::completeExceptionally);
    Scheduler.Cancellable timer = scheduler.scheduleAt(at, () -> due.complete(null));
    try {
      due.get();
      return true;
    } catch (ExecutionException e) {
      giveBack(at);
      if (e.getCause() instanceof DeadlockException d) throw d;
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      giveBack(at);
      throw e;
    } finally {
      timer.cancel();
      graph.end(shown);
    }
  }

  /** An unused start time goes back if it was the last one reserved (else later starts keep their spacing). */
  private void giveBack(long at) {
    lock.lock();
    try {
      if (next == at + intervalNanos) next = at;
    } finally {
      lock.unlock();
    }
  }
}
