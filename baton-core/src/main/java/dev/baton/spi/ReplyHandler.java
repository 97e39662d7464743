package dev.baton.spi;

import dev.baton.LiveEvent;
import dev.baton.Reply;

/**
 * Receives committed replies for delivery (DESIGN §1 step 8). The engine calls {@link #onReply} for each
 * session's replies in {@code outboxSeq} order, never concurrently for one session; calls for different
 * sessions may be concurrent. The handler delivers (possibly later, with retries) and then calls
 * {@link Store#markDelivered}; replies not marked delivered are offered again after a restart. The engine
 * itself never marks a reply it handed to a handler (whatever the handler wraps); with no handler at all
 * ({@code Baton.Builder.discardReplies()}, the default) it marks each reply delivered at once.
 */
@FunctionalInterface
public interface ReplyHandler {

  void onReply(Reply reply);

  /**
   * A running turn's partial text or state change (P10), to be shown now; never journaled. Called on the thread
   * that produced it (the turn's, or one it started, for a {@link LiveEvent.Delta}; the engine's for a
   * {@link LiveEvent.Status}), possibly concurrently for one session, but for each session in an order that
   * matches the turn's: an event happens-before the next event of its stream and before {@link #onReply} for the
   * reply of its turn. Must not block (merge partial text when the user or platform is slow) and must not throw.
   * The default ignores it (the final reply alone is delivered).
   */
  default void onLive(LiveEvent event) {}

}
