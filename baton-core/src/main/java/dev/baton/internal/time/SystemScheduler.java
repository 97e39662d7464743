package dev.baton.internal.time;

import dev.baton.spi.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview
 *   The real clock, with timers on a hashed timing wheel (Varghese & Lauck) driven by one daemon platform
 *   thread. Every turn arms and almost always cancels a timeout, so schedule and cancel are O(1) and take no
 *   lock: schedule() appends the task to a lock-free inbox, cancel() is one CAS plus an append to a lock-free
 *   cancel queue. The timer thread owns the wheel (WHEEL buckets of TICK_NANOS each, a doubly linked list per
 *   bucket, `rounds` for delays longer than one turn of the wheel): once per tick it moves the inbox into the
 *   buckets, unlinks the cancelled tasks (so a cancelled 60 s timeout does not stay in memory for 60 s), and
 *   runs the due tasks of the current bucket. With nothing scheduled it parks without a timeout.
 *
 *   A task never runs early: its bucket is the first tick at or after its deadline, and tick t is processed
 *   only once nanoTime() >= origin + t * TICK_NANOS. It runs at most about one tick late (more if the
 *   timer thread is starved of CPU).
 *
 * Concurrency
 *   schedule()/cancel() are thread-safe and non-blocking. `state` of a task goes PENDING -> CANCELLED
 *   (cancel) or PENDING -> DONE (the timer thread, just before running it) by CAS: exactly one wins, so
 *   cancel() returns true iff the task will never run. The wheel, `tick` and the task links are confined to
 *   the timer thread. No lost wake-up: schedule() writes the inbox and then reads `idle`; the timer thread
 *   writes `idle` and then reads the inbox (both volatile).
 *
 * Failure
 *   A task that throws is logged and the timer goes on.
 */
/** The real clock; one daemon timer thread (a hashed timing wheel) shared by the process. */
public final class SystemScheduler implements Scheduler {

  public static final SystemScheduler INSTANCE = new SystemScheduler("baton-timer");

  static final long TICK_NANOS = 1_000_000L;
  static final int WHEEL = 1024;
  private static final int PENDING = 0, CANCELLED = 1, DONE = 2;
  private static final Logger log = LoggerFactory.getLogger(SystemScheduler.class);

  private final ConcurrentLinkedQueue<Task> inbox = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Task> cancelled = new ConcurrentLinkedQueue<>();
  private final @Nullable Task[] heads = new Task[WHEEL];
  private final long origin = System.nanoTime();
  private final Thread thread;
  private volatile boolean idle;
  private volatile boolean stopped;
  private long tick;
  private int size;

  /** A scheduled task; its links and `rounds` belong to the timer thread. */
  private final class Task extends AtomicInteger implements Cancellable {
    final long deadline;
    final Runnable body;
    long rounds;
    int bucket = -1;
    @Nullable Task prev;
    @Nullable Task next;

    Task(long deadline, Runnable body) {
      this.deadline = deadline;
      this.body = body;
    }

    @Override
    public boolean cancel() {
      if (!compareAndSet(PENDING, CANCELLED)) return false;
      cancelled.offer(this);
      return true;
    }
  }

  SystemScheduler(String name) {
    thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::loop);
    thread.start();
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    long d = Math.max(0, delay.toNanos());
    Task t = new Task(System.nanoTime() + d, task);
    inbox.offer(t);
    if (idle) LockSupport.unpark(thread);
    return t;
  }

  /** Stops the timer thread and waits for it (tests; the shared instance lives as long as the process). */
  void stop() throws InterruptedException {
    stopped = true;
    LockSupport.unpark(thread);
    thread.join();
  }

  private void loop() {
    while (!stopped) {
      long due = origin + tick * TICK_NANOS;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        if (size == 0 && inbox.isEmpty()) {
          idle = true;
          if (inbox.isEmpty() && !stopped) LockSupport.park(this);
          idle = false;
          // Nothing was in the wheel: skip the ticks that passed while parked.
          tick = Math.max(tick, (System.nanoTime() - origin) / TICK_NANOS);
        } else {
          LockSupport.parkNanos(this, wait);
        }
        continue;
      }
      transfer();
      unlinkCancelled();
      expire(heads[(int) (tick & (WHEEL - 1))]);
      tick++;
    }
  }

  private void transfer() {
    for (Task t; (t = inbox.poll()) != null; ) {
      if (t.get() != PENDING) continue;
      long at = t.deadline - origin;
      long target = Math.max(tick, at <= 0 ? 0 : (at + TICK_NANOS - 1) / TICK_NANOS);
      t.rounds = (target - tick) / WHEEL;
      int b = (int) (target & (WHEEL - 1));
      t.bucket = b;
      t.next = heads[b];
      if (t.next != null) t.next.prev = t;
      heads[b] = t;
      size++;
    }
  }

  private void unlinkCancelled() {
    for (Task t; (t = cancelled.poll()) != null; ) {
      if (t.bucket >= 0) unlink(t);
    }
  }

  private void unlink(Task t) {
    if (t.prev != null) t.prev.next = t.next;
    else heads[t.bucket] = t.next;
    if (t.next != null) t.next.prev = t.prev;
    t.prev = t.next = null;
    t.bucket = -1;
    size--;
  }

  private void expire(@Nullable Task head) {
    for (Task t = head; t != null; ) {
      Task next = t.next;
      if (t.rounds > 0) {
        t.rounds--;
      } else {
        unlink(t);
        if (t.compareAndSet(PENDING, DONE)) {
          try {
            t.body.run();
          } catch (Throwable e) {
            log.error("timer task failed", e);
          }
        }
      }
      t = next;
    }
  }
}
