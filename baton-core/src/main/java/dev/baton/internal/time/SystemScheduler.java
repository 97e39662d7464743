package dev.baton.internal.time;

import dev.baton.spi.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The real clock; one daemon timer thread shared by the process. Timer tasks must not block. */
public final class SystemScheduler implements Scheduler {

  public static final SystemScheduler INSTANCE = new SystemScheduler();

  private final ScheduledThreadPoolExecutor timer;

  private SystemScheduler() {
    timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "baton-timer");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
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
    ScheduledFuture<?> f = timer.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }
}
