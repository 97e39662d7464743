package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.store.PagedOnlyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * P11: recovery reads the outbox and the journal a page at a time. The store here refuses the whole-list reads
 * (a backlog that would not fit in memory), and records the largest page recovery asked for.
 */
class RecoveryPagingTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int SESSIONS = 300;
  private final AtomicInteger largestPage = new AtomicInteger();

  /** The memory store, except that undeliveredReplies() and unfinished() (everything at once) throw. */
  private Store pagedOnly(MemoryStore inner) {
    return PagedOnlyStore.wrap(inner, largestPage);
  }

  @Test
  void recoveryPagesThroughABacklogAndKeepsEachSessionsOrder() throws Exception {
    MemoryStore inner = new MemoryStore();
    // Three unfinished messages per session, journaled out of seq order (3, 1, 2), sessions interleaved.
    for (long seq : new long[] {3, 1, 2}) {
      for (int s = 0; s < SESSIONS; s++) {
        String user = "u" + s;
        InboundMessage m = InboundMessage.of("api", user + "-" + seq, user, "s" + seq, T0)
            .withOrder(OrderKey.sequence(seq));
        inner.ingest(new JournalEntry(new DedupKey("api:" + m.messageId()), new SessionKey("api:u:" + user), m, T0));
      }
    }
    // Two undelivered replies per session, left by a previous process.
    for (int s = 0; s < SESSIONS; s++) {
      SessionKey k = new SessionKey("api:u:old" + s);
      List<Reply> rs = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        rs.add(new Reply(k, 0, "api", "", "old" + i, Reply.Kind.REPLY, "old " + i, OptionalLong.empty(), Map.of()));
      }
      inner.commitTurn(new TurnCommit(k, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(), rs, 0));
    }
    Replies replies = new Replies();
    Cfg cfg = new Cfg();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).agent(new EchoAgent())
        .store(pagedOnly(inner)).replies(replies).build()) {
      List<Reply> got = replies.await(SESSIONS * 5);
      assertThat(largestPage.get()).isEqualTo(Engine.RECOVERY_PAGE);
      assertThat(got.stream().filter(r -> r.inReplyTo().startsWith("old"))).hasSize(SESSIONS * 2);
      for (int s = 0; s < SESSIONS; s++) {
        SessionKey k = new SessionKey("api:u:u" + s);
        assertThat(got.stream().filter(r -> r.session().equals(k)).map(Reply::text).toList())
            .containsExactly("s1 (turn 1)", "s2 (turn 2)", "s3 (turn 3)");
      }
      replies.assertOrderly();
      assertThat(baton.snapshot().queuedMessages()).isZero();
    }
  }
}
