package dev.baton.gateway.internal;

import dev.baton.IdSource;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/*
 * Overview: GET /v1/replies in cluster mode. A session's turns run on the node holding its lease, and its
 * replies reach THAT node's ReplyRouter, so no node's memory holds all of a user's replies; the store's outbox
 * does. A poll reads the outbox of the user's session (Store.undeliveredReplies(session), derived from the
 * token's sub and the `chat` parameter exactly as a POST derives it), keeps the replies routed to this user,
 * acknowledges (Store.markDelivered) those up to the cursor and returns the ones after it.
 * Cursor: "<tag>.<outboxSeq>", tag = the first 12 hex digits of SHA-256(user, session); every node computes
 * the same tag, so a cursor is valid on every node. A well-formed cursor with another tag (another session,
 * another user, a single-node cursor) means "from the start" and acknowledges nothing, as a cursor of another
 * boot does on one node.
 * Waiting: a poll with nothing to return waits for (a) a reply of its session handed to this node's router
 * (append wakes the session's waiters; nothing is kept), (b) a store re-check every cluster.poll_interval_ms
 * on the Scheduler, (c) the wait_ms deadline on the Scheduler (P4), or (d) close(). So a waiting client costs
 * one store read per interval plus one per reply of its session produced here, and this node keeps memory
 * only for clients waiting on it right now (a map entry per waiting session, removed when they return).
 * Concurrency: `waiters` sets are created, changed and emptied only inside ConcurrentHashMap.compute/remove
 * (nothing blocks there); a woken poll registers a fresh future before its next store read, so a reply
 * committed after that read wakes it, and one committed before it is seen by it (a turn commits before the
 * engine hands its replies to the router).
 * Failure: a store error propagates (503 unavailable); nothing is acknowledged past what markDelivered
 * completed, and the client retries with the same cursor.
 */
final class ClusterReplies implements ApiReplies {

  private final Store store;
  private final Scheduler scheduler;
  private final IdSource idSource;
  private final Duration pollInterval;
  private final Counter reads;
  private final ConcurrentHashMap<SessionKey, Set<CompletableFuture<Void>>> waiters = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  public ClusterReplies(Store store, Scheduler scheduler, IdSource idSource, Duration pollInterval,
      MeterRegistry meters) {
    this.store = store;
    this.scheduler = scheduler;
    this.idSource = idSource;
    this.pollInterval = pollInterval;
    this.reads = meters.counter("baton.gateway.api.replies.store.reads");
  }

  /** The reply is already in the store's outbox: only wake the polls of its session waiting here. */
  @Override
  public void append(String user, Reply reply) {
    Set<CompletableFuture<Void>> woken = waiters.remove(reply.session());
    if (woken != null) woken.forEach(f -> f.complete(null));
  }

  private static final CompletableFuture<Void> NEVER = new CompletableFuture<>();

  @Override
  public ReplyInbox.Page poll(String user, String chat, String cursor, Duration wait) {
    return poll(user, chat, cursor, wait, true, NEVER);
  }

  @Override
  public ReplyInbox.Page poll(String user, String chat, String cursor, Duration wait, boolean acknowledge,
      CompletableFuture<?> abort) {
    SessionKey session = ApiMessageParser.sessionOf(user, chat, idSource);
    String tag = tag(user, session);
    long after = parseCursor(cursor, tag);
    CompletableFuture<Void> deadline = new CompletableFuture<>();
    Scheduler.Cancellable timer = wait.isZero() ? null : scheduler.schedule(wait, () -> deadline.complete(null));
    try {
      boolean first = true;
      while (true) {
        boolean waiting = timer != null && !deadline.isDone() && !closed.isDone() && !abort.isDone();
        CompletableFuture<Void> woken = new CompletableFuture<>();
        if (waiting) register(session, woken);
        try {
          List<ReplyInbox.Entry> out = read(user, session, after, first && acknowledge);
          first = false;
          if (!out.isEmpty() || !waiting) return page(out, tag, after);
          Scheduler.Cancellable tick = scheduler.schedule(pollInterval, () -> woken.complete(null));
          CompletableFuture.anyOf(woken, deadline, closed, abort).join();
          tick.cancel();
        } finally {
          unregister(session, woken);
        }
        if (!woken.isDone()) return page(List.of(), tag, after); // deadline or close, nothing new to read
      }
    } finally {
      if (timer != null) timer.cancel();
    }
  }

  /** One store read: acknowledges (on the first read of a poll) and returns the user's replies after the cursor. */
  private List<ReplyInbox.Entry> read(String user, SessionKey session, long after, boolean acknowledge) {
    reads.increment();
    List<ReplyInbox.Entry> out = new ArrayList<>();
    for (Reply r : store.undeliveredReplies(session)) {
      if (!r.channel().equals(ApiMessageParser.CHANNEL)
          || !r.routing().getOrDefault(ApiMessageParser.ROUTE_USER, r.chat()).equals(user)) {
        continue; // another user's reply in a shared chat session: theirs to read and acknowledge
      }
      if (r.outboxSeq() <= after) {
        if (acknowledge) store.markDelivered(session, r.outboxSeq());
      } else if (out.size() < ReplyInbox.MAX_PAGE) {
        out.add(new ReplyInbox.Entry(r.outboxSeq(), r));
      }
    }
    return out;
  }

  private static ReplyInbox.Page page(List<ReplyInbox.Entry> out, String tag, long after) {
    return new ReplyInbox.Page(out, tag + "." + (out.isEmpty() ? after : out.getLast().n()));
  }

  private void register(SessionKey session, CompletableFuture<Void> f) {
    waiters.compute(session, (k, set) -> {
      Set<CompletableFuture<Void>> s = set == null ? Collections.newSetFromMap(new IdentityHashMap<>()) : set;
      s.add(f);
      return s;
    });
  }

  @SuppressWarnings("CollectionUndefinedEquality") // an identity set: each waiter is its own future
  private void unregister(SessionKey session, CompletableFuture<Void> f) {
    waiters.computeIfPresent(session, (k, set) -> {
      set.remove(f);
      return set.isEmpty() ? null : set;
    });
  }

  /** Sessions with a poll waiting on this node (the only per-user memory cluster mode keeps). */
  public int waitingSessions() {
    return waiters.size();
  }

  static String tag(String user, SessionKey session) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(user.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(session.value().getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(sha.digest(), 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** The outbox position the cursor stands at; 0 for none or another session's cursor. */
  static long parseCursor(String cursor, String tag) {
    return ApiReplies.parseCursor(cursor, tag);
  }


  @Override
  public void close() {
    closed.complete(null);
  }
}
