package dev.baton.gateway.internal;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.gateway.support.RecordingStore;
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

/**
 * A {@link RecordingStore} that keeps stream anchors (P10) in a map, as the real stores do, and records every
 * putAnchor and removeAnchor: a second OutboundDelivery over it stands for Baton after a crash.
 */
final class AnchorStore implements Store {

  final RecordingStore base = new RecordingStore();
  final Map<String, String> anchors = new ConcurrentHashMap<>();
  final List<String> log = new CopyOnWriteArrayList<>();

  private static String key(SessionKey s, String streamId) {
    return s + "|" + streamId;
  }

  @Override
  public void putAnchor(SessionKey session, String streamId, String anchor) {
    log.add("put " + streamId + " " + anchor);
    anchors.put(key(session, streamId), anchor);
  }

  @Override
  public Optional<String> anchor(SessionKey session, String streamId) {
    return Optional.ofNullable(anchors.get(key(session, streamId)));
  }

  @Override
  public void removeAnchor(SessionKey session, String streamId) {
    log.add("remove " + streamId);
    anchors.remove(key(session, streamId));
  }

  @Override
  public void markDelivered(SessionKey session, long outboxSeq) {
    base.markDelivered(session, outboxSeq);
  }

  @Override
  public StoreStats stats() {
    return base.stats();
  }

  @Override
  public boolean ping() {
    return base.ping();
  }

  @Override
  public IngestResult ingest(JournalEntry entry) {
    return base.ingest(entry);
  }

  @Override
  public void release(DedupKey key) {
    base.release(key);
  }

  @Override
  public void updateStatus(List<DedupKey> keys, MessageStatus status) {
    base.updateStatus(keys, status);
  }

  @Override
  public SessionData loadSession(SessionKey session) {
    return base.loadSession(session);
  }

  @Override
  public List<Reply> commitTurn(TurnCommit commit) {
    return base.commitTurn(commit);
  }

  @Override
  public List<Reply> undeliveredReplies() {
    return base.undeliveredReplies();
  }

  @Override
  public List<JournalEntry> unfinished() {
    return base.unfinished();
  }

  @Override
  public IdempotencyRecords idempotency() {
    return base.idempotency();
  }

  @Override
  public long prune(Instant dedupBefore, Instant now) {
    return base.prune(dedupBefore, now);
  }

  @Override
  public void close() {}
}
