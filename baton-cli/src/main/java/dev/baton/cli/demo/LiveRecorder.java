package dev.baton.cli.demo;

import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.spi.ReplyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the live scenario's view of what the engine hands its reply handler (P10), kept apart from the
 * engine's own bookkeeping. For every stream it keeps the text its deltas build (and whether each delta's offset
 * is the length before it); on each reply it compares that text with the reply's text ("the deltas of each reply
 * build exactly its final text"), then hands the reply and the event on (to the gateway's router on the platform
 * leg). Users wait here for the first delta of their turn, for the reply that covers a message, and for the
 * moment the agent's tool holds its lock.
 *
 * Concurrency: thread-safe. onLive runs on turn threads (several at once for different sessions, in order for
 * one stream), onReply on the engine's delivery threads; a stream's log is guarded by its own monitor, replies
 * are a synchronized list, the waiters are CompletableFutures in ConcurrentHashMaps (completed, never blocked on).
 */
final class LiveRecorder implements ReplyHandler {

  /** A stream as its deltas showed it. */
  private static final class StreamLog {
    final StringBuilder text = new StringBuilder();
    @Nullable String offsetError;
  }

  private final @Nullable ReplyHandler next;
  private final Tally stream;
  private final Map<String, StreamLog> streams = new ConcurrentHashMap<>();
  private final List<Reply> replies = new ArrayList<>();
  private final Map<String, CompletableFuture<Long>> firstDelta = new ConcurrentHashMap<>();
  /** A reply and when (System.nanoTime) the handler got it. */
  record Seen(Reply reply, long nanos) {}

  private final Map<String, CompletableFuture<Seen>> covering = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Long>> holding = new ConcurrentHashMap<>();
  private final AtomicLong deltas = new AtomicLong();
  private final AtomicLong streamed = new AtomicLong();

  /**
   * @param stream the tally of "deltas build the final text"
   * @param next where replies and events go on to (the gateway's router), or null
   */
  LiveRecorder(Tally stream, @Nullable ReplyHandler next) {
    this.stream = stream;
    this.next = next;
  }

  @Override
  public void onLive(LiveEvent event) {
    if (event instanceof LiveEvent.Delta d) {
      deltas.incrementAndGet();
      StreamLog s = streams.computeIfAbsent(d.streamId(), k -> new StreamLog());
      synchronized (s) {
        if (s.offsetError == null && d.offset() != s.text.length()) {
          s.offsetError = "delta at offset " + d.offset() + " after " + s.text.length() + " chars";
        }
        s.text.append(d.text());
      }
      future(firstDelta, d.inReplyTo()).complete(System.nanoTime());
    }
    if (next != null) next.onLive(event);
  }

  @Override
  public void onReply(Reply r) {
    long at = System.nanoTime();
    if (!r.streamId().isEmpty()) check(r);
    synchronized (replies) {
      replies.add(r);
    }
    for (String id : r.covers()) future(covering, id).complete(new Seen(r, at));
    if (next != null) next.onReply(r);
  }

  private void check(Reply r) {
    StreamLog s = streams.get(r.streamId());
    String built = "";
    String offsetError = null;
    if (s != null) {
      synchronized (s) {
        built = s.text.toString();
        offsetError = s.offsetError;
      }
    }
    // A cancelled turn that streamed nothing is answered with a notice: no deltas to compare.
    if (r.kind() == Reply.Kind.CANCELLED && built.isEmpty()) return;
    streamed.incrementAndGet();
    stream.check(offsetError == null && built.equals(r.text()), "stream " + r.streamId() + " of " + r.session()
        + ": " + (offsetError != null ? offsetError : "its deltas built '" + clip(built) + "', its " + r.kind()
            + " reply says '" + clip(r.text()) + "'"));
  }

  private static String clip(String s) {
    return s.length() <= 80 ? s : s.substring(0, 40) + "..." + s.substring(s.length() - 30);
  }

  private static <T> CompletableFuture<T> future(Map<String, CompletableFuture<T>> m, String id) {
    return m.computeIfAbsent(id, k -> new CompletableFuture<>());
  }

  /** Completes (with System.nanoTime) at the first delta of a turn whose last message so far is {@code id}. */
  CompletableFuture<Long> firstDelta(String id) {
    return future(firstDelta, id);
  }

  /** Completes with the first reply whose covers name {@code id}. */
  CompletableFuture<Seen> reply(String id) {
    return future(covering, id);
  }

  /** Completes when the tool call of the turn of {@code id} holds its lock. */
  CompletableFuture<Long> holding(String id) {
    return future(holding, id);
  }

  /** Called by the hold tool once it holds its lock. */
  void held(String id) {
    future(holding, id).complete(System.nanoTime());
  }

  List<Reply> replies() {
    synchronized (replies) {
      return List.copyOf(replies);
    }
  }

  long deltas() {
    return deltas.get();
  }

  /** Replies whose stream was compared with their deltas. */
  long streamedReplies() {
    return streamed.get();
  }
}
