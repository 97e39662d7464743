package dev.baton.testing;

import dev.baton.spi.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Scheduler} whose time moves only when a test calls {@link #advance}. Due tasks run on the thread
 * that advances time, in deadline order (ties in scheduling order), outside the scheduler's lock.
 *
 * <p>For tests and simulations; thread-safe.
 */
public final class ManualScheduler implements Scheduler {

  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled whenever a task is scheduled (for {@link #awaitTaskDue}). */
  private final java.util.concurrent.locks.Condition scheduled = lock.newCondition();
  // Guarded by lock.
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long nanos;
  private long sequence;
  private final Instant epoch;

  public ManualScheduler() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  public ManualScheduler(Instant start) {
    this.epoch = start;
  }

  @Override
  public long nanoTime() {
    lock.lock();
    try {
      return nanos;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Instant now() {
    return epoch.plusNanos(nanoTime());
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    lock.lock();
    try {
      Task t = new Task(nanos + Math.max(0, delay.toNanos()), sequence++, task);
      tasks.add(t);
      scheduled.signalAll();
      return () -> t.cancelled.compareAndSet(false, true);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Cancellable scheduleAt(long deadlineNanos, Runnable task) {
    lock.lock();
    try {
      Task t = new Task(Math.max(nanos, deadlineNanos), sequence++, task);
      tasks.add(t);
      scheduled.signalAll();
      return () -> t.cancelled.compareAndSet(false, true);
    } finally {
      lock.unlock();
    }
  }

  /** Moves time forward by {@code d}, running every task that falls due, in order. */
  public void advance(Duration d) {
    long target;
    lock.lock();
    try {
      target = nanos + d.toNanos();
    } finally {
      lock.unlock();
    }
    while (true) {
      Task next;
      lock.lock();
      try {
        next = tasks.peek();
        if (next == null || next.due > target) {
          nanos = target;
          return;
        }
        tasks.poll();
        nanos = Math.max(nanos, next.due);
      } finally {
        lock.unlock();
      }
      if (next.cancelled.compareAndSet(false, true)) {
        next.task.run();
      }
    }
  }

  /** Runs the tasks that are due now without moving time. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /**
   * Waits (in real time, at most {@code timeout}) until a task is pending that falls due exactly
   * {@code delay} after the current manual time: for a test that must let another thread arm a timer before
   * it moves time past it.
   *
   * @return whether such a task was scheduled in time
   */
  public boolean awaitTaskDue(Duration delay, Duration timeout) throws InterruptedException {
    long limit = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (true) {
        long due = nanos + delay.toNanos();
        for (Task t : tasks) if (t.due == due && !t.cancelled.get()) return true;
        long left = limit - System.nanoTime();
        if (left <= 0) return false;
        scheduled.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Number of scheduled tasks that have neither run nor been cancelled. */
  public int pending() {
    lock.lock();
    try {
      List<Task> live = new ArrayList<>();
      for (Task t : tasks) if (!t.cancelled.get()) live.add(t);
      return live.size();
    } finally {
      lock.unlock();
    }
  }

  private record Task(long due, long seq, Runnable task, AtomicBoolean cancelled) implements Comparable<Task> {
    Task(long due, long seq, Runnable task) {
      this(due, seq, task, new AtomicBoolean());
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
