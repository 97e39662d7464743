package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.LiveEvent;
import dev.baton.spi.Scheduler;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview: one open GET /v1/events connection. Two virtual threads serve it: the request's own thread is the
 * writer (the only one that touches the socket), and a poller thread runs the long-poll loop on the user's
 * replies (ApiReplies, without acknowledging: the client acknowledges with Last-Event-ID when it reconnects).
 * The engine's threads hand live events to offer(), which only queues them (LiveQueue, merging the deltas of
 * one stream) and signals the writer. The writer waits for a live event, a page of replies from the poller, a
 * heartbeat or the end; it writes the pending live events before the replies of a page, so a delta handed
 * over before its reply was appended (the engine hands all deltas of a turn to onLive before onReply) is
 * written before that reply. The poller waits until the writer has taken its page before it polls on after
 * it, so at most one page (ReplyInbox.MAX_PAGE replies) waits per connection.
 * Heartbeat: a Scheduler timer fires event_heartbeat_ms after the last write; if nothing was written since, the
 * writer writes the comment ": ping", else the timer is set again for event_heartbeat_ms after that write.
 * Concurrency: `lock` (a ReentrantLock: virtual threads stay unpinned) guards the queue, the page hand-over and
 * the flags; it is never held while writing to the socket, polling or scheduling, so offer() never waits for a
 * client (P10: the engine's thread is never blocked by a slow reader).
 * Failure: a write that fails (the client went away), the gateway's stop (close()), an overflow of the live
 * queue or an error of the reply source ends the stream: the writer returns, the poller's poll is aborted
 * (the `ended` future), the timer is cancelled and the hub forgets the connection.
 */
final class EventStream {

  private static final Logger log = LoggerFactory.getLogger(EventStream.class);
  /** Most distinct pending live events (streams with merged text, statuses) of one connection (P11). */
  static final int MAX_PENDING = 256;
  static final Duration POLL_WAIT = Duration.ofMillis(MessageApi.MAX_WAIT_MS);

  private final String user;
  private final String chat;
  private final ApiReplies replies;
  private final Scheduler scheduler;
  private final long heartbeatNanos;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private final LiveQueue live = new LiveQueue(MAX_PENDING);
  private ReplyInbox.@Nullable Page page;
  private boolean pingDue;
  private boolean closed;
  private long lastWrite;
  private Scheduler.@Nullable Cancellable timer;

  EventStream(String user, String chat, ApiReplies replies, Scheduler scheduler, Duration heartbeat) {
    this.user = user;
    this.chat = chat;
    this.replies = replies;
    this.scheduler = scheduler;
    this.heartbeatNanos = heartbeat.toNanos();
  }

  /** A live event for this connection's user: queued (merged) for the writer. Never blocks on the client. */
  void offer(LiveEvent event) {
    lock.lock();
    try {
      if (closed) return;
      live.offer(event);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Ends the stream (the gateway stops). */
  void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    ended.complete(null);
  }

  /**
   * Serves the connection on the calling (request) thread until it ends: writes {@code first} (the replies after
   * the client's Last-Event-ID), then live events and replies as they come.
   */
  void run(OutputStream out, ReplyInbox.Page first) {
    lock.lock();
    try {
      if (!first.entries().isEmpty()) page = first;
      lastWrite = scheduler.nanoTime();
    } finally {
      lock.unlock();
    }
    try {
      write(out, ": connected\n\n");
      arm(scheduler.nanoTime() + heartbeatNanos);
      String cursor = first.next();
      // Ends by itself once `ended` completes (its poll is aborted then).
      Thread.ofVirtual().name("baton-events-poll").start(() -> pollLoop(cursor));
      writeLoop(out);
    } catch (IOException | UncheckedIOException e) {
      log.debug("event stream ended: the client went away");
    } finally {
      close();
      Scheduler.Cancellable t;
      lock.lock();
      try {
        t = timer;
        timer = null;
      } finally {
        lock.unlock();
      }
      if (t != null) t.cancel();
    }
  }

  private void writeLoop(OutputStream out) throws IOException {
    while (true) {
      List<LiveQueue.Item> items;
      ReplyInbox.Page p;
      boolean ping;
      boolean last;
      lock.lock();
      try {
        while (!closed && live.isEmpty() && page == null && !pingDue && !live.overflowed()) {
          changed.awaitUninterruptibly();
        }
        if (closed) return;
        items = live.drain();
        p = page;
        ping = pingDue;
        pingDue = false;
        last = live.overflowed();
      } finally {
        lock.unlock();
      }
      StringBuilder b = new StringBuilder();
      for (LiveQueue.Item item : items) frame(b, item);
      if (p != null) {
        for (ReplyInbox.Entry e : p.entries()) {
          b.append("id: ").append(p.cursorOf(e)).append("\nevent: reply\ndata: ");
          b.append(new String(JsonFields.bytes(MessageApi.replyJson(e.reply())), StandardCharsets.UTF_8));
          b.append("\n\n");
        }
      }
      if (b.isEmpty() && ping) b.append(": ping\n\n");
      if (!b.isEmpty()) write(out, b.toString());
      lock.lock();
      try {
        if (p != null) {
          page = null; // taken and written: the poller may read on after it
          changed.signalAll();
        }
      } finally {
        lock.unlock();
      }
      if (last) {
        log.debug("event stream ended: the client is too slow for its live events");
        return;
      }
    }
  }

  /** Writes and flushes; the write counts for the heartbeat from when it starts (before the client can read it). */
  private void write(OutputStream out, String text) throws IOException {
    long now = scheduler.nanoTime();
    lock.lock();
    try {
      lastWrite = now;
    } finally {
      lock.unlock();
    }
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  static void frame(StringBuilder b, LiveQueue.Item item) {
    ObjectNode o = JsonFields.newObject();
    String event = switch (item) {
      case LiveQueue.Delta d -> {
        o.put("reply_id", d.replyId).put("in_reply_to", d.inReplyTo).put("offset", d.offset)
            .put("text", d.text.toString());
        yield "delta";
      }
      case LiveQueue.Status s -> {
        o.put("in_reply_to", s.inReplyTo()).put("state", s.state().name().toLowerCase(Locale.ROOT));
        yield "status";
      }
    };
    // Jackson escapes line breaks inside strings, so the JSON is one `data:` line.
    b.append("event: ").append(event).append("\ndata: ")
        .append(new String(JsonFields.bytes(o), StandardCharsets.UTF_8)).append("\n\n");
  }

  /** The long-poll loop: hands each non-empty page to the writer and waits until it is taken. */
  private void pollLoop(String from) {
    String cursor = from;
    try {
      while (!ended.isDone()) {
        ReplyInbox.Page p = replies.poll(user, chat, cursor, POLL_WAIT, false, ended);
        if (p.entries().isEmpty()) continue;
        lock.lock();
        try {
          if (closed) return;
          page = p;
          changed.signalAll();
          while (page != null && !closed) changed.awaitUninterruptibly();
        } finally {
          lock.unlock();
        }
        cursor = p.next();
      }
    } catch (RuntimeException e) {
      log.warn("event stream ended: reading replies failed: {}", e.getClass().getName());
      close();
    }
  }

  /** Sets the heartbeat timer for {@code at} (Scheduler nanos). */
  private void arm(long at) {
    Scheduler.Cancellable t = scheduler.scheduleAt(at, this::heartbeat);
    lock.lock();
    try {
      if (closed) {
        t.cancel();
      } else {
        timer = t;
      }
    } finally {
      lock.unlock();
    }
  }

  private void heartbeat() {
    long now = scheduler.nanoTime();
    long next;
    lock.lock();
    try {
      if (closed) return;
      if (now - lastWrite >= heartbeatNanos) {
        pingDue = true;
        changed.signalAll();
        next = now + heartbeatNanos;
      } else {
        next = lastWrite + heartbeatNanos;
      }
    } finally {
      lock.unlock();
    }
    arm(next);
  }

  /** Live events waiting to be written (for tests). */
  int pending() {
    lock.lock();
    try {
      return live.size();
    } finally {
      lock.unlock();
    }
  }
}
