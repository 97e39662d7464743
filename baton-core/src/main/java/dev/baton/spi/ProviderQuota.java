package dev.baton.spi;

import java.time.Instant;

/**
 * The cluster-wide share of a model provider's requests per minute ({@code
 * agent.rate_limits.provider.requests_per_minute} in cluster mode): fixed windows of 60 s aligned to the epoch,
 * one counter per provider and window in the shared store ({@code postgres}: one row, one atomic {@code INSERT
 * ... ON CONFLICT DO UPDATE ... WHERE used < limit RETURNING}), so the nodes together never start more than
 * {@code limit} requests in one window.
 *
 * <p><b>Concurrency.</b> Thread-safe; each call is one transaction, atomic and durable when it returns. It may
 * block for one database round trip; it never waits for capacity.
 */
public interface ProviderQuota {

  /** Length of one window. */
  java.time.Duration WINDOW = java.time.Duration.ofMinutes(1);

  /**
   * Takes one request of {@code provider}'s window that contains {@code now}, if fewer than {@code limit} were
   * taken in it.
   *
   * @return whether the request may start now; if not, the next window starts at {@link #nextWindow}
   * @throws StoreException if the store failed (the caller fails the call: better than exceeding the limit)
   */
  boolean tryTake(String provider, Instant now, int limit);

  /** The start of the window after the one that contains {@code now}. */
  static Instant nextWindow(Instant now) {
    long w = WINDOW.toMillis();
    return Instant.ofEpochMilli(Math.floorDiv(now.toEpochMilli(), w) * w + w);
  }

  /** The start of the window that contains {@code now} (epoch milliseconds, the counter's key). */
  static long windowStart(Instant now) {
    long w = WINDOW.toMillis();
    return Math.floorDiv(now.toEpochMilli(), w) * w;
  }
}
