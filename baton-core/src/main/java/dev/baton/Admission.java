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
   * A bound was reached and the message was not taken; the sender may retry it later (its dedup key is not
   * kept), and {@code reply} is the text to answer with (429 on the HTTP API). The bounds: the session's queue
   * with {@code overflow_action: return_busy_message}, and the store's dedup records per channel and per sender
   * ({@code dedup.max_entries}, {@code dedup.max_entries_per_sender}), {@code agent.concurrency.max_queued_total}
   * and {@code sessions.max_live_per_user}.
   *
   * @param replyQueued true when the engine itself committed {@code reply} to the session's outbox and will hand
   *     it to the {@code ReplyHandler} (the session-queue case): a channel must not send it again. False for the
   *     P11 refusals, which store nothing: the caller answers the sender (429 on the HTTP API; a platform
   *     webhook is answered 503 so the platform delivers the message again later).
   */
  record Busy(DedupKey key, String reply, boolean replyQueued) implements Admission {

    /** A refusal whose reply the caller must pass on itself ({@code replyQueued} false). */
    public Busy(DedupKey key, String reply) {
      this(key, reply, false);
    }
  }

  /** Not taken, with a reason (overflow {@code reject}/{@code drop}, late arrival dropped, engine closed). */
  record Rejected(DedupKey key, String reason) implements Admission {}
}
