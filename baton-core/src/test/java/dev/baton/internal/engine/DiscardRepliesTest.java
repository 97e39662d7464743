package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.ReplyHandler;
import dev.baton.testing.ManualScheduler;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The default (discarding) reply handler must not leave every reply in the store's outbox forever. */
class DiscardRepliesTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** Bounded spin (no sleep) until every journaled message has finished; fails after Replies.WAIT. */
  private static void awaitFinished(MemoryStore store) {
    long deadline = System.nanoTime() + Replies.WAIT.toNanos();
    while (store.stats().unfinished() > 0) {
      assertThat(System.nanoTime()).as("messages still unfinished").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void discardedRepliesAreMarkedDeliveredSoTheOutboxStaysEmpty() {
    MemoryStore store = new MemoryStore();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).store(store).build()) {
      for (int i = 0; i < 50; i++) baton.submit(InboundMessage.of("api", "m" + i, "u" + (i % 5), "hi", T0));
      awaitFinished(store);
    } // close() waits for the running turns: each has committed and handed its reply over
    assertThat(store.stats().unfinished()).isZero();
    assertThat(store.undeliveredReplies()).isEmpty();
    assertThat(store.stats().undeliveredReplies()).isZero();
  }

  @Test
  void aRealHandlerDecidesItselfWhenAReplyIsDelivered() {
    MemoryStore store = new MemoryStore();
    ReplyHandler keeps = r -> {}; // delivers nothing and does not mark: the replies must stay for a retry
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).store(store).replies(keeps).build()) {
      for (int i = 0; i < 10; i++) baton.submit(InboundMessage.of("api", "m" + i, "u" + (i % 5), "hi", T0));
      awaitFinished(store);
    }
    assertThat(store.stats().unfinished()).isZero();
    assertThat(store.undeliveredReplies()).hasSize(10);
  }
}
