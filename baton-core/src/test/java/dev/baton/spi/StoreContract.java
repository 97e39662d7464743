package dev.baton.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Store}, run against every implementation (STYLE 6): memory, sqlite and postgres.
 * Subclasses say how to open a fresh, empty store and, for durable stores, how to open another instance on
 * the same data (a restart, or a second node). Concurrency cases use real threads started together at a
 * barrier; every thread is joined and a failure in any of them fails the test.
 */
public abstract class StoreContract {

  /** Longest any test thread may take before the test fails as hung. */
  protected static final long THREAD_TIMEOUT_S = 60;

  protected final ManualScheduler scheduler = new ManualScheduler();
  protected Store store;
  private final List<Store> extra = new ArrayList<>();

  /** A fresh, empty store whose time comes from {@code scheduler}. */
  protected abstract Store open(ManualScheduler scheduler) throws Exception;

  /**
   * Another instance on the same data as the store {@link #open} returned last (a restart or a second node),
   * or empty when the implementation keeps nothing outside the instance.
   */
  protected Optional<Store> openAnother(ManualScheduler scheduler) throws Exception {
    return Optional.empty();
  }

  @BeforeEach
  final void openStore() throws Exception {
    store = open(scheduler);
  }

  @AfterEach
  final void closeStores() {
    for (Store s : extra) s.close();
    store.close();
  }

  // ---------------------------------------------------------------- ingest and dedup

  @Test
  void ingestInsertsOnceThenFindsTheEntry() {
    JournalEntry e = entry("s1", "m1", "hello");
    IngestResult first = store.ingest(e);
    assertThat(first).isInstanceOf(IngestResult.Inserted.class);
    assertThat(((IngestResult.Inserted) first).journalSeq()).isPositive();
    assertThat(store.ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    assertThat(store.ingest(entry("s1", "m1", "other text, same key")))
        .isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    IngestResult second = store.ingest(entry("s1", "m2", "next"));
    assertThat(((IngestResult.Inserted) second).journalSeq())
        .isGreaterThan(((IngestResult.Inserted) first).journalSeq());
    assertThat(store.stats().journalEntries()).isEqualTo(2);
  }

  @Test
  void concurrentIngestsOfOneKeyInsertExactlyOnce() throws Exception {
    int threads = 8;
    int keys = 200;
    Map<String, List<IngestResult>> results = new ConcurrentHashMap<>();
    runConcurrently(threads, t -> () -> {
      List<Integer> order = new ArrayList<>();
      for (int k = 0; k < keys; k++) order.add(k);
      Collections.shuffle(order, new Random(t));
      for (int k : order) {
        String id = "m" + k;
        IngestResult r = store.ingest(entry("s" + (k % 7), id, "text " + k));
        results.computeIfAbsent(id, x -> Collections.synchronizedList(new ArrayList<>())).add(r);
      }
      return null;
    });
    assertThat(results).hasSize(keys);
    for (var e : results.entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).hasSize(threads);
      assertThat(e.getValue().stream().filter(r -> r instanceof IngestResult.Inserted).count())
          .as("Inserted results for " + e.getKey()).isEqualTo(1);
    }
    assertThat(store.stats().journalEntries()).isEqualTo(keys);
    assertThat(store.unfinished()).hasSize(keys);
  }

