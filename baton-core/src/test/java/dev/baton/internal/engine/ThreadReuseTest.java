package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.testing.ManualScheduler;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A turn thread that hands its permit on runs the next turn itself (no new virtual thread per turn), and
 * the hand-off keeps the dispatcher's FIFO order of sessions.
 */
class ThreadReuseTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void turnsWaitingForTheOnlyPermitRunInFifoOrderOnTheThreadThatFreedIt() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxTotal = 1;
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    ConcurrentLinkedQueue<Thread> threads = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).replies(replies)
        .agent(turn -> {
          threads.add(Thread.currentThread());
          order.add(turn.context().user());
          if (turn.context().user().equals("u0")) {
            firstStarted.countDown();
            try {
              assertThat(releaseFirst.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
          }
          turn.reply("ok");
        }).build()) {
      baton.submit(InboundMessage.of("api", "m0", "u0", "hi", T0));
      assertThat(firstStarted.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      for (int i = 1; i <= 20; i++) baton.submit(InboundMessage.of("api", "m" + i, "u" + i, "hi", T0));
      releaseFirst.countDown();
      List<Reply> got = replies.await(21);
      assertThat(got).hasSize(21);
      assertThat(order).containsExactly(java.util.stream.IntStream.rangeClosed(0, 20).mapToObj(i -> "u" + i)
          .toArray(String[]::new));
      assertThat(threads).hasSize(21);
      assertThat(threads.stream().distinct().count()).isEqualTo(1);
      assertThat(threads.peek().isVirtual()).isTrue();
    }
  }
}
