package dev.baton.testing.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.SessionKey;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Journaled;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Store;
import dev.baton.spi.StoreStats;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.TestThreads;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The journal SPI of {@link Store} (DESIGN §1 step 3): {@code ingest} as the atomic dedup-and-journal step,
 * {@code release}, {@code updateStatus}, the unfinished journal and its pages, retention ({@code prune}) and the
 * counts of {@code stats}.
 *
 * <p>Part of the store contract (STYLE 6), split by SPI; every store runs each part that applies to it, see
 * {@link StoreCases}. Concurrency cases use real threads released together ({@link TestThreads#together});
 * every thread is joined and a failure in any of them fails the test.
 */
public interface JournalContract extends StoreCases {

  @Test
  default void ingestInsertsOnceThenFindsTheEntry() {
    JournalEntry e = entry("s1", "m1", "hello");
    IngestResult first = store().ingest(e);
    assertThat(first).isInstanceOf(IngestResult.Inserted.class);
    assertThat(((IngestResult.Inserted) first).journalSeq()).isPositive();
    assertThat(store().ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    assertThat(store().ingest(entry("s1", "m1", "other text, same key")))
        .isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    IngestResult second = store().ingest(entry("s1", "m2", "next"));
    assertThat(((IngestResult.Inserted) second).journalSeq())
        .isGreaterThan(((IngestResult.Inserted) first).journalSeq());
    assertThat(store().stats().journalEntries()).isEqualTo(2);
  }

  @Test
  default void concurrentIngestsOfOneKeyInsertExactlyOnce() throws Exception {
    int threads = 8;
    int keys = 200;
    Map<String, List<IngestResult>> results = new ConcurrentHashMap<>();
    TestThreads.together(threads, t -> () -> {
      List<Integer> order = new ArrayList<>();
      for (int k = 0; k < keys; k++) order.add(k);
      Collections.shuffle(order, new Random(t));
      for (int k : order) {
        String id = "m" + k;
        IngestResult r = store().ingest(entry("s" + (k % 7), id, "text " + k));
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
    assertThat(store().stats().journalEntries()).isEqualTo(keys);
    assertThat(store().unfinished()).hasSize(keys);
  }

  @Test
  default void releaseForgetsTheKeySoALaterDeliveryIsAdmitted() {
    JournalEntry e = entry("s1", "m1", "hello");
    store().ingest(e);
    store().release(e.key());
    assertThat(store().unfinished()).isEmpty();
    assertThat(store().ingest(e)).isInstanceOf(IngestResult.Inserted.class);
    store().release(new DedupKey("api:absent")); // no-op
    assertThat(store().stats().journalEntries()).isEqualTo(1);
  }

  @Test
  default void statusMovesThroughTheLifecycle() {
    JournalEntry e = entry("s1", "m1", "hello");
    store().ingest(e);
    for (MessageStatus s : List.of(MessageStatus.QUEUED, MessageStatus.RUNNING, MessageStatus.DONE)) {
      store().updateStatus(List.of(e.key(), new DedupKey("api:unknown")), s);
      assertThat(store().ingest(e)).isEqualTo(new IngestResult.Existing(s));
    }
    assertThat(store().unfinished()).isEmpty();
    assertThat(store().stats().unfinished()).isZero();
    assertThat(store().stats().journalEntries()).isEqualTo(1);
  }

  @Test
  default void unfinishedListsNonTerminalEntriesInJournalOrderWithTheirWholeMessage() {
    List<JournalEntry> all = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      InboundMessage m = new InboundMessage("telegram", "m" + i, "user" + (i % 2), i % 2 == 0 ? "chat-9" : "",
          i % 3 == 0 ? OrderKey.sequence(i) : i % 3 == 1 ? OrderKey.monotonic(1000L + i) : OrderKey.none(),
          "text \u00e9\u4e2d & = % " + i, Instant.parse("2026-01-01T00:00:00.123456789Z").plusSeconds(i),
          i == 1 ? Map.of("thread", "t=1&x", "channel", "C 1%") : Map.of());
      JournalEntry e = new JournalEntry(new DedupKey("telegram:m" + i), new SessionKey("telegram:u:user" + (i % 2)),
          m, scheduler().now().plusNanos(i * 1_001L));
      all.add(e);
      store().ingest(e);
    }
    store().updateStatus(List.of(all.get(2).key()), MessageStatus.DONE);
    store().updateStatus(List.of(all.get(4).key()), MessageStatus.EXPIRED);
    store().updateStatus(List.of(all.get(1).key()), MessageStatus.RUNNING);
    store().updateStatus(List.of(all.get(3).key()), MessageStatus.QUEUED);
    assertThat(store().unfinished()).containsExactly(all.get(0), all.get(1), all.get(3), all.get(5));
  }

  @Test
  default void pagingTheUnfinishedJournalGroupsSessionsAndVisitsEachEntryOnce() {
    List<JournalEntry> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      JournalEntry e = entry(List.of("zed", "amy", "max").get(i % 3), "u" + i, "t" + i);
      store().ingest(e);
      all.add(e);
    }
    store().updateStatus(List.of(all.get(0).key(), all.get(4).key()), MessageStatus.DONE);
    List<JournalEntry> seen = new ArrayList<>();
    Journaled after = null;
    int pages = 0;
    while (true) {
      List<Journaled> page = store().unfinishedPage(after, 3);
      if (page.isEmpty()) break;
      if (page.size() > 3) throw new AssertionError("a page larger than its limit: " + page.size());
      if (pages++ == 0) store().updateStatus(List.of(all.get(11).key()), MessageStatus.DONE); // finished meanwhile
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
  default void pruneRemovesOnlyOldTerminalEntriesAndExpiredRecords() {
    Instant t0 = scheduler().now();
    JournalEntry oldDone = entryAt("a", "old-done", t0);
    JournalEntry oldOpen = entryAt("a", "old-open", t0);
    JournalEntry newDone = entryAt("a", "new-done", t0.plus(Duration.ofHours(2)));
    for (JournalEntry e : List.of(oldDone, oldOpen, newDone)) store().ingest(e);
    store().updateStatus(List.of(oldDone.key(), newDone.key()), MessageStatus.DONE);
    SessionKey s = new SessionKey("api:u:a");
    store().idempotency().putIfAbsent(s, "t", "expired", new IdempotencyRecords.Record("h", "ok", "1", t0.plusSeconds(10)));
    store().idempotency().putIfAbsent(s, "t", "live", new IdempotencyRecords.Record("h", "ok", "2", t0.plusSeconds(7200)));

    long removed = store().prune(t0.plus(Duration.ofHours(1)), t0.plusSeconds(60));

    assertThat(removed).isEqualTo(2);
    assertThat(store().ingest(oldDone)).as("pruned key is admitted again").isInstanceOf(IngestResult.Inserted.class);
    assertThat(store().ingest(oldOpen)).isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    assertThat(store().ingest(newDone)).isEqualTo(new IngestResult.Existing(MessageStatus.DONE));
    assertThat(store().idempotency().find(s, "t", "expired")).isEmpty();
    assertThat(store().idempotency().find(s, "t", "live")).isPresent();
    assertThat(store().prune(t0.plus(Duration.ofHours(1)), t0.plusSeconds(60))).isZero();
  }

  @Test
  default void statsCountWhatIsStored() {
    SessionKey s = new SessionKey("api:u:a");
    JournalEntry e1 = entry("a", "m1", "x");
    JournalEntry e2 = entry("a", "m2", "y");
    store().ingest(e1);
    store().ingest(e2);
    store().commitTurn(TurnCommit.finishOnly(s, List.of(e1.key()), MessageStatus.DONE, List.of(reply(s, "r", 1))));
    store().idempotency().putIfAbsent(s, "t", "k", new IdempotencyRecords.Record("h", "ok", "r", scheduler().now()));
    assertThat(store().stats()).isEqualTo(new StoreStats(2, 1, 1, 1));
    assertThat(store().ping()).isTrue();
  }
}
