package dev.baton.jdbc.cluster;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.ClusterPermits;
import dev.baton.spi.FencedException;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionData;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.spi.StoreStats;
import dev.baton.spi.TurnCommit;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One node's view of a shared store that records, as lines in {@link #events}, what the test waits for:
 * {@code FENCED <session> <token>} (a refused commit) and {@code RELEASE <session>} (a lease given back).
 */
final class RecordingStore implements Store {

  final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
  private final Store delegate;
  private final SessionLeases leases;

  RecordingStore(Store delegate) {
    this.delegate = delegate;
    SessionLeases l = delegate.leases().orElseThrow();
    this.leases = new SessionLeases() {
      @Override
      public Optional<Lease> acquire(SessionKey session, String owner, Duration ttl) {
        return l.acquire(session, owner, ttl);
      }

      @Override
      public Optional<Lease> renew(Lease lease, Duration ttl) {
        return l.renew(lease, ttl);
      }

      @Override
      public void release(Lease lease) {
        l.release(lease);
        events.add("RELEASE " + lease.session());
      }

      @Override
      public Optional<Lease> current(SessionKey session) {
        return l.current(session);
      }

      @Override
      public List<Claimable> claimable(String owner, long afterSeq, int limit) {
        return l.claimable(owner, afterSeq, limit);
      }

      @Override
      public List<SessionKey> orphanedOutboxes(String owner, int limit) {
        return l.orphanedOutboxes(owner, limit);
      }
    };
  }

  @Override
  public List<Reply> commitTurn(TurnCommit commit) {
    try {
      return delegate.commitTurn(commit);
    } catch (FencedException e) {
      events.add("FENCED " + commit.session() + " " + commit.fencingToken());
      throw e;
    }
  }

  /** Runs after each ingest, before it returns (a test makes a poll happen just then). */
  volatile java.util.function.Consumer<JournalEntry> afterIngest = e -> {};

  @Override
  public IngestResult ingest(JournalEntry entry) {
    IngestResult r = delegate.ingest(entry);
    afterIngest.accept(entry);
    return r;
  }
  @Override public void release(DedupKey key) { delegate.release(key); }
  @Override public void updateStatus(List<DedupKey> keys, MessageStatus status) { delegate.updateStatus(keys, status); }
  @Override public SessionData loadSession(SessionKey session) { return delegate.loadSession(session); }
  @Override public List<Reply> undeliveredReplies() { return delegate.undeliveredReplies(); }
  @Override public List<Reply> undeliveredReplies(SessionKey s) { return delegate.undeliveredReplies(s); }
  @Override public void markDelivered(SessionKey session, long outboxSeq) { delegate.markDelivered(session, outboxSeq); }
  @Override public List<JournalEntry> unfinished() { return delegate.unfinished(); }
  @Override public List<JournalEntry> unfinished(SessionKey s) { return delegate.unfinished(s); }
  @Override public IdempotencyRecords idempotency() { return delegate.idempotency(); }
  @Override public long prune(Instant dedupBefore, Instant now) { return delegate.prune(dedupBefore, now); }
  @Override public StoreStats stats() { return delegate.stats(); }
  @Override public Optional<SessionLeases> leases() { return Optional.of(leases); }
  @Override public Optional<ClusterPermits> clusterPermits() { return delegate.clusterPermits(); }
  @Override public Optional<ClusterLocks> clusterLocks() { return delegate.clusterLocks(); }
  @Override public void close() {}
}
