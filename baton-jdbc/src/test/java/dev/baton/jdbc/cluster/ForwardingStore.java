package dev.baton.jdbc.cluster;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.ClusterPermits;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Journaled;
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
import org.jspecify.annotations.Nullable;

/**
 * A store that forwards every method to another, for test stores that watch or fault a few of them.
 * {@link EngineClusterTest#forwardingStoreForwardsEveryMethod} checks that no method of {@link Store} or
 * {@link SessionLeases} is left to its interface default here (a default would hide the real store's).
 */
abstract class ForwardingStore implements Store {

  final Store delegate;

  ForwardingStore(Store delegate) {
    this.delegate = delegate;
  }

  @Override public IngestResult ingest(JournalEntry entry) { return delegate.ingest(entry); }
  @Override public void release(DedupKey key) { delegate.release(key); }
  @Override public void updateStatus(List<DedupKey> keys, MessageStatus status) { delegate.updateStatus(keys, status); }
  @Override public SessionData loadSession(SessionKey session) { return delegate.loadSession(session); }
  @Override public List<Reply> commitTurn(TurnCommit commit) { return delegate.commitTurn(commit); }
  @Override public List<Reply> undeliveredReplies() { return delegate.undeliveredReplies(); }
  @Override public List<Reply> undeliveredReplies(SessionKey s) { return delegate.undeliveredReplies(s); }
  @Override public void markDelivered(SessionKey session, long outboxSeq) { delegate.markDelivered(session, outboxSeq); }
  @Override public List<JournalEntry> unfinished() { return delegate.unfinished(); }
  @Override public List<JournalEntry> unfinished(SessionKey s) { return delegate.unfinished(s); }
  @Override public List<Reply> undeliveredRepliesPage(@Nullable Reply after, int limit) {
    return delegate.undeliveredRepliesPage(after, limit);
  }
  @Override public List<Journaled> unfinishedPage(@Nullable Journaled after, int limit) {
    return delegate.unfinishedPage(after, limit);
  }
  @Override public void putAnchor(SessionKey s, String streamId, String anchor) { delegate.putAnchor(s, streamId, anchor); }
  @Override public Optional<String> anchor(SessionKey s, String streamId) { return delegate.anchor(s, streamId); }
  @Override public void removeAnchor(SessionKey s, String streamId) { delegate.removeAnchor(s, streamId); }
  @Override public IdempotencyRecords idempotency() { return delegate.idempotency(); }
  @Override public long prune(Instant dedupBefore, Instant now) { return delegate.prune(dedupBefore, now); }
  @Override public StoreStats stats() { return delegate.stats(); }
  @Override public Optional<SessionLeases> leases() { return delegate.leases(); }
  @Override public Optional<ClusterPermits> clusterPermits() { return delegate.clusterPermits(); }
  @Override public Optional<ClusterLocks> clusterLocks() { return delegate.clusterLocks(); }
  @Override public Optional<dev.baton.spi.ProviderQuota> providerQuota() { return delegate.providerQuota(); }
  @Override public boolean ping() { return delegate.ping(); }
  @Override public void close() { delegate.close(); }

  /** Leases that forward every method to other leases. */
  static class ForwardingLeases implements SessionLeases {
    final SessionLeases delegate;

    ForwardingLeases(SessionLeases delegate) {
      this.delegate = delegate;
    }

    @Override
    public Optional<Lease> acquire(SessionKey session, String owner, Duration ttl) {
      return delegate.acquire(session, owner, ttl);
    }

    @Override public Optional<Lease> renew(Lease lease, Duration ttl) { return delegate.renew(lease, ttl); }
    @Override public void release(Lease lease) { delegate.release(lease); }
    @Override public Optional<Lease> current(SessionKey session) { return delegate.current(session); }

    @Override
    public List<Claimable> claimable(String owner, long afterSeq, int limit) {
      return delegate.claimable(owner, afterSeq, limit);
    }

    @Override
    public List<SessionKey> orphanedOutboxes(String owner, int limit) {
      return delegate.orphanedOutboxes(owner, limit);
    }
  }
}
