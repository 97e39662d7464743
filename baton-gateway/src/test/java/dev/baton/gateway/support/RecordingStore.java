package dev.baton.gateway.support;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionData;
import dev.baton.spi.Store;
import dev.baton.spi.StoreStats;
import dev.baton.spi.TurnCommit;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what the gateway asks of the store (markDelivered, stats, ping); the engine's part is not used. */
public final class RecordingStore implements Store {

  public record Delivered(SessionKey session, long outboxSeq) {}

  public final List<Delivered> delivered = new CopyOnWriteArrayList<>();
  public volatile boolean up = true;

  @Override
  public void markDelivered(SessionKey session, long outboxSeq) {
    delivered.add(new Delivered(session, outboxSeq));
  }

  @Override
  public StoreStats stats() {
    return new StoreStats(7, 1, 2, 3);
  }

  @Override
  public boolean ping() {
    return up;
  }

  @Override
  public IngestResult ingest(JournalEntry entry) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void release(DedupKey key) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void updateStatus(List<DedupKey> keys, MessageStatus status) {
    throw new UnsupportedOperationException();
  }

  @Override
  public SessionData loadSession(SessionKey session) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<Reply> commitTurn(TurnCommit commit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<Reply> undeliveredReplies() {
    return List.of();
  }

  /** Stream anchors, kept as a map (no bound: tests put few). */
  public final Map<String, String> anchors = new ConcurrentHashMap<>();

  @Override
  public void putAnchor(SessionKey session, String streamId, String anchor) {
    anchors.put(session.value() + "\n" + streamId, anchor);
  }

  @Override
  public Optional<String> anchor(SessionKey session, String streamId) {
    return Optional.ofNullable(anchors.get(session.value() + "\n" + streamId));
  }

  @Override
  public void removeAnchor(SessionKey session, String streamId) {
    anchors.remove(session.value() + "\n" + streamId);
  }

  @Override
  public List<JournalEntry> unfinished() {
    return List.of();
  }

  @Override
  public IdempotencyRecords idempotency() {
    throw new UnsupportedOperationException();
  }

  @Override
  public long prune(Instant dedupBefore, Instant now) {
    return 0;
  }

  @Override
  public void close() {}
}
