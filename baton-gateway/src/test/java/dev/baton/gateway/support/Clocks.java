package dev.baton.gateway.support;

import dev.baton.testing.ManualScheduler;
import java.util.concurrent.TimeUnit;

/** Bounded waits for the manual clock. */
public final class Clocks {
  private Clocks() {}

  /** Spins (bounded, 10 s) until at least {@code n} timers are registered with the manual clock. */
  public static void awaitTimers(ManualScheduler clock, int n) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (clock.pending() < n) {
      if (System.nanoTime() > until) {
        throw new AssertionError("expected " + n + " pending timers, got " + clock.pending() + " at " + clock.nanoTime());
      }
      Thread.onSpinWait();
    }
  }
}