  @Test
  void releaseForgetsTheKeySoALaterDeliveryIsAdmitted() {
    JournalEntry e = entry("s1", "m1", "hello");
    store.ingest(e);
    store.release(e.key());
    assertThat(store.unfinished()).isEmpty();
    assertThat(store.ingest(e)).isInstanceOf(IngestResult.Inserted.class);
    store.release(new DedupKey("api:absent")); // no-op
    assertThat(store.stats().journalEntries()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- status and recovery

  @Test
  void statusMovesThroughTheLifecycle() {
    JournalEntry e = entry("s1", "m1", "hello");
    store.ingest(e);
    for (MessageStatus s : List.of(MessageStatus.QUEUED, MessageStatus.RUNNING, MessageStatus.DONE)) {
      store.updateStatus(List.of(e.key(), new DedupKey("api:unknown")), s);
      assertThat(store.ingest(e)).isEqualTo(new IngestResult.Existing(s));
    }
    assertThat(store.unfinished()).isEmpty();
    assertThat(store.stats().unfinished()).isZero();
    assertThat(store.stats().journalEntries()).isEqualTo(1);
  }

  @Test
  void unfinishedListsNonTerminalEntriesInJournalOrderWithTheirWholeMessage() {
    List<JournalEntry> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      InboundMessage m = new InboundMessage("telegram", "m" + i, "user" + (i % 2), i % 2 == 0 ? "chat-9" : "",
          i % 3 == 0 ? OrderKey.sequence(i) : i % 3 == 1 ? OrderKey.monotonic(1000L + i) : OrderKey.none(),
          "text \u00e9\u4e2d & = % " + i, Instant.parse("2026-01-01T00:00:00.123456789Z").plusSeconds(i),
          i == 1 ? Map.of("thread", "t=1&x", "channel", "C 1%") : Map.of());
      JournalEntry e = new JournalEntry(new DedupKey("telegram:m" + i), new SessionKey("telegram:u:user" + (i % 2)),
          m, scheduler.now().plusNanos(i * 1_001L));
      all.add(e);
      store.ingest(e);
    }
    store.updateStatus(List.of(all.get(2).key()), MessageStatus.DONE);
    store.updateStatus(List.of(all.get(4).key()), MessageStatus.EXPIRED);
    store.updateStatus(List.of(all.get(1).key()), MessageStatus.RUNNING);
    store.updateStatus(List.of(all.get(3).key()), MessageStatus.QUEUED);
    assertThat(store.unfinished()).containsExactly(all.get(0), all.get(1), all.get(3), all.get(5));
  }

  // ---------------------------------------------------------------- sessions and turns

  @Test
  void aNewSessionIsEmpty() {
    assertThat(store.loadSession(new SessionKey("api:u:nobody"))).isEqualTo(SessionData.empty());
  }

  @Test
  void commitTurnAppliesWritesTranscriptRepliesAndStatusTogether() {
    SessionKey s = new SessionKey("api:u:alice");
    JournalEntry e = entry("alice", "m1", "hi");
    store.ingest(e);
    store.updateStatus(List.of(e.key()), MessageStatus.RUNNING);
    Instant at = scheduler.now();
    List<Transcript.Entry> transcript = List.of(new Transcript.Entry(Transcript.Role.USER, "hi", at),
        new Transcript.Entry(Transcript.Role.ASSISTANT, "echo: hi", at.plusNanos(1)));
    List<Reply> stored = store.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE,
        Map.of("turns", Optional.empty()), Map.of("turns", Optional.of("1"), "name", Optional.of("Alice")),
        transcript, List.of(reply(s, "echo: hi", 1), reply(s, "second", 1)), 0));

