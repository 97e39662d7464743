package dev.baton.config;

import java.util.Objects;

/** {@code agent.concurrency:} — the guide's keys plus Baton's extensions. */
public record ConcurrencyConfig(
    @Doc("Turns of one session that may run at once (P3). 1 = strictly serial.") int maxConcurrentPerSession,
    @Doc("Turns that may run at once in this process (P3), shared fairly across sessions.") int maxConcurrentTotal,
    @Doc("Messages one session may have waiting; beyond it `overflow_action` applies.") int maxQueuePerSession,
    @Doc("Longest a message may wait from arrival to the start of its turn before it expires (ms, P4).")
        long queueTimeoutMs,
    @Doc("What happens to a message when its session's queue is full: `return_busy_message`, `reject` or"
        + " `drop`.") OverflowAction overflowAction,
    @Doc("The reply text for `return_busy_message`.") String busyMessage,
    @Doc("How queued messages become turns: `followup` (one turn per message), `collect` (what queued during a"
        + " turn forms the next turn), `interrupt` (a new message cancels the running turn), `steer` (a new"
        + " message is offered to the running turn, which takes it at its next model round; one it did not take"
        + " becomes the next turn), `reject` (busy while a turn runs).") QueueMode queueMode,
    @Doc("Wait this long without a new message of the session before a turn starts (ms; 0 = no wait).")
        long debounceMs,
    @Doc("Messages that may wait across all sessions of this process (P11); beyond it a new message is refused"
        + " as busy (API: 429) with nothing stored, whatever `overflow_action` says.") int maxQueuedTotal) {

  public enum OverflowAction { RETURN_BUSY_MESSAGE, REJECT, DROP }

  public enum QueueMode { FOLLOWUP, COLLECT, INTERRUPT, STEER, REJECT }

  public ConcurrencyConfig {
    Objects.requireNonNull(overflowAction, "overflow_action");
    Objects.requireNonNull(busyMessage, "busy_message");
    Objects.requireNonNull(queueMode, "queue_mode");
    Checks.positive("max_concurrent_per_session", maxConcurrentPerSession);
    Checks.positive("max_concurrent_total", maxConcurrentTotal);
    Checks.positive("max_queue_per_session", maxQueuePerSession);
    Checks.positive("queue_timeout_ms", queueTimeoutMs);
    Checks.nonNegative("debounce_ms", debounceMs);
    Checks.positive("max_queued_total", maxQueuedTotal);
    if (maxConcurrentPerSession > maxConcurrentTotal) {
      throw new IllegalArgumentException("max_concurrent_per_session (" + maxConcurrentPerSession
          + ") must not exceed max_concurrent_total (" + maxConcurrentTotal + ")");
    }
  }

  public static final int DEFAULT_MAX_QUEUED_TOTAL = 10_000;

  /** Every key but {@code max_queued_total}, which takes its default. */
  public ConcurrencyConfig(int maxConcurrentPerSession, int maxConcurrentTotal, int maxQueuePerSession,
      long queueTimeoutMs, OverflowAction overflowAction, String busyMessage, QueueMode queueMode, long debounceMs) {
    this(maxConcurrentPerSession, maxConcurrentTotal, maxQueuePerSession, queueTimeoutMs, overflowAction,
        busyMessage, queueMode, debounceMs, DEFAULT_MAX_QUEUED_TOTAL);
  }

  public static ConcurrencyConfig defaults() {
    return new ConcurrencyConfig(1, 50, 100, 30_000, OverflowAction.RETURN_BUSY_MESSAGE,
        "I'm still working on your previous messages. Please try again in a moment.", QueueMode.FOLLOWUP, 0);
  }

  public ConcurrencyConfig withMaxQueuedTotal(int n) {
    return new ConcurrencyConfig(maxConcurrentPerSession, maxConcurrentTotal, maxQueuePerSession, queueTimeoutMs,
        overflowAction, busyMessage, queueMode, debounceMs, n);
  }
}
