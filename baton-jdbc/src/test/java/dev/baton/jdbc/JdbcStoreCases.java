package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.config.StorageConfig;
import dev.baton.spi.ConflictException;
import dev.baton.spi.FencedException;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.StoreException;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the JDBC stores promise beyond the SPI contract: group commit (batching, durable-before-return, a
 * refused write does not fail its batch), background pruning that does not stall ingest, and fencing under a
 * real race between a stale owner and a takeover. Run against SQLite and PostgreSQL.
 */
abstract class JdbcStoreCases {

  static final long WAIT_S = 30;

  final ManualScheduler scheduler = new ManualScheduler();
  final List<JdbcStore> opened = new ArrayList<>();

  /** A fresh store (same database on every call within one test). */
  abstract JdbcStore open(StorageConfig tweak);

  /** Migrates the test's database up to (and including) schema version {@code version}, no further. */
  abstract void migrateOnlyTo(String version);

  /** The last schema version before P10's outbox columns and stream_anchors table. */
  abstract String versionBeforeStreams();

  /** A plain connection to the test's database (autocommit). */
  abstract java.sql.Connection connect() throws java.sql.SQLException;

  abstract StorageConfig config();

  JdbcStore open() {
    return open(config());
  }

  @AfterEach
  void closeAll() {
    for (JdbcStore s : opened) s.close();
  }

  JdbcStore track(JdbcStore s) {
    opened.add(s);
    return s;
  }

  static JournalEntry entry(String id, Instant at) {
    return new JournalEntry(new DedupKey("api:" + id), new SessionKey("api:u:u" + (id.hashCode() & 7)),
        InboundMessage.of("api", id, "u" + (id.hashCode() & 7), "text " + id, at), at);
  }

  static Reply reply(SessionKey s, String text) {
    return new Reply(s, 0, "api", s.value(), "m", Reply.Kind.REPLY, text, OptionalLong.empty(), Map.of());
  }

