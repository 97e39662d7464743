package dev.baton.internal.engine;

import dev.baton.Reply;
import dev.baton.spi.ReplyHandler;

/**
 * The handler behind {@link ReplyHandler#discard()}. The engine recognises it and marks each reply delivered
 * right after handing it over, so a store's outbox does not grow without bound when nobody delivers.
 */
public final class DiscardReplies implements ReplyHandler {

  public static final DiscardReplies INSTANCE = new DiscardReplies();

  private DiscardReplies() {}

  @Override
  public void onReply(Reply reply) {}
}
