package dev.baton.internal.store;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import java.time.Instant;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.BooleanGen;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the dedup window (DedupJournal): concurrent ingests of a few keys, some arriving a whole
 * window later than the first (so a finished entry may be replaced), releases, status moves and lookups.
 * First-seen must be atomic: two concurrent ingests of one key both "inserted" is an outcome no serial order
 * explains. (The count bounds are far away here: near a bound, an ingest that turns out a duplicate holds a
 * slot for a moment, so a racing ingest of another key may be refused early, which no serial order explains
 * but which errs on the safe side; DedupJournalBoundsTest covers the bounds.)
 */
@Param(name = "key", gen = IntGen.class, conf = "0:1")
@Param(name = "later", gen = BooleanGen.class)
public class DedupJournalLincheckTest {

  private static final long WINDOW_MS = 1_000;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final DedupJournal journal = new DedupJournal(WINDOW_MS, 1_000);

  private static JournalEntry entry(int key, boolean later) {
    Instant at = later ? T0.plusMillis(WINDOW_MS) : T0;
    return new JournalEntry(new DedupKey("k" + key), SessionKey.user("api", "u"),
        InboundMessage.of("api", "k" + key, "u", "t", at), at);
  }

  @Operation
  public String ingest(@Param(name = "key") int key, @Param(name = "later") boolean later) {
    return switch (journal.ingest(entry(key, later))) {
      case IngestResult.Inserted i -> "inserted";
      case IngestResult.Existing e -> "existing " + e.status();
      case IngestResult.Full f -> "full";
    };
  }

  @Operation
  public void release(@Param(name = "key") int key) {
    journal.release(new DedupKey("k" + key));
  }

  @Operation
  public void finish(@Param(name = "key") int key) {
    journal.updateStatus(new DedupKey("k" + key), MessageStatus.DONE);
  }

  @Operation
  public String status(@Param(name = "key") int key) {
    return journal.find(new DedupKey("k" + key)).map(Enum::name).orElse("absent");
  }

  /** Default suite: 3 threads x 3 operations, 12 scenarios x 250 interleavings (~15 s on 2 loaded cores). */
  @Test
  void modelChecking() {
    check(12, 250);
  }

  /** The wide search (30 x 500, ~50 s), for {@code -Pslow}. */
  @Test
  @Tag("slow")
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void modelCheckingLong() {
    check(30, 500);
  }

  private static void check(int scenarios, int interleavings) {
    LinChecker.check(DedupJournalLincheckTest.class, new ModelCheckingOptions().iterations(scenarios)
        .invocationsPerIteration(interleavings).threads(3).actorsPerThread(3));
  }

}
