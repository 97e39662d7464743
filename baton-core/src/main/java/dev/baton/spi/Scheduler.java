package dev.baton.spi;

import dev.baton.internal.time.SystemScheduler;
import java.time.Duration;
import java.time.Instant;

/**
 * Time and timers, injected into every engine class (STYLE 5): nothing in the engine calls
 * {@code System.nanoTime()}, {@code Instant.now()} or starts a hidden timer thread. Tests pass a
 * {@link dev.baton.testing.ManualScheduler} and drive time by hand, so timeouts are exact and need no sleeps.
 *
 * <p>Every bounded wait in Baton (P4) is built the same way: the waiter blocks on a future or condition
 * without a timeout, and a task {@linkplain #schedule scheduled} for the deadline completes or fails it.
 *
 * <p><b>Concurrency.</b> Implementations are thread-safe. Scheduled tasks run on a thread owned by the
 * scheduler; they must be short and must not block (hand real work to a virtual thread).
 */
public interface Scheduler {

  /** A monotonic time in nanoseconds, for measuring durations. */
  long nanoTime();

  /** The wall-clock time, for timestamps that are stored or shown. */
  Instant now();

  /** Runs {@code task} once after {@code delay}. */
  Cancellable schedule(Duration delay, Runnable task);

  /**
   * Runs {@code task} once when {@link #nanoTime()} reaches {@code deadlineNanos} (at once if it has). Unlike
   * {@code schedule(Duration.ofNanos(deadline - nanoTime()), task)}, time cannot move between reading the clock
   * and arming the timer in implementations that override it (the manual scheduler does), so a deadline fixed
   * earlier is kept exactly. Callers that must not miss an already-passed deadline check
   * {@code nanoTime() >= deadlineNanos} after arming.
   */
  default Cancellable scheduleAt(long deadlineNanos, Runnable task) {
    return schedule(Duration.ofNanos(Math.max(0, deadlineNanos - nanoTime())), task);
  }

  /** A scheduled task that may be cancelled before it runs. */
  @FunctionalInterface
  interface Cancellable {
    /** @return true if the task had not run and now never will */
    boolean cancel();
  }

  /** The real clock, with timers on one daemon platform thread. */
  static Scheduler system() {
    return SystemScheduler.INSTANCE;
  }
}
