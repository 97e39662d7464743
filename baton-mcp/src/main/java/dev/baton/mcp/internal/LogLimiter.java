package dev.baton.mcp.internal;

import java.time.Duration;
import java.util.function.LongSupplier;

/*
 * Overview. Rate limit for log lines a server can cause at will (stderr, stdout lines that are not JSON-RPC):
 * the first `burst` in a window pass, then nothing until the window (one minute) ends; the first line after it
 * passes with the count of the ones suppressed in between (the caller logs it).
 *
 * Concurrency. Thread-safe (synchronized; one reader thread per stream calls it). Time from the injected clock.
 */
final class LogLimiter {
  private static final long WINDOW_NANOS = Duration.ofMinutes(1).toNanos();

  private final int burst;
  private final LongSupplier nanos;
  private long windowStart;
  private int inWindow;
  private long suppressed;
  private long total;

  LogLimiter(int burst, LongSupplier nanos) {
    this.burst = burst;
    this.nanos = nanos;
    this.windowStart = nanos.getAsLong();
  }

  /**
   * Counts one event; returns -1 if it is not to be logged, else how many were suppressed before it (0 mostly).
   */
  synchronized long admit() {
    total++;
    long now = nanos.getAsLong();
    if (now - windowStart >= WINDOW_NANOS) {
      windowStart = now;
      inWindow = 0;
    }
    if (inWindow >= burst) {
      suppressed++;
      return -1;
    }
    inWindow++;
    long s = suppressed;
    suppressed = 0;
    return s;
  }

  /** Events counted so far (logged or not). */
  synchronized long total() {
    return total;
  }
}
