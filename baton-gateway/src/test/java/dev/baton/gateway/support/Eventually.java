package dev.baton.gateway.support;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A bounded wait for a condition another thread makes true (10 s, then the test fails). No sleeping. */
public final class Eventually {
  private Eventually() {}

  public static void until(String what, BooleanSupplier condition) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) throw new AssertionError("not within 10 s: " + what);
      Thread.yield();
    }
  }
}
