package dev.baton;

/**
 * The engine's answer to {@link Baton#submit}: what happened to one delivery of a message.
 * When {@code submit} returns {@link Accepted}, the message is durably journaled (as durable as the
 * configured store) and will be processed (P2).
 */
public sealed interface Admission {

  DedupKey key();

  /** First delivery: journaled and queued for its session. */
  record Accepted(DedupKey key, SessionKey session) implements Admission {}

  /** This dedup key was seen within the dedup window; nothing was done. */
  record Duplicate(DedupKey key) implements Admission {}

  /**
   * The session's queue is full and {@code overflow_action} is {@code return_busy_message}: the message was
   * not taken (its dedup key is released, so the sender may retry it later) and {@code reply} is the busy text.
   */
  record Busy(DedupKey key, String reply) implements Admission {}

  /** Not taken, with a reason (overflow {@code reject}/{@code drop}, late arrival dropped, engine closed). */
  record Rejected(DedupKey key, String reason) implements Admission {}
}
