package dev.baton.spi;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import java.time.Instant;
import java.util.List;
import java.util.Comparator;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where Baton keeps what must outlive a turn: the message journal (which is also the dedup record), session
 * state and transcripts, the reply outbox and tool idempotency records. Implementations: {@code memory}
 * (core), {@code sqlite} and {@code postgres} ({@code baton-jdbc}). One contract test suite runs against
 * all of them.
 *
 * <p><b>Concurrency.</b> Every method is thread-safe and may block (callers are virtual threads). Each method
 * is atomic: it happens entirely or not at all. {@link #ingest} and {@link #commitTurn} are durable when they
 * return (as durable as the backend: not at all for {@code memory}); implementations may batch concurrent
 * calls into one transaction (group commit) as long as each call returns only after its batch is durable.
 *
 * <p><b>Failure.</b> An I/O failure is a {@link StoreException}; the operation then did not happen.
 */
public interface Store extends AutoCloseable {

  /**
   * Dedup and journal in one atomic step (DESIGN §1 step 3): inserts {@code entry} keyed by its dedup key,
   * or finds an entry with that key already there. Of any number of concurrent calls with one key exactly one
   * returns {@link IngestResult.Inserted}.
   */
  IngestResult ingest(JournalEntry entry);

  /**
   * Forgets a journaled message that was not taken (busy), so a later delivery of the same key is admitted.
   * Does nothing if the key is absent.
   */
  void release(DedupKey key);

  /** Moves journaled messages to {@code status}. Unknown keys are ignored. */
  void updateStatus(List<DedupKey> keys, MessageStatus status);

  /** The committed state, transcript and outbox position of a session (empty data for a new session). */
  SessionData loadSession(SessionKey session);

  /**
   * Commits one turn as one transaction: verifies {@link TurnCommit#expected()} against the committed state,
   * applies the writes, appends the transcript entries, appends the replies to the session's outbox
   * (assigning consecutive {@code outboxSeq}s) and moves the turn's messages to {@link TurnCommit#status()}.
   *
   * @return the replies as stored, with their {@code outboxSeq}
   * @throws ConflictException if an expected value no longer holds; nothing was written
   * @throws FencedException if {@link TurnCommit#fencingToken()} is not 0 and is not the session's current
   *     lease token ({@link SessionLeases}); nothing was written
   */
  List<Reply> commitTurn(TurnCommit commit);

  /**
   * Replies committed but not yet {@linkplain #markDelivered delivered}, per session in outbox order. Reads the
   * whole outbox into memory: for tests and the admin; recovery pages with {@link #undeliveredRepliesPage}.
   */
  List<Reply> undeliveredReplies();

  /**
   * One page of the outbox (P11: recovery's memory is one page, whatever the backlog): at most {@code limit}
   * undelivered replies after {@code after} (exclusive; null = from the start) in the store's order of
   * (session, outboxSeq). Paging with the last reply of each page as the next {@code after} visits every reply
   * that was undelivered at the first call and is still undelivered when its page is read, once; replies
   * marked delivered meanwhile do not disturb the walk. The order of sessions is the store's own (SQL collation
   * for the JDBC stores) and is stable between calls.
   *
   * <p>The default filters {@link #undeliveredReplies()}, which reads everything: override it.
   */
  default List<Reply> undeliveredRepliesPage(@Nullable Reply after, int limit) {
    Comparator<Reply> order = Comparator.comparing((Reply r) -> r.session().value())
        .thenComparingLong(Reply::outboxSeq);
    return undeliveredReplies().stream().filter(r -> after == null || order.compare(r, after) > 0).sorted(order)
        .limit(limit).toList();
  }

  /** The undelivered replies of one session, in outbox order. */
  default List<Reply> undeliveredReplies(SessionKey session) {
    return undeliveredReplies().stream().filter(r -> r.session().equals(session)).toList();
  }

  /** Records that a reply reached its channel; it will not be offered again. */
  void markDelivered(SessionKey session, long outboxSeq);

  /**
   * P10: remembers the platform message that the preview of stream {@code streamId} created (its {@code anchor}:
   * a channel's own encoding, such as {@code "telegram:<chat>:<message_id>"}), so that a re-run of the turn after
   * a crash, and the delivery of the final reply, edit that message instead of sending a second one. Replaces an
   * earlier anchor of the stream. A session keeps at most {@link #MAX_ANCHORS_PER_SESSION} anchors (P11): a put
   * past the bound forgets, in the same atomic step, the session's anchor that was put (or replaced) longest
   * ago. Not part of a turn's commit: written when the platform answered; durable when it returns (as durable as
   * the backend). A put happens-before every {@link #anchor} that returns it.
   *
   * @throws IllegalArgumentException if {@code streamId} or {@code anchor} is empty or longer than
   *     {@link #MAX_ANCHOR_CHARS} (both come from client-influenced ids; the message names only the length)
   */
  void putAnchor(SessionKey session, String streamId, String anchor);

  /**
   * The anchor of {@code streamId} in {@code session}, if one was put and not removed or evicted (another
   * session's anchors are never visible).
   */
  Optional<String> anchor(SessionKey session, String streamId);

  /** Forgets the anchor of {@code streamId} (its final reply was delivered). No-op if there is none. */
  void removeAnchor(SessionKey session, String streamId);

  /** The most stream anchors one session keeps. */
  int MAX_ANCHORS_PER_SESSION = 16;

  /** The longest stream id or anchor {@link #putAnchor} accepts, in chars. */
  int MAX_ANCHOR_CHARS = 1024;

  /**
   * Journaled messages whose status is not terminal, in journal order. Reads them all into memory: for tests
   * and small stores; recovery pages with {@link #unfinishedPage}.
   */
  List<JournalEntry> unfinished();

  /**
   * One page of the unfinished journal for recovery (P11): at most {@code limit} entries after {@code after}
   * (exclusive; null = from the start) ordered by session (the store's order, stable between calls), then by
   * journal position, so one session's entries come together and a caller may hold just one session's
   * entries at a time. Paging with the last entry of a page as the next {@code after} visits every entry that
   * is unfinished at the first call and still unfinished when its page is read, once.
   *
   * <p>The default returns all of {@link #unfinished()} in the first page (positions are their index there,
   * ignoring {@code limit}) and nothing after it: a store that can page should override it.
   */
  default List<Journaled> unfinishedPage(@Nullable Journaled after, int limit) {
    if (after != null) return List.of();
    List<JournalEntry> all = unfinished();
    java.util.ArrayList<Journaled> out = new java.util.ArrayList<>(all.size());
    for (int i = 0; i < all.size(); i++) out.add(new Journaled(i + 1, all.get(i)));
    out.sort(Comparator.comparing((Journaled j) -> j.entry().session().value()).thenComparingLong(Journaled::seq));
    return out;
  }

  /** The unfinished journaled messages of one session, in journal order. */
  default List<JournalEntry> unfinished(SessionKey session) {
    return unfinished().stream().filter(e -> e.session().equals(session)).toList();
  }

  /** Tool-call results kept for idempotency (P6). */
  IdempotencyRecords idempotency();

  /**
   * Removes terminal journal entries (dedup records) received before {@code dedupBefore} and idempotency
   * records that expired before {@code now}. Must not stall concurrent ingest for long.
   *
   * @return how many records were removed
   */
  long prune(Instant dedupBefore, Instant now);

  /** Counts for metrics and the admin API. */
  StoreStats stats();

  /**
   * Session leases with fencing tokens, for stores that several nodes may share ({@code postgres}; also
   * offered by {@code sqlite}); empty for stores that serve one process only ({@code memory}).
   */
  default Optional<SessionLeases> leases() {
    return Optional.empty();
  }

  /**
   * The cluster-wide cap on running turns ({@code cluster.max_concurrent_total}), for stores that several nodes
   * share ({@code postgres}); empty otherwise.
   */
  default Optional<ClusterPermits> clusterPermits() {
    return Optional.empty();
  }

  /**
   * Tool resource locks that hold across the nodes of a cluster ({@code postgres}: advisory locks); empty for
   * stores that serve one process only.
   */
  default Optional<ClusterLocks> clusterLocks() {
    return Optional.empty();
  }

  /**
   * The cluster-wide share of a model provider's requests per minute, for stores that several nodes share
   * ({@code postgres}); empty otherwise.
   */
  default Optional<ProviderQuota> providerQuota() {
    return Optional.empty();
  }

  /** Whether the backend answers (for {@code /ready}). */
  default boolean ping() {
    return true;
  }

  @Override
  void close();
}
