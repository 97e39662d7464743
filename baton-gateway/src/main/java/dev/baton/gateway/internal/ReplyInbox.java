package dev.baton.gateway.internal;

import dev.baton.Reply;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the replies of the HTTP message API, kept per authenticated user until the client acknowledges
 * them by polling with a later cursor (then they are marked delivered in the store, so unacknowledged
 * replies come back after a restart). A cursor is "<boot>.<n>": n numbers the replies of this process
 * (one counter for all users); a cursor of another boot means "from the start". A user's box is retired
 * and unmapped when it holds nothing and nobody waits, so idle users cost no memory.
 * Concurrency: one ReentrantLock per user guards that user's deque, waiters and retired flag (never held
 * while blocking or calling the store); whoever meets a retired box takes the user's new one. Long-poll waiters block a virtual thread on a CompletableFuture that is completed
 * by an append, by the Scheduler at the deadline (P4), or by close().
 * Failure: a full buffer (channels.api.reply_buffer) drops the user's oldest reply (metric
 * baton_gateway_api_replies_dropped_total) and marks it delivered in the store (P11): a client that never
 * polls keeps at most reply_buffer replies in memory and in the outbox, across restarts too.
 */
final class ReplyInbox implements ApiReplies {

  public record Entry(long n, Reply reply) {}

  /** A page of replies and the cursor after it. */
  public record Page(List<Entry> entries, String next) {
    /** The cursor that stands right after {@code e} (the SSE {@code id:} of {@code GET /v1/events}). */
    public String cursorOf(Entry e) {
      return next.substring(0, next.lastIndexOf('.') + 1) + e.n();
    }
  }

  private static final CompletableFuture<Void> NEVER = new CompletableFuture<>();

  private final String boot = HexFormat.of().formatHex(randomBytes());
  private final ConcurrentHashMap<String, UserBox> boxes = new ConcurrentHashMap<>();
  /** Numbers every reply of this process; cursors stay valid when a user's box is retired and made anew. */
  private final AtomicLong counter = new AtomicLong();
  private final Store store;
  private final Scheduler scheduler;
  private final int capacity;
  private final Counter dropped;
  private volatile boolean closed;

  public ReplyInbox(Store store, Scheduler scheduler, int capacity, MeterRegistry meters) {
    this.store = store;
    this.scheduler = scheduler;
    this.capacity = capacity;
    this.dropped = meters.counter("baton.gateway.api.replies.dropped");
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    new SecureRandom().nextBytes(b);
    return b;
  }

  /** Adds a reply for {@code user}; blocks only to mark a dropped reply delivered in the store (full buffer). */
  @Override
  public void append(String user, Reply reply) {
    UserBox box = boxes.computeIfAbsent(user, u -> new UserBox());
    List<CompletableFuture<Void>> wake;
    Reply drop = null;
    box.lock.lock();
    try {
      while (box.retired) {
        box.lock.unlock();
        box = boxes.computeIfAbsent(user, u -> new UserBox());
        box.lock.lock();
      }
      box.entries.addLast(new Entry(counter.incrementAndGet(), reply));
      if (box.entries.size() > capacity) {
        drop = box.entries.removeFirst().reply();
        dropped.increment();
      }
      wake = box.takeWaiters();
    } finally {
      box.lock.unlock();
    }
    wake.forEach(f -> f.complete(null));
    // P11: the user's outbox is bounded too, not just this box: a dropped reply is not offered again after a
    // restart. A store write, outside the lock (on the session's commit lane: the engine's ReplyHandler call).
    if (drop != null) store.markDelivered(drop.session(), drop.outboxSeq());
  }

  /** One node keeps all of a user's replies in one box, whatever their chat: {@code chat} is not needed. */
  @Override
  public Page poll(String user, String chat, String cursor, Duration wait) {
    return poll(user, cursor, wait);
  }

  /**
   * Acknowledges every reply up to {@code cursor} and returns the ones after it, waiting up to
   * {@code wait} (measured by the Scheduler) for one to arrive. Blocks the calling (virtual) thread.
   *
   * @throws HttpError 400 if the cursor is malformed
   */
  public Page poll(String user, String cursor, Duration wait) {
    return poll(user, cursor, wait, true, NEVER);
  }

  @Override
  public Page poll(String user, String chat, String cursor, Duration wait, boolean acknowledge,
      CompletableFuture<?> abort) {
    return poll(user, cursor, wait, acknowledge, abort);
  }

  private Page poll(String user, String cursor, Duration wait, boolean acknowledge, CompletableFuture<?> abort) {
    long after = parseCursor(cursor);
    UserBox box = boxes.computeIfAbsent(user, u -> new UserBox());
    if (acknowledge) acknowledge(box, after);
    CompletableFuture<Boolean> deadline = new CompletableFuture<>();
    Scheduler.Cancellable timer = wait.isZero() ? null : scheduler.schedule(wait, () -> deadline.complete(true));
    try {
      while (true) {
        CompletableFuture<Void> woken;
        box.lock.lock();
        try {
          if (box.retired) {
            box.lock.unlock();
            box = boxes.computeIfAbsent(user, u -> new UserBox());
            box.lock.lock();
            continue; // (the finally block unlocks the new box)
          }
          List<Entry> out = new ArrayList<>();
          for (Entry e : box.entries) {
            if (e.n() > after) out.add(e);
            if (out.size() == MAX_PAGE) break;
          }
          if (!out.isEmpty() || timer == null || deadline.isDone() || closed || abort.isDone()) {
            if (box.entries.isEmpty() && box.waiters.isEmpty()) { // nothing kept: forget the user
              box.retired = true;
              boxes.remove(user, box);
            }
            return new Page(out, boot + "." + (out.isEmpty() ? after : out.getLast().n()));
          }
          woken = new CompletableFuture<>();
          box.waiters.add(woken);
        } finally {
          box.lock.unlock();
        }
        CompletableFuture.anyOf(woken, deadline, abort).join();
        box.lock.lock();
        try {
          box.waiters.remove(woken);
        } finally {
          box.lock.unlock();
        }
      }
    } finally {
      if (timer != null) timer.cancel();
    }
  }

  static final int MAX_PAGE = 100;

  /** Users with a box (replies kept or a poll waiting). */
  int users() {
    return boxes.size();
  }

  private void acknowledge(UserBox box, long after) {
    List<Reply> acked = new ArrayList<>();
    box.lock.lock();
    try {
      while (!box.entries.isEmpty() && box.entries.peekFirst().n() <= after) {
        acked.add(box.entries.removeFirst().reply());
      }
    } finally {
      box.lock.unlock();
    }
    for (Reply r : acked) store.markDelivered(r.session(), r.outboxSeq());
  }

  private long parseCursor(@Nullable String cursor) {
    return ApiReplies.parseCursor(cursor, boot);
  }


  /** Wakes every long-poll so that it answers now; later polls do not wait. */
  @Override
  public void close() {
    closed = true;
    for (UserBox box : boxes.values()) {
      List<CompletableFuture<Void>> wake;
      box.lock.lock();
      try {
        wake = box.takeWaiters();
      } finally {
        box.lock.unlock();
      }
      wake.forEach(f -> f.complete(null));
    }
  }

  private static final class UserBox {
    final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    final ArrayDeque<Entry> entries = new ArrayDeque<>();
    final List<CompletableFuture<Void>> waiters = new ArrayList<>();
    boolean retired;

    List<CompletableFuture<Void>> takeWaiters() {
      List<CompletableFuture<Void>> w = List.copyOf(waiters);
      waiters.clear();
      return w;
    }
  }
}
