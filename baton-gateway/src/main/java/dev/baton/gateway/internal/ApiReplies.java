package dev.baton.gateway.internal;

import dev.baton.Reply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Where {@code GET /v1/replies} reads a user's replies: the node's own {@link ReplyInbox} (one node), or the
 * store's outbox ({@link ClusterReplies}, cluster mode, where a reply may be produced on any node).
 *
 * <p><b>Concurrency.</b> Thread-safe. {@link #append} never blocks; {@link #poll} blocks the calling
 * (virtual) thread for at most {@code wait}, measured by the injected {@code Scheduler} (P4).
 */
interface ApiReplies {

  /**
   * A reply of the HTTP message API produced on this node, for {@code user}. Never waits for a client; may block
   * for one store write (a reply dropped from a full buffer is marked delivered, P11).
   */
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

  /**
   * For {@code GET /v1/events}: as {@link #poll}, but acknowledges only when {@code acknowledge} (an event
   * stream acknowledges once, with the client's {@code Last-Event-ID}, and then reads on without acknowledging
   * what it wrote: a client that did not receive it gets it again after reconnecting), and answers at once
   * (with what it has, possibly nothing) when {@code abort} completes.
   *
   * @throws HttpError 400 if the cursor is malformed
   */
  ReplyInbox.Page poll(String user, String chat, String cursor, Duration wait, boolean acknowledge,
      CompletableFuture<?> abort);

  /** Wakes every waiting poll so that it answers now; later polls do not wait. */
  void close();

  /**
   * The position in a cursor {@code <tag>.<n>}: n if the tag is {@code tag}, 0 for an empty cursor or another
   * tag (another boot, another session: read from the start).
   *
   * @throws HttpError 400 if the cursor is malformed
   */
  static long parseCursor(@Nullable String cursor, String tag) {
    if (cursor == null || cursor.isEmpty()) return 0;
    int dot = cursor.indexOf('.');
    if (dot <= 0 || dot == cursor.length() - 1) throw HttpError.badRequest("parameter 'after' is not a cursor");
    long n;
    try {
      n = Long.parseLong(cursor.substring(dot + 1));
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("parameter 'after' is not a cursor");
    }
    if (n < 0) throw HttpError.badRequest("parameter 'after' is not a cursor");
    return cursor.substring(0, dot).equals(tag) ? n : 0;
  }
}
