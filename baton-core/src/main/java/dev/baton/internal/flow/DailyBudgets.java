package dev.baton.internal.flow;

import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/*
 * Overview
 *   Tokens spent per key (a user) in the current UTC day, against one daily limit. The day is read from the
 *   caller's wall clock (the Scheduler's now()); the first use on a new day replaces the whole map, so
 *   yesterday's counts cost nothing. A key is spent when its count reached the limit; the check comes before
 *   a model call and the count after it, so one call (or a user's calls running at once) may overshoot the
 *   limit by its own tokens — never more.
 *   Bounded (P11): at most max_tracked keys per day. A key first seen when the day is full is not counted
 *   (counted in `untracked()`): it is never refused. Refusing instead would let a spray of ids lock every new
 *   user out; not counting gives a sprayer nothing a fresh id would not.
 *
 * Concurrency
 *   Lock-free: an AtomicReference to the day, a ConcurrentHashMap of AtomicLongs (computeIfAbsent creates
 *   only). A record racing with the change of day may land in the day that just ended (lost) — a few tokens
 *   at midnight.
 */
/** Daily token counts per key. Thread-safe, lock-free. */
public final class DailyBudgets<K> {

  private record Day<K>(long epochDay, ConcurrentHashMap<K, AtomicLong> spent) {}

  private final long limit;
  private final int maxTracked;
  private final AtomicReference<Day<K>> day = new AtomicReference<>(new Day<>(Long.MIN_VALUE, new ConcurrentHashMap<>()));
  private final AtomicLong untracked = new AtomicLong();

  public DailyBudgets(long limitPerDay, int maxTracked) {
    if (limitPerDay <= 0 || maxTracked <= 0) throw new IllegalArgumentException("limit and bound must be positive");
    this.limit = limitPerDay;
    this.maxTracked = maxTracked;
  }

  /** Whether {@code key} has spent its tokens for the UTC day of {@code now}. */
  public boolean spent(K key, Instant now) {
    AtomicLong n = today(now).spent.get(key);
    return n != null && n.get() >= limit;
  }

  /** Adds {@code tokens} to {@code key}'s count for the UTC day of {@code now}. */
  public void record(K key, long tokens, Instant now) {
    if (tokens <= 0) return;
    ConcurrentHashMap<K, AtomicLong> spent = today(now).spent;
    AtomicLong n = spent.get(key);
    if (n == null) {
      if (spent.size() >= maxTracked) {
        untracked.incrementAndGet();
        return;
      }
      n = spent.computeIfAbsent(key, k -> new AtomicLong());
    }
    n.addAndGet(tokens);
  }

  /** Tokens {@code key} spent in the UTC day of {@code now}. */
  public long spentTokens(K key, Instant now) {
    AtomicLong n = today(now).spent.get(key);
    return n == null ? 0 : n.get();
  }

  /** Keys counted today. */
  public int tracked(Instant now) {
    return today(now).spent.size();
  }

  /** Records not counted because the day's map was full. */
  public long untracked() {
    return untracked.get();
  }

  private Day<K> today(Instant now) {
    long epochDay = Math.floorDiv(now.getEpochSecond(), 86_400L);
    Day<K> d = day.get();
    if (d.epochDay >= epochDay) return d; // today, or the clock stepped back: keep counting
    Day<K> fresh = new Day<>(epochDay, new ConcurrentHashMap<>());
    return day.compareAndSet(d, fresh) ? fresh : day.get();
  }
}
