package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * With {@code max_concurrent_per_session > 1} two turns of one session run at once; a turn whose
 * compare-and-set value changed before it committed is re-run on fresh state, so no update is lost.
 */
class ConcurrentTurnsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void conflictingTurnsOfOneSessionAreReRunAndNoUpdateIsLost() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxPerSession = 2;
    int messages = 40;
    MemoryStore store = new MemoryStore();
    Replies replies = new Replies();
    EchoAgent echo = new EchoAgent();
    AtomicInteger calls = new AtomicInteger();
    CyclicBarrier firstTwo = new CyclicBarrier(2);
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).store(store)
        .replies(replies).agent(turn -> {
          // The first two attempts read the same committed count together: one of them must conflict.
          if (calls.incrementAndGet() <= 2) firstTwo.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS);
          echo.onTurn(turn);
        }).build()) {
      for (int i = 0; i < messages; i++) baton.submit(InboundMessage.of("api", "m" + i, "ann", "t" + i, T0));
      List<Reply> got = replies.await(messages);
      assertThat(got).extracting(Reply::turn).extracting(OptionalLong::getAsLong).doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(java.util.stream.LongStream.rangeClosed(1, messages).boxed().toList());
      assertThat(store.loadSession(new SessionKey("api:u:ann")).state())
          .containsEntry(EchoAgent.TURNS_KEY, Integer.toString(messages));
      assertThat(calls.get()).isGreaterThan(messages); // at least one turn ran again after a conflict
      replies.assertOrderly();
    }
  }
}
