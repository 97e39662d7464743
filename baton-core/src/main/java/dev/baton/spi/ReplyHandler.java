package dev.baton.spi;

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

}
