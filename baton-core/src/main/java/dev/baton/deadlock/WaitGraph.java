package dev.baton.deadlock;

import dev.baton.DeadlockException;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.internal.deadlock.WaitForGraph;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The process-wide wait-for graph (P8), as the owners of resources see it: the tool runtime's lock manager,
 * the engine's session slots and global permits, and the {@code ask} routers each report every wait as one
 * edge set (waiter &rarr; the parties it waits for) and keep its blockers current; the graph finds the cycles
 * and fails one wait of each through its {@code onVictim} callback. It also watches running tool calls and
 * reports those that make no progress for longer than their timeout.
 *
 * <pre>{@code
 * WaitGraph.Owned graph = WaitGraph.create(config.agent().deadlockDetection(), scheduler, meters);
 * graph.start();                                      // the periodic sweep
 * BatonTools tools = BatonTools.builder().waitForGraph(graph)...build();
 * WaitGraph.Wait w = graph.await(me, WaitKind.LOCK, "res:a (exclusive)", Need.ALL, holders, future::completeExceptionally);
 * graph.update(w, holdersNow);                        // as holders leave and waiters ahead are granted
 * graph.end(w);                                       // granted, timed out or cancelled
 * }</pre>
 *
 * <p><b>Concurrency.</b> Thread-safe. Every method is atomic with respect to the graph's edges and returns
 * without blocking. The graph's lock is a leaf: a caller may hold its own locks when it calls in (lock
 * manager &rarr; graph), and the graph calls nothing of the caller's and logs nothing while it holds its lock.
 * A victim callback runs at most once, after the graph's lock is released, on the thread that found the
 * cycle (the caller of {@link #await} or {@link #update}, or the scheduler's thread for the sweep); by then
 * the victim's wait is already gone from the graph. A callback must not block: complete a future, nothing
 * more. A callback that throws is logged; the other victims' callbacks still run.
 *
 * <p>A party waits for at most one thing at a time; its wait is identified by the {@link Wait} handle
 * {@link #await} returns.
 */
public interface WaitGraph {

  /**
   * Records that {@code waiter} starts waiting for {@code resource}, blocked by {@code blockers} ({@code
   * waiter} itself is ignored among them); then looks for a cycle closed by these edges and breaks it
   * (possibly choosing this very wait as the victim: then {@code onVictim} has run when this returns).
   *
   * @param kind what the waiter waits for (how the victim's message names it)
   * @param resource names what is waited for in snapshots and logs (a lock key, a session slot, ...)
   * @param need whether the waiter needs all of its blockers gone or any one of them
   * @param onVictim fails the waiter's wait with the exception if it is chosen as a victim; null for a wait
   *     that cannot be broken ({@link WaitKind#OWN_CALLS}). Runs once at most, must not block.
   * @return the wait, to pass to {@link #update} and {@link #end}
   * @throws IllegalStateException if {@code waiter} already waits
   */
  Wait await(Party waiter, WaitKind kind, String resource, Need need, Collection<Party> blockers,
      @Nullable Consumer<DeadlockException> onVictim);

  /**
   * Replaces the blockers of a live wait (a holder left, a waiter ahead was granted, ...) and looks for a
   * cycle if the change can close one. No-op once the wait ended or was broken.
   */
  void update(Wait wait, Collection<Party> blockers);

  /** Ends a wait (granted, timed out, cancelled). No-op if it already ended or was broken. */
  void end(Wait wait);

  /** A tool call started; it is reported as stuck if it makes no progress for {@code timeout}. */
  void callStarted(Party call, Duration timeout);

  /** The call made progress (took a lock, reported a step). No-op for a call not started or ended. */
  void progress(Party call);

  /** The call has really stopped (its thread has left the tool's code). */
  void callEnded(Party call);

  /** How many parties wait now. */
  int waitCount();

  /** Whether {@code party} waits now. */
  boolean isWaiting(Party party);

  /**
   * Records an agent loop (a chain of asks past {@code tools.ask_max_hops}, or one repeating a cycle of agents
   * within {@code tools.loop_window_ms}) like a deadlock: in {@link #recentDeadlocks}, counted ({@code
   * baton.loops.broken{via}}, or {@code baton.loops.reported} when {@code broken} is false) and logged with the
   * whole chain. The caller has failed (or, report-only, let through) the ask; this only reports. Does not block.
   *
   * @param report via {@link DeadlockReport#VIA_HOP_LIMIT} or {@link DeadlockReport#VIA_REPEAT}; its cycle
   *     is the chain's hops in order
   */
  void reportLoop(DeadlockReport report, boolean broken);

  /** The most recent deadlocks that were broken, and agent loops, oldest first (at most 100). */
  List<DeadlockReport> recentDeadlocks();

  /** Every wait (at most 1,000, oldest first), every running call and the recent deadlocks. */
  GraphSnapshot snapshot();

  /** The detection settings in force. */
  DeadlockDetectionConfig config();

  /** One wait edge set, as returned by {@link #await}. Only the graph that returned it accepts it. */
  interface Wait {
    /** Who waits. */
    Party waiter();
  }

  /**
   * The graph as its creator holds it: the one party that starts the periodic sweep and closes it. Whoever
   * is handed a {@link WaitGraph} (the tool runtime given a shared graph, an {@code ask} router) only reports
   * edges.
   */
  interface Owned extends WaitGraph, AutoCloseable {
    /**
     * Starts the sweep on the scheduler: every {@code check_interval_ms} it breaks every deadlock the
     * closing-edge search missed and reports stuck calls. No-op if detection is disabled. Idempotent.
     */
    void start();

    /** Runs one sweep now, on the calling thread (victim callbacks included). Benchmarks and tests. */
    void sweep();

    /** Stops the sweep. The edge methods keep working (with detection at the closing edge only). */
    @Override
    void close();
  }

  /** A new graph (not started) timed by {@code scheduler}; its metrics go to {@code meters}. */
  static Owned create(DeadlockDetectionConfig config, Scheduler scheduler, MeterRegistry meters) {
    return new WaitForGraph(config, scheduler, meters);
  }
}
