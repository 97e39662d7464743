package dev.baton.jdbc;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.ClusterPermits;
import dev.baton.spi.ProviderQuota;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Journaled;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionData;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.spi.StoreException;
import dev.baton.spi.StoreStats;
import dev.baton.spi.TurnCommit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/*
 * Overview. The durable Store of both SQL backends (sqlite, postgres): the dialect differs, the SQL and the
 * shape do not. Writes (ingest, turn commits, status moves, outbox acks, stream anchors, idempotency records, leases,
 * prune chunks) go through one GroupCommitWriter per store; reads go to a pool of reader connections and see only
 * committed data.
 *
 * Concurrency. Thread-safe. Writes block until their group-commit batch is durable; reads do not wait for
 * writes (SQLite WAL readers, PostgreSQL MVCC). loadSession reads in one transaction (a consistent snapshot).
 *
 * Failure. An SQL error becomes a StoreException and the operation did not happen; the one exception is a
 * lost connection during COMMIT on PostgreSQL, whose outcome the server alone knows (ingest is safe to retry:
 * it is idempotent by key). Conflict and fencing refusals roll back alone (see GroupCommitWriter).
 */
public final class JdbcStore implements Store {

  private static final String UNFINISHED = "('RECEIVED', 'QUEUED', 'RUNNING')";

  private final String name;
  private final Dialect dialect;
  private final DataSource readers;
  private final GroupCommitWriter writer;
  private final AutoCloseable resources;
  private final int pruneBatch;
  /** storage.max_transcript_entries: a commit past it deletes the session's oldest transcript rows (P11). */
  private final int maxTranscriptEntries;
  /** storage.max_outbox_per_session: a commit past it deletes the session's oldest undelivered replies. */
  private final int maxOutboxPerSession;
  private final JdbcLeases leases;
  private final JdbcIdempotency idempotency;
  /** The store's clock: stream anchors' created_at, which prune compares with the dedup window. */
  private final dev.baton.spi.Scheduler scheduler;
  private volatile Retention retention = Retention.NONE;
  private volatile Optional<ClusterLocks> clusterLocks = Optional.empty();
  private volatile Optional<ClusterPermits> clusterPermits = Optional.empty();
  private volatile Optional<ProviderQuota> providerQuota = Optional.empty();
  /** Test hook: runs after each prune transaction, on the pruning thread. */
  volatile Runnable afterPruneChunk = () -> {};

  JdbcStore(String name, Dialect dialect, DataSource readers, GroupCommitWriter writer, AutoCloseable resources,
      int pruneBatch, int maxTranscriptEntries, int maxOutboxPerSession, dev.baton.spi.Scheduler scheduler) {
    this.maxTranscriptEntries = maxTranscriptEntries;
    this.maxOutboxPerSession = maxOutboxPerSession;
    this.name = name;
    this.dialect = dialect;
    this.readers = readers;
    this.writer = writer;
    this.resources = resources;
    this.pruneBatch = pruneBatch;
    this.leases = new JdbcLeases(this, scheduler);
    this.idempotency = new JdbcIdempotency(this);
    this.scheduler = scheduler;
  }

  void startRetention(Retention r) {
    this.retention = r;
    r.start();
  }

  /** Offers cross-node tool locks (postgres only); called once, before the store is handed out. */
  void offerClusterLocks(ClusterLocks locks) {
    this.clusterLocks = Optional.of(locks);
  }

  /** Offers the cluster-wide cap (PostgreSQL only); called once at open, before the store is handed out. */
  void offerClusterPermits(ClusterPermits permits) {
    this.clusterPermits = Optional.of(permits);
  }

  /** Offers the cluster-wide provider quota (PostgreSQL only); called once at open. */
  void offerProviderQuota(ProviderQuota quota) {
    this.providerQuota = Optional.of(quota);
  }

  GroupCommitWriter writer() {
    return writer;
  }

  /** Transactions the group-commit writer committed and the writes they carried (for benchmarks, metrics). */
  public record GroupCommitStats(long transactions, long writes) {}

