package dev.baton.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The count bounds of the memory journal: exact under real concurrency, and nothing forgotten to make room. */
class DedupJournalBoundsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final long WINDOW_MS = 60_000;
  private static final int THREADS = 8;
  private static final long JOIN_SECONDS = 30;

  private static JournalEntry entry(String channel, String sender, String id, Instant at) {
    InboundMessage m = InboundMessage.of(channel, id, sender, "t", at);
    return new JournalEntry(DedupKey.of(m, 1), SessionKey.user(channel, sender), m, at);
  }

  @Test
  void concurrentIngestsNeverPassTheChannelBound() throws Exception {
    DedupJournal j = new DedupJournal(WINDOW_MS, 50, 1_000);
    AtomicInteger inserted = new AtomicInteger();
    AtomicInteger full = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int me = t;
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          start.await(JOIN_SECONDS, TimeUnit.SECONDS);
          for (int i = 0; i < 100; i++) {
            switch (j.ingest(entry("api", "u" + me, "m" + i, T0))) {
              case IngestResult.Inserted x -> inserted.incrementAndGet();
              case IngestResult.Full x -> full.incrementAndGet();
              case IngestResult.Existing x -> throw new AssertionError("every key is new");
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
    assertThat(failure.get()).isNull();
    // All keys are distinct, so no ingest holds a slot it gives back: exactly the bound gets in.
    assertThat(inserted.get()).isEqualTo(50);
    assertThat(full.get()).isEqualTo(THREADS * 100 - 50);
    assertThat(j.size()).isEqualTo(50);
  }

  @Test
  void recordsInsideTheWindowAreKeptAndFinishedOnesLeaveAfterIt() {
    DedupJournal j = new DedupJournal(WINDOW_MS, 2, 2);
    JournalEntry bob = entry("api", "bob", "b1", T0);
    assertThat(j.ingest(bob)).isInstanceOf(IngestResult.Inserted.class);
    assertThat(j.ingest(entry("api", "eve", "e1", T0))).isInstanceOf(IngestResult.Inserted.class);
    assertThat(j.ingest(entry("api", "eve", "e2", T0))).isInstanceOf(IngestResult.Full.class);
    j.updateStatus(bob.key(), MessageStatus.DONE);
    // Finished but still inside its window: remembered, so the redelivery is a duplicate.
    assertThat(j.ingest(entry("api", "bob", "b1", T0.plusMillis(WINDOW_MS - 1))))
        .isInstanceOf(IngestResult.Existing.class);
    assertThat(j.ingest(entry("api", "eve", "e2", T0.plusMillis(WINDOW_MS - 1)))).isInstanceOf(IngestResult.Full.class);
    // Past the window the finished record leaves and frees its slot; the unfinished one stays.
    assertThat(j.ingest(entry("api", "eve", "e2", T0.plusMillis(WINDOW_MS + 2_000))))
        .isInstanceOf(IngestResult.Inserted.class);
    assertThat(j.find(entry("api", "eve", "e1", T0).key())).isPresent();
  }

  @Test
  void releasedKeysFreeTheirSlotsAndTheFifoStaysCompact() {
    DedupJournal j = new DedupJournal(WINDOW_MS, 10, 10);
    j.ingest(entry("api", "head", "h", T0)); // unfinished head: blocks expiry at the FIFO head
    for (int i = 0; i < 100_000; i++) {
      JournalEntry e = entry("api", "busy", "m" + i, T0);
      assertThat(j.ingest(e)).isInstanceOf(IngestResult.Inserted.class);
      j.release(e.key());
    }
    assertThat(j.size()).isEqualTo(1);
    assertThat(j.fifoNodes()).isLessThan(3_000);
  }
}