  @Test
  void concurrentIngestsShareCommitsAndAllAreDurable() throws Exception {
    JdbcStore store = open();
    int threads = 16;
    int each = 150;
    List<Thread> ts = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int t = 0; t < threads; t++) {
      int tt = t;
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
          for (int i = 0; i < each; i++) {
            assertThat(store.ingest(entry(tt + "-" + i, scheduler.now()))).isInstanceOf(IngestResult.Inserted.class);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    long batchesBefore = store.writer().batches();
    start.countDown();
    for (Thread t : ts) assertThat(t.join(Duration.ofSeconds(WAIT_S))).isTrue();
    assertThat(failure.get()).isNull();
    long batches = store.writer().batches() - batchesBefore;
    assertThat(batches).as("transactions for %d ingests", threads * each).isLessThan(threads * each);
    store.close();
    opened.remove(store);
    JdbcStore reopened = open();
    assertThat(reopened.stats().journalEntries()).isEqualTo(threads * each);
  }

  @Test
  void twoNodesIngestingTheSameKeysInsertEachOnce() throws Exception {
    List<JdbcStore> nodes = List.of(open(), open());
    int threads = 8;
    int keys = 300;
    java.util.Map<String, AtomicInteger> inserted = new java.util.concurrent.ConcurrentHashMap<>();
    List<Thread> ts = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
    for (int t = 0; t < threads; t++) {
      JdbcStore node = nodes.get(t % 2);
      int seed = t;
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          List<Integer> order = new ArrayList<>();
          for (int k = 0; k < keys; k++) order.add(k);
          java.util.Collections.shuffle(order, new java.util.Random(seed));
          start.await(WAIT_S, TimeUnit.SECONDS);
          for (int k : order) {
            if (node.ingest(entry("k" + k, scheduler.now())) instanceof IngestResult.Inserted) {
              inserted.computeIfAbsent("k" + k, x -> new AtomicInteger()).incrementAndGet();
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    for (Thread t : ts) assertThat(t.join(Duration.ofSeconds(WAIT_S))).isTrue();
    assertThat(failure.get()).isNull();
    assertThat(inserted).hasSize(keys);
    inserted.forEach((k, n) -> assertThat(n.get()).as("Inserted results for " + k + " across both nodes").isEqualTo(1));
    assertThat(nodes.get(1).stats().journalEntries()).isEqualTo(keys);
  }

  @Test
  void anIngestReturnsOnlyAfterItsBatchCommitted() throws Exception {
    JdbcStore store = open();
    CountDownLatch atCommit = new CountDownLatch(1);
    CountDownLatch mayCommit = new CountDownLatch(1);
    store.writer().beforeCommit = () -> {
      atCommit.countDown();
      try {
        mayCommit.await(WAIT_S, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    JournalEntry e = entry("held", scheduler.now());
    CompletableFuture<IngestResult> f = CompletableFuture.supplyAsync(() -> store.ingest(e),
        r -> Thread.ofVirtual().start(r));
    assertThat(atCommit.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    assertThat(f).as("ingest returned before its commit").isNotDone();
    assertThat(store.unfinished()).as("not visible before commit").isEmpty();
    store.writer().beforeCommit = () -> {};
    mayCommit.countDown();
    assertThat(f.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(IngestResult.Inserted.class);
    assertThat(store.unfinished()).containsExactly(e);
  }

  @Test
  void aRefusedTurnDoesNotFailTheOtherWritesOfItsBatch() throws Exception {
    JdbcStore store = open(config().withWriters(1)); // one writer, so holding it makes the others queue
    SessionKey s = new SessionKey("api:u:x");
    store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of("k", Optional.of("v1")),
        List.of(), List.of(), 0));
    // Hold the writer inside a batch so the next writes queue up and go into one batch together.
    CountDownLatch atCommit = new CountDownLatch(1);
    CountDownLatch mayCommit = new CountDownLatch(1);
    store.writer().beforeCommit = () -> {
      store.writer().beforeCommit = () -> {};
      atCommit.countDown();
      try {
        mayCommit.await(WAIT_S, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    CompletableFuture<IngestResult> first = async(() -> store.ingest(entry("first", scheduler.now())));
    assertThat(atCommit.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    long batchesBefore = store.writer().batches();
    CompletableFuture<List<Reply>> bad = async(() -> store.commitTurn(new TurnCommit(s, List.of(),
        MessageStatus.DONE, Map.of("k", Optional.of("stale")), Map.of("k", Optional.of("bad")),
        List.of(new Transcript.Entry(Transcript.Role.USER, "bad", scheduler.now())), List.of(reply(s, "bad")), 0)));
    CompletableFuture<IngestResult> ingest = async(() -> store.ingest(entry("second", scheduler.now())));
    CompletableFuture<List<Reply>> good = async(() -> store.commitTurn(new TurnCommit(s, List.of(),
        MessageStatus.DONE, Map.of("k", Optional.of("v1")), Map.of("k", Optional.of("good")), List.of(),
        List.of(reply(s, "good")), 0)));
    awaitQueued(store, 3);
    mayCommit.countDown();
    assertThat(first.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(IngestResult.Inserted.class);
    assertThatThrownBy(() -> bad.get(WAIT_S, TimeUnit.SECONDS)).hasCauseInstanceOf(ConflictException.class);
    assertThat(ingest.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(IngestResult.Inserted.class);
    assertThat(good.get(WAIT_S, TimeUnit.SECONDS)).extracting(Reply::outboxSeq).containsExactly(1L);
    assertThat(store.writer().batches() - batchesBefore).as("one batch after the held one").isEqualTo(2);
    assertThat(store.loadSession(s).state()).containsEntry("k", "good");
    assertThat(store.loadSession(s).transcript()).isEmpty();
    assertThat(store.undeliveredReplies()).extracting(Reply::text).containsExactly("good");
  }

  /** Waits (bounded) until {@code n} requests are queued behind the writer. */
  static void awaitQueued(JdbcStore store, int n) throws InterruptedException {
    for (int spins = 0; store.writer().queued() < n; spins++) {
      if (spins > 3_000_000) throw new AssertionError("requests never queued");
      Thread.onSpinWait();
      if ((spins & 1023) == 0) Thread.yield();
    }
  }

  static <T> CompletableFuture<T> async(java.util.function.Supplier<T> s) {
    return CompletableFuture.supplyAsync(s, r -> Thread.ofVirtual().start(r));
  }

  @Test
  void pruningRunsInSmallTransactionsThatLetIngestThrough() throws Exception {
    JdbcStore store = open(config().withPrune(60_000, 100));
    Instant old = scheduler.now();
    List<DedupKey> keys = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      JournalEntry e = entry("old-" + i, old);
      store.ingest(e);
      keys.add(e.key());
    }
    store.updateStatus(keys, MessageStatus.DONE);
    CountDownLatch pausedAfterFirstChunk = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    AtomicInteger chunks = new AtomicInteger();
    store.afterPruneChunk = () -> {
      if (chunks.incrementAndGet() == 1) {
        pausedAfterFirstChunk.countDown();
        try {
          resume.await(WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    CompletableFuture<Long> prune = async(() -> store.prune(old.plusSeconds(1), old));
    assertThat(pausedAfterFirstChunk.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    // Prune is half way: ingest still goes through, and the journal is partly pruned.
    assertThat(store.ingest(entry("new", old.plusSeconds(5)))).isInstanceOf(IngestResult.Inserted.class);
    assertThat(store.stats().journalEntries()).isEqualTo(1_000 - 100 + 1);
    assertThat(prune).isNotDone();
    resume.countDown();
    assertThat(prune.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo(1_000);
    // 10 full journal chunks, 1 that finds none left, 1 idempotency, 1 stream anchors
    assertThat(chunks.get()).isEqualTo(13);
  }

  @Test
  void backgroundRetentionPrunesOnTheInjectedClock() throws Exception {
    JdbcStore store = open(config().withPrune(60_000, 100));
    store.startRetention(new Retention(store, scheduler, Duration.ofMinutes(10), Duration.ofMinutes(1)));
    JournalEntry e = entry("old", scheduler.now());
    store.ingest(e);
    store.updateStatus(List.of(e.key()), MessageStatus.DONE);
    for (int minute = 1; minute <= 11; minute++) {
      scheduler.advance(Duration.ofMinutes(1));
      // The tick prunes on a virtual thread and schedules the next tick when done: wait for that.
      for (int spins = 0; scheduler.pending() != 1; spins++) {
        if (spins > 5_000_000) throw new AssertionError("prune at minute " + minute + " never finished");
        Thread.yield();
      }
      assertThat(store.stats().journalEntries()).as("entries after the tick at minute " + minute)
          .isEqualTo(minute <= 10 ? 1 : 0);
    }
    assertThat(store.ingest(e)).isInstanceOf(IngestResult.Inserted.class);
  }

  @Test
  void aStaleOwnerRacingATakeoverNeverWritesAfterIt() throws Exception {
    // The transcript counts the commits here: keep every entry (storage.max_transcript_entries).
    JdbcStore nodeA = open(config().withMaxTranscriptEntries(Integer.MAX_VALUE));
    JdbcStore nodeB = open(config().withMaxTranscriptEntries(Integer.MAX_VALUE));
    SessionKey s = new SessionKey("api:u:contended");
    Duration ttl = Duration.ofSeconds(10);
    SessionLeases.Lease la = nodeA.leases().orElseThrow().acquire(s, "a", ttl).orElseThrow();
    CountDownLatch aRunning = new CountDownLatch(1);
    AtomicInteger aCommitted = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread a = Thread.ofPlatform().start(() -> {
      try {
        for (int i = 0; ; i++) {
          try {
            nodeA.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(),
                List.of(new Transcript.Entry(Transcript.Role.ASSISTANT, "a" + i, Instant.EPOCH)), List.of(),
                la.token()));
            aCommitted.incrementAndGet();
            aRunning.countDown();
          } catch (FencedException fenced) {
            return;
          }
        }
      } catch (Throwable t) {
        failure.set(t);
        aRunning.countDown();
      }
    });
    assertThat(aRunning.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    scheduler.advance(ttl);
    SessionLeases.Lease lb = nodeB.leases().orElseThrow().acquire(s, "b", ttl).orElseThrow();
    int beforeTakeover = nodeB.loadSession(s).transcript().size();
    nodeB.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(),
        List.of(new Transcript.Entry(Transcript.Role.ASSISTANT, "b", Instant.EPOCH)), List.of(), lb.token()));
    assertThat(a.join(Duration.ofSeconds(WAIT_S))).isTrue();
    assertThat(failure.get()).isNull();
    List<String> texts = nodeB.loadSession(s).transcript().stream().map(Transcript.Entry::text).toList();
    assertThat(aCommitted.get()).as("a's commits after the takeover").isEqualTo(beforeTakeover);
    assertThat(texts).hasSize(beforeTakeover + 1).last().isEqualTo("b");
  }

  @Test
  void aFailedBatchIsRetriedWriteByWriteSoOneFailureFailsOnlyItself() throws Exception {
    JdbcStore store = open(config().withWriters(1));
    AtomicInteger commits = new AtomicInteger();
    CountDownLatch atCommit = new CountDownLatch(1);
    CountDownLatch mayCommit = new CountDownLatch(1);
    // Commit 1 (a blocker) is held so the next 20 writes queue into one batch; commit 2 (that batch) fails,
    // as a full disk or a dropped connection would. The writer must roll it back and retry each write alone.
    store.writer().beforeCommit = () -> {
      int n = commits.incrementAndGet();
      if (n == 1) {
        atCommit.countDown();
        try {
          mayCommit.await(WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      } else if (n == 2) {
        throw new IllegalStateException("injected commit failure");
      }
    };
    CompletableFuture<IngestResult> blocker = async(() -> store.ingest(entry("blocker", scheduler.now())));
    assertThat(atCommit.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<IngestResult>> fs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String id = "f" + i;
      fs.add(async(() -> store.ingest(entry(id, scheduler.now()))));
    }
    awaitQueued(store, 20);
    mayCommit.countDown();
    assertThat(blocker.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(IngestResult.Inserted.class);
    for (var f : fs) assertThat(f.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(IngestResult.Inserted.class);
    assertThat(commits.get()).as("held, failed batch, 20 retries alone").isEqualTo(22);
    assertThat(store.stats().journalEntries()).isEqualTo(21);

    // A write that fails every time fails its caller with a StoreException and leaves nothing behind.
    store.writer().beforeCommit = () -> {
      throw new IllegalStateException("disk on fire");
    };
    assertThatThrownBy(() -> store.ingest(entry("doomed", scheduler.now()))).isInstanceOf(StoreException.class)
        .hasMessageContaining("disk on fire");
    store.writer().beforeCommit = () -> {};
    assertThat(store.stats().journalEntries()).isEqualTo(21);
    assertThat(store.ingest(entry("doomed", scheduler.now()))).isInstanceOf(IngestResult.Inserted.class);
  }

  /**
   * The engine's whole cycle under load, with pruning running beside it: each thread owns some sessions and,
   * per message, ingests it, marks it running, loads the session, commits a turn that compares and bumps the
   * session's counter, then acks the reply. At the end every counter is exact and every outbox contiguous.
   */
  @Test
  @org.junit.jupiter.api.Tag("slow")
  void soakOfTheWholeCycleWithPruningBeside() throws Exception {
    JdbcStore store = open(config().withPrune(60_000, 50));
    int threads = 8;
    int sessionsPerThread = 4;
    int messagesPerSession = 150;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread pruner = Thread.ofPlatform().start(() -> {
      try {
        while (!stop.get()) store.prune(scheduler.now().plusSeconds(1), scheduler.now());
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    });
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int tt = t;
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          for (int i = 0; i < messagesPerSession; i++) {
            for (int k = 0; k < sessionsPerThread; k++) {
              String user = "t" + tt + "s" + k;
              SessionKey s = new SessionKey("api:u:" + user);
              JournalEntry e = new JournalEntry(new DedupKey("api:" + user + "-" + i), s,
                  InboundMessage.of("api", user + "-" + i, user, "m", scheduler.now()), scheduler.now());
              assertThat(store.ingest(e)).isInstanceOf(IngestResult.Inserted.class);
              store.updateStatus(List.of(e.key()), MessageStatus.RUNNING);
              Optional<String> n = Optional.ofNullable(store.loadSession(s).state().get("n"));
              long next = n.map(Long::parseLong).orElse(0L) + 1;
              List<Reply> r = store.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE,
                  Map.of("n", n), Map.of("n", Optional.of(Long.toString(next))),
                  List.of(new Transcript.Entry(Transcript.Role.USER, "m", scheduler.now())),
                  List.of(reply(s, "r" + next)), 0));
              assertThat(r.getFirst().outboxSeq()).isEqualTo(next);
              store.markDelivered(s, next);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    for (Thread t : ts) assertThat(t.join(Duration.ofSeconds(300))).isTrue();
    stop.set(true);
    assertThat(pruner.join(Duration.ofSeconds(WAIT_S))).isTrue();
    assertThat(failure.get()).isNull();
    for (int t = 0; t < threads; t++) {
      for (int k = 0; k < sessionsPerThread; k++) {
        var data = store.loadSession(new SessionKey("api:u:t" + t + "s" + k));
        assertThat(data.state()).containsEntry("n", Integer.toString(messagesPerSession));
        assertThat(data.lastOutboxSeq()).isEqualTo(messagesPerSession);
        assertThat(data.transcript()).hasSize(messagesPerSession);
      }
    }
    assertThat(store.unfinished()).isEmpty();
    assertThat(store.undeliveredReplies()).isEmpty();
  }

  @Test
  void aClosedStoreRefusesWrites() {
    JdbcStore store = open();
    store.close();
    opened.remove(store);
    assertThatThrownBy(() -> store.ingest(entry("late", scheduler.now())))
        .isInstanceOf(StoreException.class).hasMessageContaining("closed");
  }

  /**
   * P10 on the JDBC stores: an anchor put longer ago than the dedup window goes with the dedup records, unless
   * its session still has an undelivered reply or an unfinished message (a re-run or the final delivery may
   * still edit that preview). The clock is the store's injected one.
   */
  @Test
  void pruneForgetsOldAnchorsOfSessionsThatNoLongerNeedThem() {
    JdbcStore store = open();
    SessionKey idle = new SessionKey("api:u:idle");
    SessionKey pending = new SessionKey("api:u:pending");
    SessionKey running = new SessionKey("api:u:running");
    SessionKey fresh = new SessionKey("api:u:fresh");
    Instant t0 = scheduler.now();
    store.putAnchor(idle, "m1#1", "a-idle");
    store.putAnchor(pending, "m1#1", "a-pending");
    store.commitTurn(TurnCommit.finishOnly(pending, List.of(), MessageStatus.DONE, List.of(reply(pending, "r"))));
    store.putAnchor(running, "m1#1", "a-running");
    store.ingest(new JournalEntry(new DedupKey("api:run1"), running,
        InboundMessage.of("api", "run1", "running", "hi", t0), t0));
    scheduler.advance(Duration.ofHours(2));
    store.putAnchor(fresh, "m1#1", "a-fresh");
    Instant before = t0.plus(Duration.ofHours(1));
    assertThat(store.prune(before, scheduler.now())).isEqualTo(1);
    assertThat(store.anchor(idle, "m1#1")).isEmpty();
    assertThat(store.anchor(pending, "m1#1")).as("its reply is undelivered").contains("a-pending");
    assertThat(store.anchor(running, "m1#1")).as("its message is unfinished").contains("a-running");
    assertThat(store.anchor(fresh, "m1#1")).as("younger than the window").contains("a-fresh");
    store.markDelivered(pending, 1);
    store.updateStatus(List.of(new DedupKey("api:run1")), MessageStatus.DONE);
    store.prune(before, scheduler.now());
    assertThat(store.anchor(pending, "m1#1")).isEmpty();
    assertThat(store.anchor(running, "m1#1")).isEmpty();
    assertThat(store.anchor(fresh, "m1#1")).contains("a-fresh");
  }

  /** Rows written by a Baton before P10 read as replies that were not streamed and answer only in_reply_to. */
  @Test
  void outboxRowsFromBeforeTheMigrationReadAsUnstreamedReplies() throws Exception {
    migrateOnlyTo(versionBeforeStreams());
    try (java.sql.Connection c = connect(); java.sql.Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO sessions (session, last_outbox_seq) VALUES ('api:u:old', 1)");
      st.executeUpdate("INSERT INTO outbox (session, outbox_seq, channel, chat, in_reply_to, kind, text, turn,"
          + " routing) VALUES ('api:u:old', 1, 'api', 'api:u:old', 'm7', 'REPLY', 'from before', 3, '')");
    }
    JdbcStore store = open();
    SessionKey old = new SessionKey("api:u:old");
    assertThat(store.undeliveredReplies(old)).containsExactly(new Reply(old, 1, "api", "api:u:old", "m7",
        Reply.Kind.REPLY, "from before", OptionalLong.of(3), Map.of()));
    Reply r = store.undeliveredReplies(old).getFirst();
    assertThat(r.streamId()).isEmpty();
    assertThat(r.covers()).containsExactly("m7");
    store.putAnchor(old, "m8#1", "after the migration");
    assertThat(store.anchor(old, "m8#1")).contains("after the migration");
  }
}
