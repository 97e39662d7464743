package dev.baton.jdbc;

import dev.baton.DedupKey;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. Every write of a store goes through one writer thread. Callers enqueue a request and block on
 * its future; the writer takes whatever is queued (up to maxBatch, optionally waiting maxDelay for more),
 * runs it all in ONE transaction and commits once, then completes every future of the batch. Durable ingest
 * therefore costs one fsync per batch, not per message (group commit), and each caller still returns only
 * after its own write is durable.
 *
 * Inside a batch, ingests go first as multi-row INSERT ... ON CONFLICT DO NOTHING (keys sorted, so two nodes
 * lock index entries in one order), then the other writes in order of their lock key (the session). A write
 * that is refused (ConflictException, FencedException) refuses before it writes, so it needs no savepoint and
 * its batch-mates commit.
 *
 * Concurrency. submit() is thread-safe and blocks (uninterruptibly: the write may already be committing)
 * until the batch holding the request committed or failed. Requests of one batch are concurrent calls, so
 * any order among them is a valid linearization.
 *
 * Failure. If a batch fails as a whole (an I/O error, a PostgreSQL deadlock or serialization failure), it is
 * rolled back and each request is retried alone in its own transaction, so one bad write cannot fail its
 * neighbours. A request alone that PostgreSQL rolls back as a deadlock victim (SQLSTATE 40P01) or for a
 * serialization failure (40001) runs again, at most ATTEMPTS_ALONE times. A request that fails otherwise
 * completes with a StoreException and wrote nothing. After close() new requests fail at once; queued ones
 * still run.
 */
