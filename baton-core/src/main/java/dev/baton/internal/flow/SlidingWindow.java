package dev.baton.internal.flow;

import java.util.ArrayDeque;

/**
 * What started in the last 60 s of one limit (requests or tokens): entries (instant, amount) in instant order
 * and their sum. {@link #fit} finds the earliest instant from which one more amount keeps every 60 s window at or
 * below the limit. Not thread-safe: guarded by the {@link WindowLimiter}'s lock.
 *
 * <p>Why a log and not a token bucket: a bucket of capacity {@code limit} refilled at {@code limit}/min lets
 * nearly {@code 2 × limit} through in a minute (a full bucket, then its refill), and a provider that counts per
 * minute answers 429 to the second half. With the log, no 60 s window ever holds more than {@code limit}; the
 * burst is the whole limit at once, then nothing until the oldest entry is 60 s old. Memory is one entry per
 * request of the last minute (at most {@code requests_per_minute}).
 */
final class SlidingWindow {

  static final long WINDOW_NANOS = 60_000_000_000L;

  /** One start: when, and how much (1 for a request, the estimate, then the usage, for tokens). */
  static final class Entry {
    final long at;
    long amount;
    boolean live = true;

    Entry(long at, long amount) {
      this.at = at;
      this.amount = amount;
    }
  }

  final long limit;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long sum;

  SlidingWindow(long limit) {
    if (limit <= 0) throw new IllegalArgumentException("limit must be positive");
    this.limit = limit;
  }

  /**
   * The earliest {@code t >= from} at which what started in {@code (t - 60 s, t]} plus {@code n} is at most the
   * limit. Every entry is at or before {@code from} (reservations are made in instant order), so the amount in the
   * window only falls as {@code t} grows: walking from the oldest entry finds {@code t}. {@code n <= limit}.
   */
  long fit(long from, long n) {
    long t = from;
    long used = sum;
    for (Entry e : entries) {
      if (e.at <= t - WINDOW_NANOS) {
        used -= e.amount;
        continue;
      }
      if (used + n <= limit) break;
      t = e.at + WINDOW_NANOS; // e leaves the window at t (the window is open on the left)
      used -= e.amount;
    }
    return t;
  }

  /** Records a start at {@code at} (not before the last one). */
  Entry add(long at, long n) {
    Entry e = new Entry(at, n);
    entries.addLast(e);
    sum += n;
    return e;
  }

  /** Gives a reservation back (its call never started). */
  void remove(Entry e) {
    if (e.live && entries.remove(e)) {
      e.live = false;
      sum -= e.amount;
    }
  }

  /** The provider's figure replaces the estimate (affects windows from now on). */
  void correct(Entry e, long amount) {
    if (e.live) sum += amount - e.amount;
    e.amount = amount;
  }

  /** Forgets entries no window from {@code t} on can hold. */
  void prune(long t) {
    for (Entry e = entries.peekFirst(); e != null && e.at <= t - WINDOW_NANOS; e = entries.peekFirst()) {
      entries.pollFirst();
      e.live = false;
      sum -= e.amount;
    }
  }

  /** The instant of the latest entry, or {@code Long.MIN_VALUE}. */
  long last() {
    Entry e = entries.peekLast();
    return e == null ? Long.MIN_VALUE : e.at;
  }

  /** The amount in {@code (t - 60 s, t]} (tests). */
  long usedAt(long t) {
    long used = 0;
    for (Entry e : entries) if (e.at > t - WINDOW_NANOS && e.at <= t) used += e.amount;
    return used;
  }
}