  public GroupCommitStats groupCommitStats() {
    return new GroupCommitStats(writer.batches(), writer.requests());
  }

  <T> T write(String lockKey, GroupCommitWriter.Work<T> work) {
    return writer.write(lockKey, work);
  }

  <T> T read(GroupCommitWriter.Work<T> work) {
    try (Connection c = readers.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException(name + " read failed: " + e.getMessage(), e);
    }
  }

  /** One row of a result set, mapped. */
  interface RowReader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** Runs {@code sql} with string {@code args} on a reader connection and maps every row. */
  <T> List<T> query(String sql, RowReader<T> row, String... args) {
    return read(c -> {
      List<T> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(row.read(rs));
        }
      }
      return out;
    });
  }

  @Override
  public IngestResult ingest(JournalEntry entry) {
    return writer.ingest(entry);
  }

  @Override
  public void release(DedupKey key) {
    write("", c -> JournalSql.release(c, key));
  }

  @Override
  public void updateStatus(List<DedupKey> keys, MessageStatus status) {
    if (keys.isEmpty()) return;
    List<DedupKey> copy = List.copyOf(keys);
    write("", c -> JournalSql.updateStatus(c, copy, status));
  }

  @Override
  public SessionData loadSession(SessionKey session) {
    return read(c -> {
      c.setAutoCommit(false);
      if (dialect == Dialect.POSTGRES) c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      try {
        return TurnSql.load(c, session);
      } finally {
        c.commit();
      }
    });
  }

  @Override
  public List<Reply> commitTurn(TurnCommit commit) {
    return write(commit.session().value(), c -> TurnSql.commit(c, commit, maxTranscriptEntries,
        maxOutboxPerSession));
  }

  @Override
  public List<Reply> undeliveredReplies() {
    return query("SELECT * FROM outbox ORDER BY session, outbox_seq", TurnSql::readReply);
  }


  /** A keyset walk of the outbox's primary key (session, outbox_seq). */
  @Override
  public List<Reply> undeliveredRepliesPage(@Nullable Reply after, int limit) {
    return read(c -> {
      List<Reply> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(after == null
          ? "SELECT * FROM outbox ORDER BY session, outbox_seq LIMIT ?"
          : "SELECT * FROM outbox WHERE (session, outbox_seq) > (?, ?) ORDER BY session, outbox_seq LIMIT ?")) {
        int i = 1;
        if (after != null) {
          ps.setString(i++, after.session().value());
          ps.setLong(i++, after.outboxSeq());
        }
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(TurnSql.readReply(rs));
        }
      }
      return out;
    });
  }

  @Override
  public List<Reply> undeliveredReplies(SessionKey session) {
    return query("SELECT * FROM outbox WHERE session = ? ORDER BY outbox_seq", TurnSql::readReply, session.value());
  }


  @Override
  public void markDelivered(SessionKey session, long outboxSeq) {
    write(session.value(), c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM outbox WHERE session = ? AND outbox_seq = ?")) {
        ps.setString(1, session.value());
        ps.setLong(2, outboxSeq);
        return ps.executeUpdate();
      }
    });
  }

  /**
   * Locks the session's row first (as a commit does), so two nodes putting anchors of one session serialize
   * and the bound is exact; then upserts the anchor as the session's newest ({@code seq} = max + 1) and deletes
   * what is past {@link Store#MAX_ANCHORS_PER_SESSION}, all in one transaction.
   */
  @Override
  public void putAnchor(SessionKey session, String streamId, String anchor) {
    checkAnchorArgs(session, streamId, anchor);
    long now = Codec.nanos(scheduler.now());
    String s = session.value();
    write(s, c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO sessions (session) VALUES (?) ON CONFLICT"
          + " (session) DO UPDATE SET session = excluded.session")) {
        ps.setString(1, s);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO stream_anchors (session, stream_id, anchor, seq,"
          + " created_at) VALUES (?, ?, ?, COALESCE((SELECT MAX(seq) FROM stream_anchors WHERE session = ?), 0) + 1,"
          + " ?) ON CONFLICT (session, stream_id) DO UPDATE SET anchor = excluded.anchor, seq = excluded.seq,"
          + " created_at = excluded.created_at")) {
        ps.setString(1, s);
        ps.setString(2, streamId);
        ps.setString(3, anchor);
        ps.setString(4, s);
        ps.setLong(5, now);
        ps.executeUpdate();
      }
      // The (MAX+1)-th newest seq, or NULL (nothing to delete) while the session is within the bound.
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM stream_anchors WHERE session = ? AND seq <="
          + " (SELECT seq FROM stream_anchors WHERE session = ? ORDER BY seq DESC LIMIT 1 OFFSET "
          + MAX_ANCHORS_PER_SESSION + ")")) {
        ps.setString(1, s);
        ps.setString(2, s);
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public Optional<String> anchor(SessionKey session, String streamId) {
    return query("SELECT anchor FROM stream_anchors WHERE session = ? AND stream_id = ?", rs -> rs.getString(1),
        session.value(), streamId).stream().findFirst();
  }

  @Override
  public void removeAnchor(SessionKey session, String streamId) {
    write(session.value(), c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM stream_anchors WHERE session = ? AND stream_id = ?")) {
        ps.setString(1, session.value());
        ps.setString(2, streamId);
        return ps.executeUpdate();
      }
    });
  }

  /** The ids are client-influenced: bounded, and never echoed in the message. */
  private static void checkAnchorArgs(SessionKey session, String streamId, String anchor) {
    java.util.Objects.requireNonNull(session, "session");
    checkAnchorText("stream id", streamId);
    checkAnchorText("anchor", anchor);
  }

  private static void checkAnchorText(String what, String value) {
    java.util.Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > MAX_ANCHOR_CHARS) {
      throw new IllegalArgumentException(what + " must be 1.." + MAX_ANCHOR_CHARS + " chars, was " + value.length());
    }
  }

  @Override
  public List<JournalEntry> unfinished() {
    return query("SELECT " + JournalSql.COLUMNS + " FROM journal WHERE status IN " + UNFINISHED + " ORDER BY seq",
        JournalSql::read);
  }


  @Override
  public List<JournalEntry> unfinished(SessionKey session) {
    return query("SELECT " + JournalSql.COLUMNS + " FROM journal WHERE session = ? AND status IN " + UNFINISHED
        + " ORDER BY seq", JournalSql::read, session.value());
  }


  /** A keyset walk of the partial index journal_unfinished_session (session, seq). */
  @Override
  public List<Journaled> unfinishedPage(@Nullable Journaled after, int limit) {
    return read(c -> {
      List<Journaled> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT " + JournalSql.COLUMNS + " FROM journal WHERE status IN "
          + UNFINISHED + (after == null ? "" : " AND (session, seq) > (?, ?)") + " ORDER BY session, seq LIMIT ?")) {
        int i = 1;
        if (after != null) {
          ps.setString(i++, after.entry().session().value());
          ps.setLong(i++, after.seq());
        }
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(new Journaled(rs.getLong("seq"), JournalSql.read(rs)));
        }
      }
      return out;
    });
  }

  /** See {@link SessionLeases#claimable}: a walk of the partial index of unfinished entries from a cursor. */
  List<SessionLeases.Claimable> claimable(String owner, long now, long afterSeq, int limit) {
    return read(c -> {
      List<SessionLeases.Claimable> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT " + JournalSql.COLUMNS.replaceAll("(^|, )", "$1j.") + " FROM journal j LEFT JOIN sessions s ON s.session = j.session"
          + " WHERE j.status IN " + UNFINISHED + " AND j.seq > ?"
          + " AND (s.session IS NULL OR s.lease_owner IS NULL OR s.lease_owner = ? OR s.lease_expires_at <= ?)"
          + " ORDER BY j.seq LIMIT ?")) {
        ps.setLong(1, afterSeq);
        ps.setString(2, owner);
        ps.setLong(3, now);
        ps.setInt(4, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(new SessionLeases.Claimable(rs.getLong("seq"), JournalSql.read(rs)));
        }
      }
      return out;
    });
  }

  /** See {@link SessionLeases#orphanedOutboxes}. */
  List<SessionKey> orphanedOutboxes(String owner, long now, int limit) {
    return read(c -> {
      List<SessionKey> out = new ArrayList<>();
      // Driven by the expired leases (an index range), not by the outbox, which holds every reply a client
      // has not fetched yet and may be large.
      try (PreparedStatement ps = c.prepareStatement("SELECT s.session FROM sessions s"
          + " WHERE s.lease_owner IS NOT NULL AND s.lease_owner <> ? AND s.lease_expires_at <= ?"
          + " AND EXISTS (SELECT 1 FROM outbox o WHERE o.session = s.session) LIMIT ?")) {
        ps.setString(1, owner);
        ps.setLong(2, now);
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(SessionKey.fromStored(rs.getString(1)));
        }
      }
      return out;
    });
  }

  @Override
  public IdempotencyRecords idempotency() {
    return idempotency;
  }

  @Override
  public Optional<SessionLeases> leases() {
    return Optional.of(leases);
  }

  @Override
  public Optional<ClusterLocks> clusterLocks() {
    return clusterLocks;
  }

  @Override
  public Optional<ClusterPermits> clusterPermits() {
    return clusterPermits;
  }

  @Override
  public Optional<ProviderQuota> providerQuota() {
    return providerQuota;
  }

  /**
   * Deletes in transactions of at most {@code storage.prune_batch} rows, each queued behind the writes waiting
   * at that moment, so ingest never waits for more than one small delete. Stream anchors put before
   * {@code dedupBefore} go too, unless their session still has an undelivered reply or an unfinished message
   * (a re-run or a delivery may still edit the preview): an anchor whose removal was lost (a crash between the
   * final delivery and {@code removeAnchor}) does not outlive the dedup window.
   */
  @Override
  public long prune(Instant dedupBefore, Instant now) {
    long total = 0;
    total += pruneLoop("DELETE FROM journal WHERE seq IN (SELECT seq FROM journal WHERE received_at < ? AND status"
        + " NOT IN " + UNFINISHED + " ORDER BY received_at LIMIT ?)", Codec.nanos(dedupBefore));
    total += pruneLoop("DELETE FROM idempotency WHERE id IN (SELECT id FROM idempotency WHERE expires_at < ?"
        + " ORDER BY expires_at LIMIT ?)", Codec.nanos(now));
    total += pruneLoop("DELETE FROM stream_anchors WHERE (session, stream_id) IN (SELECT a.session, a.stream_id"
        + " FROM stream_anchors a WHERE a.created_at < ?"
        + " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.session = a.session)"
        + " AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.session = a.session AND j.status IN " + UNFINISHED + ")"
        + " ORDER BY a.created_at LIMIT ?)", Codec.nanos(dedupBefore));
    return total;
  }

  private long pruneLoop(String sql, long before) {
    long total = 0;
    while (true) {
      int n = write("\uffff", c -> {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setLong(1, before);
          ps.setInt(2, pruneBatch);
          return ps.executeUpdate();
        }
      });
      total += n;
      afterPruneChunk.run();
      if (n < pruneBatch) return total;
    }
  }

  @Override
  public StoreStats stats() {
    return read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM journal),"
              + " (SELECT count(*) FROM journal WHERE status IN " + UNFINISHED + "), (SELECT count(*) FROM outbox),"
              + " (SELECT count(*) FROM idempotency)");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new StoreStats(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
      }
    });
  }

  @Override
  public boolean ping() {
    try {
      return read(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1"); ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      });
    } catch (StoreException e) {
      return false;
    }
  }

  @Override
  public void close() {
    retention.close();
    writer.close();
    try {
      resources.close();
    } catch (Exception e) {
      throw new StoreException(name + " did not close cleanly", e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