    assertThat(stored).extracting(Reply::outboxSeq).containsExactly(1L, 2L);
    assertThat(stored).extracting(Reply::text).containsExactly("echo: hi", "second");
    assertThat(stored.get(0)).isEqualTo(withSeq(reply(s, "echo: hi", 1), 1));
    SessionData data = store.loadSession(s);
    assertThat(data.state()).isEqualTo(Map.of("turns", "1", "name", "Alice"));
    assertThat(data.transcript()).isEqualTo(transcript);
    assertThat(data.lastOutboxSeq()).isEqualTo(2);
    assertThat(store.ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.DONE));
    assertThat(store.undeliveredReplies()).isEqualTo(stored);

    // A second turn compares, removes a key and appends after the first.
    List<Reply> next = store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE,
        Map.of("turns", Optional.of("1")), Map.of("turns", Optional.of("2"), "name", Optional.empty()),
        List.of(new Transcript.Entry(Transcript.Role.USER, "again", at.plusSeconds(1))),
        List.of(reply(s, "echo: again", 2)), 0));
    assertThat(next).extracting(Reply::outboxSeq).containsExactly(3L);
    SessionData after = store.loadSession(s);
    assertThat(after.state()).isEqualTo(Map.of("turns", "2"));
    assertThat(after.transcript()).hasSize(3).last().extracting(Transcript.Entry::text).isEqualTo("again");
    assertThat(after.lastOutboxSeq()).isEqualTo(3);
  }

  @Test
  void aConflictingCommitWritesNothing() {
    SessionKey s = new SessionKey("api:u:alice");
    store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of("k", Optional.of("v1")),
        List.of(), List.of(reply(s, "first", 1)), 0));
    JournalEntry e = entry("alice", "m1", "hi");
    store.ingest(e);
    store.updateStatus(List.of(e.key()), MessageStatus.RUNNING);
    SessionData before = store.loadSession(s);
    List<Map<String, Optional<String>>> stale = List.of(Map.of("k", Optional.of("v0")), Map.of("k", Optional.empty()),
        Map.of("k", Optional.of("v1"), "other", Optional.of("x")));
    for (Map<String, Optional<String>> expected : stale) {
      assertThatThrownBy(() -> store.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE, expected,
          Map.of("k", Optional.of("v2"), "new", Optional.of("n")),
          List.of(new Transcript.Entry(Transcript.Role.USER, "hi", scheduler.now())),
          List.of(reply(s, "never", 2)), 0))).isInstanceOf(ConflictException.class);
    }
    assertThat(store.loadSession(s)).isEqualTo(before);
    assertThat(store.ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.RUNNING));
    assertThat(store.undeliveredReplies()).extracting(Reply::text).containsExactly("first");
    // The next successful commit continues the outbox right after the last committed reply.
    List<Reply> ok = store.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE,
        Map.of("k", Optional.of("v1"), "other", Optional.empty()), Map.of("k", Optional.of("v2")), List.of(),
        List.of(reply(s, "ok", 2)), 0));
    assertThat(ok).extracting(Reply::outboxSeq).containsExactly(2L);
  }

  @Test
  void concurrentCommitsGetConsecutiveOutboxSeqsPerSession() throws Exception {
    int threads = 6;
    int commitsPerThread = 25;
    List<SessionKey> sessions = List.of(new SessionKey("api:u:a"), new SessionKey("api:u:b"));
    runConcurrently(threads, t -> () -> {
      SessionKey s = sessions.get(t % 2);
      for (int i = 0; i < commitsPerThread; i++) {
        List<Reply> got = store.commitTurn(TurnCommit.finishOnly(s, List.of(), MessageStatus.DONE,
            List.of(reply(s, t + "/" + i + "/a", i), reply(s, t + "/" + i + "/b", i))));
        assertThat(got.get(1).outboxSeq()).isEqualTo(got.get(0).outboxSeq() + 1);
      }
      return null;
    });
    List<Reply> undelivered = store.undeliveredReplies();
    for (SessionKey s : sessions) {
      List<Long> seqs = undelivered.stream().filter(r -> r.session().equals(s)).map(Reply::outboxSeq).toList();
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= (long) threads / 2 * commitsPerThread * 2; i++) expected.add(i);
      assertThat(seqs).as("outbox of " + s).isEqualTo(expected);
      assertThat(store.loadSession(s).lastOutboxSeq()).isEqualTo(expected.size());
    }
  }

  @Test
  void concurrentCompareAndSetCommitsOfOneSessionLoseNoUpdate() throws Exception {
    SessionKey s = new SessionKey("api:u:counter");
    int threads = 4;
    int incrementsPerThread = 25;
    runConcurrently(threads, t -> () -> {
      int done = 0;
      while (done < incrementsPerThread) {
        Optional<String> seen = Optional.ofNullable(store.loadSession(s).state().get("n"));
        long next = seen.map(Long::parseLong).orElse(0L) + 1;
        try {
          store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of("n", seen),
              Map.of("n", Optional.of(Long.toString(next))), List.of(), List.of(), 0));
          done++;
        } catch (ConflictException retry) {
          // another thread won this round; read again
        }
      }
      return null;
    });
    assertThat(store.loadSession(s).state()).containsEntry("n", Integer.toString(threads * incrementsPerThread));
  }

  // ---------------------------------------------------------------- outbox

  @Test
  void deliveredRepliesAreNotOfferedAgain() {
    SessionKey a = new SessionKey("api:u:a");
    SessionKey b = new SessionKey("api:u:b");
    store.commitTurn(TurnCommit.finishOnly(a, List.of(), MessageStatus.DONE, List.of(reply(a, "a1", 1), reply(a, "a2", 1))));
    store.commitTurn(TurnCommit.finishOnly(b, List.of(), MessageStatus.DONE, List.of(reply(b, "b1", 1))));
    store.commitTurn(TurnCommit.finishOnly(a, List.of(), MessageStatus.DONE, List.of(reply(a, "a3", 2))));
    assertThat(texts(store.undeliveredReplies(), a)).containsExactly("a1", "a2", "a3");
    store.markDelivered(a, 1);
    store.markDelivered(b, 1);
    store.markDelivered(b, 99); // unknown: ignored
    assertThat(store.undeliveredReplies()).extracting(Reply::text).containsExactly("a2", "a3");
    assertThat(store.stats().undeliveredReplies()).isEqualTo(2);
    assertThat(store.loadSession(a).lastOutboxSeq()).isEqualTo(3);
    // Delivered replies do not give their seq back.
    store.markDelivered(a, 2);
    store.markDelivered(a, 3);
    assertThat(store.commitTurn(TurnCommit.finishOnly(a, List.of(), MessageStatus.DONE, List.of(reply(a, "a4", 3))))
        .get(0).outboxSeq()).isEqualTo(4);
  }

  // ---------------------------------------------------------------- idempotency

  @Test
  void idempotencyRecordsKeepTheFirstResult() throws Exception {
    SessionKey s = new SessionKey("api:u:alice");
    IdempotencyRecords ids = store.idempotency();
    assertThat(ids.find(s, "write_file", "k1")).isEmpty();
    Instant exp = scheduler.now().plusSeconds(3600);
    var first = new IdempotencyRecords.Record("h1", "ok", "{\"n\":1}", exp);
    assertThat(ids.putIfAbsent(s, "write_file", "k1", first)).isEqualTo(first);
    assertThat(ids.putIfAbsent(s, "write_file", "k1", new IdempotencyRecords.Record("h2", "ok", "{}", exp)))
        .isEqualTo(first);
    assertThat(ids.find(s, "write_file", "k1")).contains(first);
    assertThat(ids.find(new SessionKey("api:u:bob"), "write_file", "k1")).isEmpty();
    assertThat(ids.find(s, "other_tool", "k1")).isEmpty();

    Map<String, Set1> winners = new ConcurrentHashMap<>();
    runConcurrently(6, t -> () -> {
      for (int k = 0; k < 30; k++) {
        var mine = new IdempotencyRecords.Record("h", "ok", "thread " + t, exp);
        var stored = ids.putIfAbsent(s, "tool", "key" + k, mine);
        winners.computeIfAbsent("key" + k, x -> new Set1()).add(stored.result());
      }
      return null;
    });
    assertThat(winners).hasSize(30);
    winners.forEach((k, v) -> assertThat(v.values).as(k).hasSize(1));
    assertThat(store.stats().idempotencyRecords()).isEqualTo(31);
  }

  private static final class Set1 {
    final java.util.Set<String> values = ConcurrentHashMap.newKeySet();

    void add(String v) {
      values.add(v);
    }
  }

  // ---------------------------------------------------------------- retention

  @Test
  void pruneRemovesOnlyOldTerminalEntriesAndExpiredRecords() {
    Instant t0 = scheduler.now();
    JournalEntry oldDone = entryAt("a", "old-done", t0);
    JournalEntry oldOpen = entryAt("a", "old-open", t0);
    JournalEntry newDone = entryAt("a", "new-done", t0.plus(Duration.ofHours(2)));
    for (JournalEntry e : List.of(oldDone, oldOpen, newDone)) store.ingest(e);
    store.updateStatus(List.of(oldDone.key(), newDone.key()), MessageStatus.DONE);
    SessionKey s = new SessionKey("api:u:a");
    store.idempotency().putIfAbsent(s, "t", "expired", new IdempotencyRecords.Record("h", "ok", "1", t0.plusSeconds(10)));
    store.idempotency().putIfAbsent(s, "t", "live", new IdempotencyRecords.Record("h", "ok", "2", t0.plusSeconds(7200)));

    long removed = store.prune(t0.plus(Duration.ofHours(1)), t0.plusSeconds(60));

    assertThat(removed).isEqualTo(2);
    assertThat(store.ingest(oldDone)).as("pruned key is admitted again").isInstanceOf(IngestResult.Inserted.class);
    assertThat(store.ingest(oldOpen)).isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    assertThat(store.ingest(newDone)).isEqualTo(new IngestResult.Existing(MessageStatus.DONE));
    assertThat(store.idempotency().find(s, "t", "expired")).isEmpty();
    assertThat(store.idempotency().find(s, "t", "live")).isPresent();
    assertThat(store.prune(t0.plus(Duration.ofHours(1)), t0.plusSeconds(60))).isZero();
  }

  @Test
  void statsCountWhatIsStored() {
    SessionKey s = new SessionKey("api:u:a");
    JournalEntry e1 = entry("a", "m1", "x");
    JournalEntry e2 = entry("a", "m2", "y");
    store.ingest(e1);
    store.ingest(e2);
    store.commitTurn(TurnCommit.finishOnly(s, List.of(e1.key()), MessageStatus.DONE, List.of(reply(s, "r", 1))));
    store.idempotency().putIfAbsent(s, "t", "k", new IdempotencyRecords.Record("h", "ok", "r", scheduler.now()));
    assertThat(store.stats()).isEqualTo(new StoreStats(2, 1, 1, 1));
    assertThat(store.ping()).isTrue();
  }

  // ---------------------------------------------------------------- durability

  @Test
  void everythingCommittedSurvivesAReopen() throws Exception {
    Optional<Store> probe = openAnother(scheduler);
    assumeThat(probe).as("store keeps data outside the instance").isPresent();
    probe.get().close();
    SessionKey s = new SessionKey("api:u:a");
    JournalEntry open = entry("a", "m1", "x");
    JournalEntry done = entry("a", "m2", "y");
    store.ingest(open);
    store.ingest(done);
    List<Reply> replies = store.commitTurn(new TurnCommit(s, List.of(done.key()), MessageStatus.DONE, Map.of(),
        Map.of("k", Optional.of("v")), List.of(new Transcript.Entry(Transcript.Role.USER, "y", scheduler.now())),
        List.of(reply(s, "r", 1)), 0));
    var rec = new IdempotencyRecords.Record("h", "ok", "r", scheduler.now().plusSeconds(5));
    store.idempotency().putIfAbsent(s, "t", "k", rec);
    SessionData data = store.loadSession(s);
    store.close();

    store = openAnother(scheduler).orElseThrow();
    assertThat(store.unfinished()).containsExactly(open);
    assertThat(store.ingest(done)).isEqualTo(new IngestResult.Existing(MessageStatus.DONE));
    assertThat(store.loadSession(s)).isEqualTo(data);
    assertThat(store.undeliveredReplies()).isEqualTo(replies);
    assertThat(store.idempotency().find(s, "t", "k")).contains(rec);
  }

  // ---------------------------------------------------------------- leases and fencing

  @Test
  void aStaleOwnerIsFencedOffAfterTakeover() throws Exception {
    assumeThat(store.leases()).as("store offers leases").isPresent();
    Store nodeB = openAnother(scheduler).map(this::track).orElse(store);
    SessionLeases a = store.leases().orElseThrow();
    SessionLeases b = nodeB.leases().orElseThrow();
    SessionKey s = new SessionKey("api:u:alice");
    Duration ttl = Duration.ofSeconds(30);

    SessionLeases.Lease la = a.acquire(s, "node-a", ttl).orElseThrow();
    assertThat(la.token()).isEqualTo(1);
    assertThat(la.expiresAt()).isEqualTo(scheduler.now().plus(ttl));
    assertThat(b.acquire(s, "node-b", ttl)).as("held by a").isEmpty();
    assertThat(a.acquire(s, "node-a", ttl)).as("re-acquire by the holder keeps the token")
        .hasValueSatisfying(l -> assertThat(l.token()).isEqualTo(1));
    store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of("owner", Optional.of("a")),
        List.of(), List.of(reply(s, "from a", 1)), la.token()));

    scheduler.advance(Duration.ofSeconds(20));
    la = a.renew(la, ttl).orElseThrow();
    scheduler.advance(Duration.ofSeconds(29));
    assertThat(b.acquire(s, "node-b", ttl)).as("renewed lease still held").isEmpty();
    scheduler.advance(Duration.ofSeconds(2));

    SessionLeases.Lease lb = b.acquire(s, "node-b", ttl).orElseThrow();
    assertThat(lb.token()).isEqualTo(2);
    assertThat(b.current(s)).contains(lb);
    JournalEntry e = entry("alice", "m1", "hi");
    store.ingest(e);
    SessionData before = nodeB.loadSession(s);
    long staleToken = la.token();
    assertThatThrownBy(() -> store.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE, Map.of(),
        Map.of("owner", Optional.of("a again")), List.of(new Transcript.Entry(Transcript.Role.USER, "hi", scheduler.now())),
        List.of(reply(s, "stale", 2)), staleToken))).isInstanceOf(FencedException.class);
    assertThat(nodeB.loadSession(s)).isEqualTo(before);
    assertThat(nodeB.ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    assertThat(nodeB.undeliveredReplies()).extracting(Reply::text).containsExactly("from a");
    assertThat(a.renew(la, ttl)).as("a lost its lease").isEmpty();
    a.release(la); // lost: does nothing
    assertThat(b.current(s)).contains(lb);

    nodeB.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE, Map.of(), Map.of("owner", Optional.of("b")),
        List.of(), List.of(reply(s, "from b", 2)), lb.token()));
    assertThat(store.loadSession(s).state()).containsEntry("owner", "b");
    b.release(lb);
    SessionLeases.Lease again = a.acquire(s, "node-a", ttl).orElseThrow();
    assertThat(again.token()).as("a released lease is free at once, under a new token").isEqualTo(3);
  }

  @Test
  void concurrentAcquiresOfAFreeSessionHaveOneWinner() throws Exception {
    assumeThat(store.leases()).as("store offers leases").isPresent();
    Store nodeB = openAnother(scheduler).map(this::track).orElse(store);
    List<SessionLeases> nodes = List.of(store.leases().orElseThrow(), nodeB.leases().orElseThrow());
    Map<String, List<String>> winners = new ConcurrentHashMap<>();
    runConcurrently(4, t -> () -> {
      for (int i = 0; i < 40; i++) {
        SessionKey s = new SessionKey("api:u:s" + i);
        nodes.get(t % 2).acquire(s, "node-" + t, Duration.ofSeconds(30)).ifPresent(l ->
            winners.computeIfAbsent(s.value(), x -> Collections.synchronizedList(new ArrayList<>())).add(l.owner()));
      }
      return null;
    });
    assertThat(winners).hasSize(40);
    winners.forEach((s, w) -> assertThat(w).as(s).hasSize(1));
  }

  // ---------------------------------------------------------------- helpers

  private Store track(Store s) {
    extra.add(s);
    return s;
  }

  // ---------------------------------------------------------------- P11: paged recovery, bounded transcript

  @Test
  void pagingTheOutboxVisitsEveryUndeliveredReplyOnceInSessionThenOutboxOrder() {
    List<SessionKey> sessions = List.of(new SessionKey("api:u:carol"), new SessionKey("api:u:alice"),
        new SessionKey("api:u:bob"));
    for (int i = 0; i < 7; i++) {
      for (SessionKey s : sessions) {
        store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(),
            List.of(reply(s, s.value() + "#" + (i + 1), i + 1)), 0));
      }
    }
    store.markDelivered(sessions.get(1), 3);
    List<Reply> seen = new ArrayList<>();
    Reply after = null;
    int pages = 0;
    while (true) {
      List<Reply> page = store.undeliveredRepliesPage(after, 4);
      assertThat(page.size()).isLessThanOrEqualTo(4);
      if (page.isEmpty()) break;
      if (pages++ == 1) store.markDelivered(sessions.get(2), 7); // delivered during the walk, not yet visited
      seen.addAll(page);
      after = page.getLast();
    }
    assertThat(seen).hasSize(19).doesNotHaveDuplicates();
    assertThat(seen).extracting(Reply::text).doesNotContain("api:u:alice#3", "api:u:bob#7");
    // Grouped by session; within a session in outbox order.
    List<SessionKey> order = new ArrayList<>();
    for (Reply r : seen) if (order.isEmpty() || !order.getLast().equals(r.session())) order.add(r.session());
    assertThat(order).hasSize(3).containsExactlyInAnyOrderElementsOf(sessions);
    for (SessionKey s : sessions) {
      assertThat(seen.stream().filter(r -> r.session().equals(s)).map(Reply::outboxSeq).toList()).isSorted();
    }
  }

  @Test
  void pagingTheUnfinishedJournalGroupsSessionsAndVisitsEachEntryOnce() {
    List<JournalEntry> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      JournalEntry e = entry(List.of("zed", "amy", "max").get(i % 3), "u" + i, "t" + i);
      store.ingest(e);
      all.add(e);
    }
    store.updateStatus(List.of(all.get(0).key(), all.get(4).key()), MessageStatus.DONE);
    List<JournalEntry> seen = new ArrayList<>();
    Journaled after = null;
    int pages = 0;
    while (true) {
      List<Journaled> page = store.unfinishedPage(after, 3);
      if (page.isEmpty()) break;
      if (page.size() > 3) throw new AssertionError("a page larger than its limit: " + page.size());
      if (pages++ == 0) store.updateStatus(List.of(all.get(11).key()), MessageStatus.DONE); // finished meanwhile
      for (Journaled j : page) seen.add(j.entry());
      after = page.getLast();
    }
    assertThat(seen).extracting(JournalEntry::key).doesNotHaveDuplicates()
        .doesNotContain(all.get(0).key(), all.get(4).key());
    assertThat(seen.size()).isBetween(9, 10); // entry 11 may have been read before it finished
    List<SessionKey> order = new ArrayList<>();
    for (JournalEntry e : seen) if (order.isEmpty() || !order.getLast().equals(e.session())) order.add(e.session());
    assertThat(order).hasSize(3).doesNotHaveDuplicates();
    for (SessionKey s : order) { // within a session: journal order
      List<String> ids = seen.stream().filter(e -> e.session().equals(s)).map(e -> e.message().messageId()).toList();
      List<String> journalOrder = all.stream().map(e -> e.message().messageId()).filter(ids::contains).toList();
      assertThat(ids).isEqualTo(journalOrder);
    }
  }

  @Test
  void aCommitPastMaxTranscriptEntriesKeepsTheNewest() {
    SessionKey s = new SessionKey("api:u:talker");
    int max = dev.baton.config.StorageConfig.DEFAULT_MAX_TRANSCRIPT_ENTRIES;
    Instant at = scheduler.now();
    List<Transcript.Entry> first = new ArrayList<>();
    for (int i = 0; i < max - 2; i++) first.add(new Transcript.Entry(Transcript.Role.USER, "e" + i, at));
    store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), first, List.of(), 0));
    List<Transcript.Entry> more = new ArrayList<>();
    for (int i = max - 2; i < max + 5; i++) more.add(new Transcript.Entry(Transcript.Role.ASSISTANT, "e" + i, at));
    store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), more, List.of(), 0));
    List<Transcript.Entry> kept = store.loadSession(s).transcript();
    assertThat(kept).hasSize(max);
    assertThat(kept.getFirst().text()).isEqualTo("e5");
    assertThat(kept.getLast().text()).isEqualTo("e" + (max + 4));
  }

  @Test
  void aCommitPastMaxOutboxPerSessionDropsTheOldestUndeliveredReplies() {
    SessionKey s = new SessionKey("api:u:neverreads");
    SessionKey other = new SessionKey("api:u:other");
    int max = dev.baton.config.StorageConfig.DEFAULT_MAX_OUTBOX_PER_SESSION;
    store.commitTurn(new TurnCommit(other, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(),
        List.of(reply(other, "keep", 1)), 0));
    List<Reply> first = new ArrayList<>();
    for (int i = 0; i < max - 1; i++) first.add(reply(s, "r" + (i + 1), 1));
    store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(), first, 0));
    store.markDelivered(s, 2); // a delivered one leaves a hole; the bound is by position
    assertThat(store.undeliveredReplies(s)).hasSize(max - 2);
    List<Reply> more = List.of(reply(s, "r" + max, 2), reply(s, "r" + (max + 1), 2), reply(s, "r" + (max + 2), 2));
    store.commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(), more, 0));
    List<Reply> kept = store.undeliveredReplies(s);
    assertThat(kept).hasSize(max); // positions 3..max+2: 1 was dropped, 2 had been delivered
    assertThat(kept.getFirst().outboxSeq()).isEqualTo(3);
    assertThat(kept.getLast().text()).isEqualTo("r" + (max + 2));
    assertThat(store.undeliveredReplies(other)).extracting(Reply::text).containsExactly("keep");
  }

  protected JournalEntry entry(String user, String id, String text) {
    return entryAt(user, id, scheduler.now(), text);
  }

  protected JournalEntry entryAt(String user, String id, Instant receivedAt) {
    return entryAt(user, id, receivedAt, "text of " + id);
  }

  protected static JournalEntry entryAt(String user, String id, Instant receivedAt, String text) {
    InboundMessage m = InboundMessage.of("api", id, user, text, receivedAt);
    return new JournalEntry(new DedupKey("api:" + id), new SessionKey("api:u:" + user), m, receivedAt);
  }

  protected static Reply reply(SessionKey s, String text, long turn) {
    return new Reply(s, 0, "api", s.value(), "m" + turn, Reply.Kind.REPLY, text, OptionalLong.of(turn),
        Map.of("route", "r" + turn));
  }

  private static Reply withSeq(Reply r, long seq) {
    return new Reply(r.session(), seq, r.channel(), r.chat(), r.inReplyTo(), r.kind(), r.text(), r.turn(), r.routing());
  }

  private static List<String> texts(List<Reply> replies, SessionKey s) {
    return replies.stream().filter(r -> r.session().equals(s)).map(Reply::text).toList();
  }

  /**
   * Runs {@code n} tasks on their own platform threads, released together by a barrier; joins all of them
   * and rethrows the first failure of any.
   */
  protected static <T> List<T> runConcurrently(int n, IntFunction<Callable<T>> task) throws Exception {
    CyclicBarrier start = new CyclicBarrier(n);
    List<Thread> threads = new ArrayList<>();
    Map<Integer, T> results = new HashMap<>();
    AtomicReference<@org.jspecify.annotations.Nullable Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < n; i++) {
      Callable<T> c = task.apply(i);
      int idx = i;
      threads.add(Thread.ofPlatform().name("contract-" + i).start(() -> {
        try {
          start.await(THREAD_TIMEOUT_S, TimeUnit.SECONDS);
          T r = c.call();
          synchronized (results) {
            results.put(idx, r);
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
    }
    for (Thread t : threads) {
      if (!t.join(Duration.ofSeconds(THREAD_TIMEOUT_S))) {
        throw new AssertionError("thread " + t.getName() + " did not finish within " + THREAD_TIMEOUT_S + " s");
      }
    }
    if (failure.get() != null) throw new AssertionError("a concurrent task failed", failure.get());
    List<T> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(results.get(i));
    return out;
  }
}
