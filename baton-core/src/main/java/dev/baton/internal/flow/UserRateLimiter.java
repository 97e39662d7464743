package dev.baton.internal.flow;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/*
 * Overview
 *   One RateBucket per key (a user: channel + authenticated sender), in bounded memory (P11). The buckets live
 *   in two generations, `current` and `previous`; a key found in `previous` moves to `current` with its
 *   bucket. A rotation makes `current` the new `previous` and drops the old `previous`, and happens
 *   - when a bucket's refill time (burst intervals) has passed since the last rotation: then every dropped
 *     bucket was last used before the previous rotation, so it is full, and a full bucket is a fresh one —
 *     forgetting it changes nothing (idle users cost nothing after one refill time);
 *   - when `current` holds max_tracked / 2 keys: the bound. Under a spray of new ids (an attacker with a
 *     million user ids) the least recently seen users are forgotten and start again with a full bucket. That
 *     gives nobody more than a fresh id would, and a user is only forgotten after max_tracked / 2 other users
 *     arrived since he last sent.
 *   So memory is at most max_tracked buckets (plus what racing inserts add before their rotation check).
 *
 * Concurrency
 *   Lock-free on the fast path (a volatile read, a ConcurrentHashMap get, one CAS in the bucket). A key's first
 *   use in a generation is a computeIfAbsent on `current` whose function only removes the key from
 *   `previous` (another map; no blocking, STYLE 9), so a bucket that moves is never duplicated and its
 *   tokens are never reset by a racing first use. A rotation is one CAS of the generation pair; a thread
 *   still working on the old pair takes from a bucket that is now in `previous` and moves on the next use.
 *   Only two rotations during one take can drop a bucket in use (its user then starts full again).
 */
/** Token buckets per key with bounded, self-evicting memory. Thread-safe, lock-free. */
public final class UserRateLimiter<K> {

  private record Generations<K>(ConcurrentHashMap<K, RateBucket> current, ConcurrentHashMap<K, RateBucket> previous,
      long rotatedAt) {}

  private final long intervalNanos;
  private final int burst;
  private final long refillNanos;
  private final int perGeneration;
  private final AtomicReference<Generations<K>> generations;

  /**
   * @param perMinute takes per minute on average (one token every 60 s / perMinute)
   * @param burst the bucket's size
   * @param maxTracked most buckets kept (at least 2)
   */
  public UserRateLimiter(int perMinute, int burst, int maxTracked, long nowNanos) {
    this.intervalNanos = RateBucket.intervalPerMinute(perMinute);
    this.burst = burst;
    this.refillNanos = Math.multiplyExact(intervalNanos, (long) burst);
    this.perGeneration = Math.max(1, maxTracked / 2);
    this.generations = new AtomicReference<>(new Generations<>(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(),
        nowNanos));
  }

  /** Takes one token of {@code key}'s bucket at {@code nowNanos}; false when it is empty (nothing taken). */
  public boolean tryAcquire(K key, long nowNanos) {
    Generations<K> g = generations.get();
    if (nowNanos - g.rotatedAt >= refillNanos) g = rotate(g, nowNanos);
    RateBucket b = g.current.get(key);
    if (b == null) {
      ConcurrentHashMap<K, RateBucket> previous = g.previous;
      b = g.current.computeIfAbsent(key, k -> {
        RateBucket moved = previous.remove(k);
        return moved != null ? moved : new RateBucket(intervalNanos, burst, nowNanos);
      });
      if (g.current.size() >= perGeneration) rotate(g, nowNanos);
    }
    return b.tryTake(nowNanos);
  }

  /** Gives back the token {@link #tryAcquire} took for {@code key} (the message was refused for another reason). */
  public void giveBack(K key) {
    Generations<K> g = generations.get();
    RateBucket b = g.current.get(key);
    if (b == null) b = g.previous.get(key);
    if (b != null) b.giveBack(); // a bucket already forgotten was full: nothing to give back
  }

  private Generations<K> rotate(Generations<K> seen, long nowNanos) {
    Generations<K> next = new Generations<>(new ConcurrentHashMap<>(), seen.current, nowNanos);
    return generations.compareAndSet(seen, next) ? next : generations.get();
  }

  /** Buckets kept now (both generations). */
  public int tracked() {
    Generations<K> g = generations.get();
    return g.current.size() + g.previous.size();
  }
}
