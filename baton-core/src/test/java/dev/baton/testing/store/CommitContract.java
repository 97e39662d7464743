package dev.baton.testing.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.spi.ConflictException;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionData;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.TestThreads;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The commit SPI of {@link Store}: {@code loadSession} and {@code commitTurn} as one transaction with its
 * expected versions (compare-and-set), the bounded transcript, and everything committed surviving a reopen.
 *
 * <p>Part of the store contract (STYLE 6), split by SPI; every store runs each part that applies to it, see
 * {@link StoreCases}. Concurrency cases use real threads released together ({@link TestThreads#together});
 * every thread is joined and a failure in any of them fails the test.
 */
public interface CommitContract extends StoreCases {

  @Test
  default void aNewSessionIsEmpty() {
    assertThat(store().loadSession(new SessionKey("api:u:nobody"))).isEqualTo(SessionData.empty());
  }

  @Test
  default void commitTurnAppliesWritesTranscriptRepliesAndStatusTogether() {
    SessionKey s = new SessionKey("api:u:alice");
    JournalEntry e = entry("alice", "m1", "hi");
    store().ingest(e);
    store().updateStatus(List.of(e.key()), MessageStatus.RUNNING);
    Instant at = scheduler().now();
    List<Transcript.Entry> transcript = List.of(new Transcript.Entry(Transcript.Role.USER, "hi", at),
        new Transcript.Entry(Transcript.Role.ASSISTANT, "echo: hi", at.plusNanos(1)));
    List<Reply> stored = store().commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE,
        Map.of("turns", Optional.empty()), Map.of("turns", Optional.of("1"), "name", Optional.of("Alice")),
        transcript, List.of(reply(s, "echo: hi", 1), reply(s, "second", 1)), 0));

    assertThat(stored).extracting(Reply::outboxSeq).containsExactly(1L, 2L);
    assertThat(stored).extracting(Reply::text).containsExactly("echo: hi", "second");
    assertThat(stored.get(0)).isEqualTo(withSeq(reply(s, "echo: hi", 1), 1));
    SessionData data = store().loadSession(s);
    assertThat(data.state()).isEqualTo(Map.of("turns", "1", "name", "Alice"));
    assertThat(data.transcript()).isEqualTo(transcript);
    assertThat(data.lastOutboxSeq()).isEqualTo(2);
    assertThat(store().ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.DONE));
    assertThat(store().undeliveredReplies()).isEqualTo(stored);

    // A second turn compares, removes a key and appends after the first.
    List<Reply> next = store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE,
        Map.of("turns", Optional.of("1")), Map.of("turns", Optional.of("2"), "name", Optional.empty()),
        List.of(new Transcript.Entry(Transcript.Role.USER, "again", at.plusSeconds(1))),
        List.of(reply(s, "echo: again", 2)), 0));
    assertThat(next).extracting(Reply::outboxSeq).containsExactly(3L);
    SessionData after = store().loadSession(s);
    assertThat(after.state()).isEqualTo(Map.of("turns", "2"));
    assertThat(after.transcript()).hasSize(3).last().extracting(Transcript.Entry::text).isEqualTo("again");
    assertThat(after.lastOutboxSeq()).isEqualTo(3);
  }

  @Test
  default void aConflictingCommitWritesNothing() {
    SessionKey s = new SessionKey("api:u:alice");
    store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of("k", Optional.of("v1")),
        List.of(), List.of(reply(s, "first", 1)), 0));
    JournalEntry e = entry("alice", "m1", "hi");
    store().ingest(e);
    store().updateStatus(List.of(e.key()), MessageStatus.RUNNING);
    SessionData before = store().loadSession(s);
    List<Map<String, Optional<String>>> stale = List.of(Map.of("k", Optional.of("v0")), Map.of("k", Optional.empty()),
        Map.of("k", Optional.of("v1"), "other", Optional.of("x")));
    for (Map<String, Optional<String>> expected : stale) {
      assertThatThrownBy(() -> store().commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE, expected,
          Map.of("k", Optional.of("v2"), "new", Optional.of("n")),
          List.of(new Transcript.Entry(Transcript.Role.USER, "hi", scheduler().now())),
          List.of(reply(s, "never", 2)), 0))).isInstanceOf(ConflictException.class);
    }
    assertThat(store().loadSession(s)).isEqualTo(before);
    assertThat(store().ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.RUNNING));
    assertThat(store().undeliveredReplies()).extracting(Reply::text).containsExactly("first");
    // The next successful commit continues the outbox right after the last committed reply.
    List<Reply> ok = store().commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE,
        Map.of("k", Optional.of("v1"), "other", Optional.empty()), Map.of("k", Optional.of("v2")), List.of(),
        List.of(reply(s, "ok", 2)), 0));
    assertThat(ok).extracting(Reply::outboxSeq).containsExactly(2L);
  }

  @Test
  default void concurrentCompareAndSetCommitsOfOneSessionLoseNoUpdate() throws Exception {
    SessionKey s = new SessionKey("api:u:counter");
    int threads = 4;
    int incrementsPerThread = 25;
    TestThreads.together(threads, t -> () -> {
      int done = 0;
      while (done < incrementsPerThread) {
        Optional<String> seen = Optional.ofNullable(store().loadSession(s).state().get("n"));
        long next = seen.map(Long::parseLong).orElse(0L) + 1;
        try {
          store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of("n", seen),
              Map.of("n", Optional.of(Long.toString(next))), List.of(), List.of(), 0));
          done++;
        } catch (ConflictException retry) {
          // another thread won this round; read again
        }
      }
      return null;
    });
    assertThat(store().loadSession(s).state()).containsEntry("n", Integer.toString(threads * incrementsPerThread));
  }

  @Test
  default void aCommitPastMaxTranscriptEntriesKeepsTheNewest() {
    SessionKey s = new SessionKey("api:u:talker");
    int max = dev.baton.config.StorageConfig.DEFAULT_MAX_TRANSCRIPT_ENTRIES;
    Instant at = scheduler().now();
    List<Transcript.Entry> first = new ArrayList<>();
    for (int i = 0; i < max - 2; i++) first.add(new Transcript.Entry(Transcript.Role.USER, "e" + i, at));
    store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), first, List.of(), 0));
    List<Transcript.Entry> more = new ArrayList<>();
    for (int i = max - 2; i < max + 5; i++) more.add(new Transcript.Entry(Transcript.Role.ASSISTANT, "e" + i, at));
    store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), more, List.of(), 0));
    List<Transcript.Entry> kept = store().loadSession(s).transcript();
    assertThat(kept).hasSize(max);
    assertThat(kept.getFirst().text()).isEqualTo("e5");
    assertThat(kept.getLast().text()).isEqualTo("e" + (max + 4));
  }

  @Test
  default void everythingCommittedSurvivesAReopen() throws Exception {
    Optional<Store> probe = openAnother(scheduler());
    assumeThat(probe).as("store keeps data outside the instance").isPresent();
    probe.get().close();
    SessionKey s = new SessionKey("api:u:a");
    JournalEntry open = entry("a", "m1", "x");
    JournalEntry done = entry("a", "m2", "y");
    store().ingest(open);
    store().ingest(done);
    List<Reply> replies = store().commitTurn(new TurnCommit(s, List.of(done.key()), MessageStatus.DONE, Map.of(),
        Map.of("k", Optional.of("v")), List.of(new Transcript.Entry(Transcript.Role.USER, "y", scheduler().now())),
        List.of(reply(s, "r", 1)), 0));
    var rec = new IdempotencyRecords.Record("h", "ok", "r", scheduler().now().plusSeconds(5));
    store().idempotency().putIfAbsent(s, "t", "k", rec);
    SessionData data = store().loadSession(s);

    reopen();
    assertThat(store().unfinished()).containsExactly(open);
    assertThat(store().ingest(done)).isEqualTo(new IngestResult.Existing(MessageStatus.DONE));
    assertThat(store().loadSession(s)).isEqualTo(data);
    assertThat(store().undeliveredReplies()).isEqualTo(replies);
    assertThat(store().idempotency().find(s, "t", "k")).contains(rec);
  }
}
