package dev.baton.spi;

import dev.baton.Reply;

/**
 * Receives committed replies for delivery (DESIGN §1 step 8). The engine calls {@link #onReply} for each
 * session's replies in {@code outboxSeq} order, never concurrently for one session; calls for different
 * sessions may be concurrent. The handler delivers (possibly later, with retries) and then calls
 * {@link Store#markDelivered}; replies not marked delivered are offered again after a restart.
 */
@FunctionalInterface
public interface ReplyHandler {

  void onReply(Reply reply);

  /**
   * Discards replies. The engine marks each discarded reply {@linkplain Store#markDelivered delivered}, so the
   * outbox does not grow without bound (the builder's default when no handler is given).
   */
  static ReplyHandler discard() {
    return dev.baton.internal.engine.DiscardReplies.INSTANCE;
  }
}
