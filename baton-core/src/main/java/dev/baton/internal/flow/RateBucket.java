package dev.baton.internal.flow;

import java.util.concurrent.atomic.AtomicLong;

/*
 * Overview
 *   A token bucket of `burst` tokens refilled at one token per `intervalNanos`, kept as the generic cell rate
 *   algorithm (GCRA): one number, the theoretical arrival time `tat` (when the bucket would be full again).
 *   A take at `now` is allowed when tat - now <= (burst - 1) * interval, and moves tat to max(tat, now) +
 *   interval. So the bucket holds no fractional tokens, needs no refill task, and "full" is simply tat <= now:
 *   a full bucket is indistinguishable from a fresh one, which is what lets the limiter forget it.
 *
 * Concurrency
 *   Lock-free: one AtomicLong, one CAS per take (retried on contention). Linearizable: of any set of
 *   concurrent takes, exactly as many succeed as the bucket had tokens. Time is the caller's (the injected
 *   Scheduler's nanoTime), never read here.
 */
/** A lock-free token bucket (GCRA). Thread-safe. */
public final class RateBucket {

  private final long intervalNanos;
  private final long toleranceNanos;
  private final AtomicLong tat;

  /** A full bucket at {@code nowNanos}. */
  public RateBucket(long intervalNanos, int burst, long nowNanos) {
    if (intervalNanos <= 0 || burst <= 0) throw new IllegalArgumentException("interval and burst must be positive");
    this.intervalNanos = intervalNanos;
    this.toleranceNanos = Math.multiplyExact(intervalNanos, burst - 1L);
    this.tat = new AtomicLong(nowNanos);
  }

  /** One token every {@code 60 s / perMinute}, rounded up so the rate is never above {@code perMinute}. */
  public static long intervalPerMinute(int perMinute) {
    return Math.ceilDiv(60_000_000_000L, perMinute);
  }

  /** Takes one token at {@code nowNanos}; false (nothing changed) when the bucket is empty. */
  public boolean tryTake(long nowNanos) {
    while (true) {
      long t = tat.get();
      long base = t - nowNanos > 0 ? t : nowNanos; // by difference: nanoTime may wrap
      if (base - nowNanos > toleranceNanos) return false;
      if (tat.compareAndSet(t, base + intervalNanos)) return true;
    }
  }

  /**
   * Gives back one token taken by {@link #tryTake} for a message that was then refused for another reason, so an
   * honest retry is not charged twice. Never fills the bucket beyond full (a tat at or before now is full).
   */
  public void giveBack() {
    tat.addAndGet(-intervalNanos);
  }

  /** Whether the bucket is full at {@code nowNanos} (then it equals a fresh bucket and may be dropped). */
  public boolean full(long nowNanos) {
    return tat.get() - nowNanos <= 0;
  }

  /** When the next token is there (at or before {@code nowNanos} if one is there now). */
  public long nextTokenAt(long nowNanos) {
    return Math.max(nowNanos, tat.get() - toleranceNanos);
  }

  /** The time from empty to full: {@code burst} intervals. */
  public long refillNanos() {
    return toleranceNanos + intervalNanos;
  }
}
