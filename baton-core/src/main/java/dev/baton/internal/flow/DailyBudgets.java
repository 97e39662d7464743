package dev.baton.internal.flow;

import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/*
 * Overview
 *   Tokens spent per key (a user) in the current UTC day, against one daily limit. The day is read from the
 *   caller's wall clock (the Scheduler's now()); the first use on a new day replaces the whole map, so
 *   yesterday's counts cost nothing. A key is spent when its count reached the limit; the check comes before
 *   a model call and the count after it, so one call (or a user's calls running at once) may overshoot the
 *   limit by its own tokens — never more.
 *   Bounded (P11): at most max_tracked keys per day. A key first seen when the day is full is counted in one of
 *   OVERFLOW shared counters chosen by its hash (`untracked()` counts such records): it can only be refused
 *   early — when keys sharing its counter spent the limit together —, never let through for free. Not
 *   counting it would give every id after the bound an unlimited day (a sprayer fills the map at dawn and then
 *   spends freely); refusing every new key would lock honest new users out. Sharing errs on the safe side and
 *   costs a fixed 512 KB per day.
 *
 * Concurrency
 *   Lock-free: an AtomicReference to the day, a ConcurrentHashMap of AtomicLongs (computeIfAbsent creates
 *   only). A record racing with the change of day may land in the day that just ended (lost) — a few tokens
 *   at midnight.
 */
/** Daily token counts per key. Thread-safe, lock-free. */
public final class DailyBudgets<K> {

  /** Shared counters of the keys first seen after the day's map was full. */
  static final int OVERFLOW = 1 << 16;

  private record Day<K>(long epochDay, ConcurrentHashMap<K, AtomicLong> spent, AtomicLongArray overflow) {
    Day(long epochDay) {
      this(epochDay, new ConcurrentHashMap<>(), new AtomicLongArray(OVERFLOW));
    }
  }

  private final long limit;
  private final int maxTracked;
  private final AtomicReference<Day<K>> day = new AtomicReference<>(new Day<>(Long.MIN_VALUE));
  private final AtomicLong untracked = new AtomicLong();

  public DailyBudgets(long limitPerDay, int maxTracked) {
    if (limitPerDay <= 0 || maxTracked <= 0) throw new IllegalArgumentException("limit and bound must be positive");
    this.limit = limitPerDay;
    this.maxTracked = maxTracked;
  }

  /** Whether {@code key} has spent its tokens for the UTC day of {@code now}. */
  public boolean spent(K key, Instant now) {
    Day<K> d = today(now);
    AtomicLong n = d.spent.get(key);
    if (n != null) return n.get() >= limit;
    return d.overflow.get(slot(key)) >= limit; // 0 unless keys past the bound share its counter
  }

  /** Adds {@code tokens} to {@code key}'s count for the UTC day of {@code now}. */
  public void record(K key, long tokens, Instant now) {
    if (tokens <= 0) return;
    ConcurrentHashMap<K, AtomicLong> spent = today(now).spent;
    AtomicLong n = spent.get(key);
    if (n == null) {
      if (spent.size() >= maxTracked) {
        untracked.incrementAndGet();
        today(now).overflow.addAndGet(slot(key), tokens);
        return;
      }
      n = spent.computeIfAbsent(key, k -> new AtomicLong());
    }
    n.addAndGet(tokens);
  }

  /** Tokens {@code key} spent in the UTC day of {@code now}. */
  public long spentTokens(K key, Instant now) {
    Day<K> d = today(now);
    AtomicLong n = d.spent.get(key);
    return n == null ? d.overflow.get(slot(key)) : n.get();
  }

  /** Keys counted today. */
  public int tracked(Instant now) {
    return today(now).spent.size();
  }

  /** Records counted in a shared counter because the day's map was full. */
  public long untracked() {
    return untracked.get();
  }

  private static int slot(Object key) {
    int h = key.hashCode() * 0x9E3779B9; // spread: keys differing in their last characters land far apart
    return (h ^ (h >>> 16)) & (OVERFLOW - 1);
  }

  private Day<K> today(Instant now) {
    long epochDay = Math.floorDiv(now.getEpochSecond(), 86_400L);
    Day<K> d = day.get();
    if (d.epochDay >= epochDay) return d; // today, or the clock stepped back: keep counting
    Day<K> fresh = new Day<>(epochDay);
    return day.compareAndSet(d, fresh) ? fresh : day.get();
  }
}
