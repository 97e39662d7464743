package dev.baton.jdbc.cluster;

import dev.baton.Reply;
import dev.baton.spi.FencedException;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * One node's view of a shared store that records, as lines in {@link #events}, what the test waits for:
 * {@code FENCED <session> <token>} (a refused commit) and {@code RELEASE <session>} (a lease given back).
 * Closing it leaves the shared store open.
 */
final class RecordingStore extends ForwardingStore {

  final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
  /** Runs after each ingest, before it returns (a test makes a poll happen just then). */
  volatile Consumer<JournalEntry> afterIngest = e -> {};
  /** Runs after each journal poll's read ({@code claimable}), before the poll goes on. */
  volatile Consumer<List<SessionLeases.Claimable>> afterClaimable = rows -> {};
  private final SessionLeases leases;

  RecordingStore(Store shared) {
    super(shared);
    this.leases = new ForwardingLeases(shared.leases().orElseThrow()) {
      @Override
      public void release(Lease lease) {
        super.release(lease);
        events.add("RELEASE " + lease.session());
      }

      @Override
      public List<Claimable> claimable(String owner, long afterSeq, int limit) {
        List<Claimable> rows = super.claimable(owner, afterSeq, limit);
        afterClaimable.accept(rows);
        return rows;
      }
    };
  }

  @Override
  public List<Reply> commitTurn(TurnCommit commit) {
    try {
      return super.commitTurn(commit);
    } catch (FencedException e) {
      events.add("FENCED " + commit.session() + " " + commit.fencingToken());
      throw e;
    }
  }

  @Override
  public IngestResult ingest(JournalEntry entry) {
    IngestResult r = super.ingest(entry);
    afterIngest.accept(entry);
    return r;
  }

  @Override
  public Optional<SessionLeases> leases() {
    return Optional.of(leases);
  }

  @Override
  public void close() {}
}
