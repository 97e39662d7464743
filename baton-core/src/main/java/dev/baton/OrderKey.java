package dev.baton;

/**
 * How a message is ordered within its session (promise P9).
 *
 * <ul>
 *   <li>{@link None}: no order key; messages are taken in arrival order.</li>
 *   <li>{@link Sequence}: a contiguous client sequence (0, 1, 2, ...) per session; a gap is held at most
 *       {@code ordering.gap_timeout_ms}, then skipped and reported.</li>
 *   <li>{@link Monotonic}: a monotonic but gappy key (platform ids such as Telegram's {@code update_id});
 *       arrivals are re-sorted inside {@code ordering.hold_ms}.</li>
 * </ul>
 */
public sealed interface OrderKey {

  /** No order key: arrival order. */
  record None() implements OrderKey {}

  /** Contiguous client sequence number, {@code >= 0}. */
  record Sequence(long seq) implements OrderKey {
    public Sequence {
      if (seq < 0) throw new IllegalArgumentException("seq must be >= 0, was " + seq);
    }
  }

  /** Monotonic, possibly gappy key. */
  record Monotonic(long key) implements OrderKey {}

  OrderKey NONE = new None();

  static OrderKey none() { return NONE; }

  static OrderKey sequence(long seq) { return new Sequence(seq); }

  static OrderKey monotonic(long key) { return new Monotonic(key); }
}
