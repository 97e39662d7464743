package dev.baton.gateway.internal;

import java.util.concurrent.ConcurrentHashMap;

/*
 * Overview
 *   The per-chat throttle of preview updates (P10, `stream_edit_interval_ms`): a chat may get a preview update
 *   when its next-allowed time has come; taking the slot moves that time one interval on. A platform's 429
 *   with Retry-After pushes the time further. Times are Scheduler.nanoTime() values, so a ManualScheduler
 *   drives it in tests.
 *
 * Concurrency
 *   Thread-safe: the lanes of several sessions in one chat (a group) share a chat's entry; each reservation is
 *   one atomic ConcurrentHashMap.compute.
 *
 * Failure
 *   None. Memory: an entry is only useful until its time has passed, so when the map grows past SWEEP_AT
 *   entries the passed ones are removed (P11: bounded by the chats updated within one interval).
 */
/** Next-allowed preview update time per chat. */
final class ChatThrottle {

  static final int SWEEP_AT = 4096;

  private final ConcurrentHashMap<String, Long> next = new ConcurrentHashMap<>();

  /**
   * Takes the chat's slot if it is free at {@code now}: returns {@code now} and moves the chat's next-allowed
   * time to {@code now + intervalNanos}. Otherwise returns the (later) time the slot frees, taking nothing.
   */
  long reserve(String chat, long now, long intervalNanos) {
    long[] at = {now};
    next.compute(chat, (k, v) -> {
      if (v != null && v > now) {
        at[0] = v;
        return v;
      }
      return now + intervalNanos;
    });
    if (next.size() > SWEEP_AT) next.values().removeIf(v -> v <= now);
    return at[0];
  }

  /** The platform asked to wait {@code nanos} (429 Retry-After): no update of the chat before {@code now + nanos}. */
  void penalize(String chat, long now, long nanos) {
    next.merge(chat, now + nanos, Math::max);
  }

  int size() {
    return next.size();
  }
}
