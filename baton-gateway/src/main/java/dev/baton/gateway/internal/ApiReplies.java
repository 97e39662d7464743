package dev.baton.gateway.internal;

import dev.baton.Reply;
import java.time.Duration;

/**
 * Where {@code GET /v1/replies} reads a user's replies: the node's own {@link ReplyInbox} (one node), or the
 * store's outbox ({@link ClusterReplies}, cluster mode, where a reply may be produced on any node).
 *
 * <p><b>Concurrency.</b> Thread-safe. {@link #append} never blocks; {@link #poll} blocks the calling
 * (virtual) thread for at most {@code wait}, measured by the injected {@code Scheduler} (P4).
 */
public interface ApiReplies {

  /** A reply of the HTTP message API produced on this node, for {@code user}. Never blocks. */
  void append(String user, Reply reply);

  /**
   * Acknowledges every reply of {@code user} up to {@code cursor} (marks it delivered in the store) and returns
   * the ones after it, at most {@link ReplyInbox#MAX_PAGE}, waiting up to {@code wait} for one to arrive.
   *
   * @param chat the {@code chat} of the user's messages ("" = none), which selects the session in cluster mode
   *     when {@code sessions.id_source} involves the chat; one node serves all of a user's chats at once
   * @throws HttpError 400 if the cursor is malformed
   */
  ReplyInbox.Page poll(String user, String chat, String cursor, Duration wait);

  /** Wakes every waiting poll so that it answers now; later polls do not wait. */
  void close();
}