final class GroupCommitWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

  /**
   * Work run inside the writer's transaction. It may refuse by throwing a StoreException, but only before it
   * wrote anything a reader could tell from its absence: the rest of the batch commits regardless. An
   * SQLException fails the whole batch, which is then retried write by write.
   */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private sealed interface Request permits Ingest, Write, Stop {}

  private record Ingest(JournalEntry entry, CompletableFuture<IngestResult> done) implements Request {}

  private record Write<T>(String lockKey, Work<T> work, CompletableFuture<T> done) implements Request {}

  private record Stop() implements Request {}

  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final DataSource dataSource;
  private final Dialect dialect;
  private final int maxBatch;
  private final long maxDelayNanos;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean closed;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  /** Test hook: runs on the writer thread just before each commit. */
  volatile Runnable beforeCommit = () -> {};

  /**
   * @param writers parallel writer threads, each committing its own batches on its own connection (1 for
   *     SQLite, whose file has one writer at a time; more for PostgreSQL, which overlaps one batch's fsync with
   *     the next batch's inserts)
   */
  GroupCommitWriter(String name, DataSource dataSource, Dialect dialect, int writers, int maxBatch,
      long maxDelayNanos) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.maxBatch = maxBatch;
    this.maxDelayNanos = maxDelayNanos;
    // Platform threads: JDBC drivers block in native code (SQLite fsync), which would pin a carrier.
    for (int i = 0; i < writers; i++) {
      threads.add(Thread.ofPlatform().name(name + "-" + i).daemon(true).start(this::loop));
    }
  }

  IngestResult ingest(JournalEntry entry) {
    return await(enqueue(new Ingest(entry, new CompletableFuture<>())).done());
  }

  <T> T write(String lockKey, Work<T> work) {
    return await(enqueue(new Write<>(lockKey, work, new CompletableFuture<>())).done());
  }

  /** Transactions committed so far, and requests they carried. */
  long batches() {
    return batches.get();
  }

  long requests() {
    return requests.get();
  }

  /** Requests waiting for the writer (not yet in a batch). */
  int queued() {
    return queue.size();
  }

  private <R extends Request> R enqueue(R r) {
    if (closed) throw new StoreException("store is closed");
    queue.add(r);
    if (closed && queue.remove(r)) throw new StoreException("store is closed");
    return r;
  }

  private static <T> T await(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof StoreException se) throw se;
      throw new StoreException("store write failed: " + e.getMessage(), e);
    }
  }

  private void loop() {
    List<Request> batch = new ArrayList<>();
    boolean running = true;
    while (running) {
      batch.clear();
      try {
        batch.add(queue.take());
        queue.drainTo(batch, maxBatch - 1);
        if (maxDelayNanos > 0) fill(batch);
      } catch (InterruptedException e) {
        break;
      }
      running = !batch.removeIf(r -> r instanceof Stop);
      if (!batch.isEmpty()) runBatch(batch);
    }
    if (!running) queue.add(new Stop()); // pass it on to the next writer thread; close() fails what is left
  }

  /** Waits once, at most maxDelay, for one more write, then takes whatever else is queued. */
  private void fill(List<Request> batch) throws InterruptedException {
    if (batch.size() >= maxBatch || batch.getLast() instanceof Stop) return;
    Request r = queue.poll(maxDelayNanos, TimeUnit.NANOSECONDS);
    if (r == null) return;
    batch.add(r);
    queue.drainTo(batch, maxBatch - batch.size());
  }

  private void runBatch(List<Request> batch) {
    try {
      inTransaction(batch);
    } catch (SQLException | RuntimeException whole) {
      if (batch.size() == 1 && !transientConflict(whole)) {
        fail(batch.getFirst(), whole);
        return;
      }
      log.debug("group commit of {} writes failed ({}); retrying each alone", batch.size(), whole.toString());
      // A request that failed alone has had one attempt already; one of a larger batch has not.
      for (Request r : batch) runAlone(r, batch.size() == 1 ? 1 : 0);
    }
  }

  /**
   * Runs one request in its own transaction; a deadlock victim (40P01) or serialization failure (40001) is
   * run again, at most {@link #ATTEMPTS_ALONE} times in all alone: the transaction was rolled back, so running it
   * again is running it once. Any other failure, or the last one, fails the request (nothing written).
   */
  private void runAlone(Request r, int attemptsSoFar) {
    for (int attempt = attemptsSoFar + 1; ; attempt++) {
      try {
        inTransaction(List.of(r));
        return;
      } catch (SQLException | RuntimeException e) {
        if (attempt >= ATTEMPTS_ALONE || !transientConflict(e)) {
          fail(r, e);
          return;
        }
        log.debug("a write was rolled back by the database ({}); running it again", sqlState(e));
      }
    }
  }

  static final int ATTEMPTS_ALONE = 3;

  /** PostgreSQL rolled the transaction back to break a deadlock (40P01) or a serialization conflict (40001). */
  static boolean transientConflict(Throwable e) {
    String state = sqlState(e);
    return "40P01".equals(state) || "40001".equals(state);
  }

  private static String sqlState(Throwable e) {
    for (@Nullable Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) return s.getSQLState();
    }
    return "";
  }

  /** Runs the batch in one transaction; completes futures only after the commit. */
  private void inTransaction(List<Request> batch) throws SQLException {
    List<Ingest> ingests = new ArrayList<>();
    List<Write<?>> writes = new ArrayList<>();
    for (Request r : batch) {
      if (r instanceof Ingest i) ingests.add(i);
      else if (r instanceof Write<?> w) writes.add(w);
    }
    writes.sort(Comparator.comparing(Write::lockKey));
    Map<Request, Object> results = new HashMap<>();
    try (Connection c = dataSource.getConnection()) {
      dialect.begin(c);
      try {
        if (!ingests.isEmpty()) ingestAll(c, ingests, results);
        for (Write<?> w : writes) runWrite(c, w, results);
        beforeCommit.run();
        dialect.commit(c);
      } catch (SQLException | RuntimeException e) {
        dialect.rollback(c);
        throw e;
      }
    }
    batches.incrementAndGet();
    requests.addAndGet(batch.size());
    for (var e : results.entrySet()) complete(e.getKey(), e.getValue());
  }

  private static void ingestAll(Connection c, List<Ingest> ingests, Map<Request, Object> results)
      throws SQLException {
    Map<DedupKey, JournalEntry> firsts = new HashMap<>();
    List<JournalEntry> entries = new ArrayList<>();
    for (Ingest i : ingests) {
      if (firsts.putIfAbsent(i.entry().key(), i.entry()) == null) entries.add(i.entry());
    }
    Map<DedupKey, IngestResult> found = JournalSql.insertAll(c, entries);
    Map<DedupKey, Boolean> taken = new HashMap<>();
    for (Ingest i : ingests) {
      IngestResult r = found.get(i.entry().key());
      // A key repeated inside one batch: the first request inserted it, the others find it.
      boolean repeat = taken.put(i.entry().key(), true) != null;
      results.put(i, repeat && r instanceof IngestResult.Inserted ? new IngestResult.Existing(MessageStatus.RECEIVED) : r);
    }
  }

  private static void runWrite(Connection c, Write<?> w, Map<Request, Object> results) throws SQLException {
    try {
      results.put(w, new Done(w.work().run(c)));
    } catch (StoreException refused) {
      results.put(w, refused); // refused before writing (see Work): its batch-mates commit
    }
  }

  private record Done(Object value) {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void complete(Request r, Object result) {
    switch (r) {
      case Ingest i -> i.done().complete((IngestResult) result);
      case Write w -> {
        if (result instanceof StoreException e) w.done().completeExceptionally(e);
        else w.done().complete(((Done) result).value());
      }
      case Stop s -> {}
    }
  }

  private static void fail(Request r, Throwable t) {
    StoreException e = t instanceof StoreException se ? se : new StoreException("store write failed: " + t, t);
    switch (r) {
      case Ingest i -> i.done().completeExceptionally(e);
      case Write<?> w -> w.done().completeExceptionally(e);
      case Stop s -> {}
    }
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    queue.add(new Stop());
    try {
      for (Thread t : threads) t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Request> rest = new ArrayList<>();
    queue.drainTo(rest);
    for (Request r : rest) fail(r, new StoreException("store is closed"));
  }
}
