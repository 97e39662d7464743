package dev.baton.agents;

import dev.baton.spi.Scheduler;
import dev.baton.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link ManualScheduler} that tells the test each delay it is asked to wait, so a test knows when to advance. */
public final class RecordingScheduler implements Scheduler {

  static final long WAIT_SECONDS = 10;

  public final ManualScheduler manual = new ManualScheduler();
  private final BlockingQueue<Duration> scheduled = new LinkedBlockingQueue<>();

  @Override
  public long nanoTime() {
    return manual.nanoTime();
  }

  @Override
  public Instant now() {
    return manual.now();
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Cancellable c = manual.schedule(delay, task);
    scheduled.add(delay);
    return c;
  }

  /** Waits (bounded) until something is scheduled and returns its delay. */
  public Duration nextScheduled() throws InterruptedException {
    Duration d = scheduled.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    if (d == null) throw new AssertionError("nothing was scheduled within " + WAIT_SECONDS + " s");
    return d;
  }

  public boolean nothingScheduled() {
    return scheduled.isEmpty();
  }

  public void advance(Duration d) {
    manual.advance(d);
  }
}
