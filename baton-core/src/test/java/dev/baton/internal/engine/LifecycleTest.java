package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.EngineSnapshot;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.MessageStatus;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Shutdown (drain, then cancel), recovery from the store at start, the admin snapshot and the gauges. */
class LifecycleTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final ManualScheduler clock = new ManualScheduler();
  private final MemoryStore store = new MemoryStore();

  private static InboundMessage msg(String id, String user, String text) {
    return InboundMessage.of("api", id, user, text, T0);
  }

  @Test
  void shutdownCancelsWhatOutlivesTheDrainAndARestartRecoversIt() throws Exception {
    GateAgent agent = new GateAgent();
    Replies first = new Replies();
    Baton baton = Baton.builder().scheduler(clock).store(store).agent(agent).replies(first).build();
    Admission done = baton.submit(msg("c1", "carol", "early"));
    first.await(1); // delivered to the handler, but the handler never marks it delivered
    Admission m1 = baton.submit(msg("m1", "ann", "wait"));
    agent.awaitEntered(2);
    Admission m2 = baton.submit(msg("m2", "ann", "queued"));

    CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
      try {
        return baton.shutdown(Duration.ofSeconds(1));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    // The drain deadline is a scheduler timer: wait until shutdown armed it, then let it pass.
    assertThat(clock.awaitTaskDue(Duration.ofSeconds(1), Replies.WAIT)).as("shutdown armed its drain timer").isTrue();
    assertThat(baton.submit(msg("late", "dan", "x"))).isInstanceOf(Admission.Rejected.class);
    clock.advance(Duration.ofSeconds(1));
    assertThat(drained.get()).isFalse();
    agent.awaitInterrupted(); // the cancelled turn's thread was interrupted
    assertThat(agent.interrupted.get()).isEqualTo(1);
    assertThat(store.status(m1.key())).contains(MessageStatus.RECEIVED);
    assertThat(store.status(m2.key())).contains(MessageStatus.RECEIVED);
    assertThat(store.status(done.key())).contains(MessageStatus.DONE);

    Replies second = new Replies();
    try (Baton again = Baton.builder().scheduler(clock).store(store).replies(second).build()) {
      List<Reply> got = second.await(3);
      // carol's reply was never marked delivered: offered again first; then ann's two messages, in order.
      assertThat(got).extracting(Reply::text).containsExactly("early (turn 1)", "wait (turn 1)", "queued (turn 2)");
      assertThat(again.submit(msg("m1", "ann", "wait"))).isInstanceOf(Admission.Duplicate.class);
    }
    assertThat(store.status(m2.key())).contains(MessageStatus.DONE);
  }

  @Test
  void shutdownWaitsForRunningTurnsWithinTheDrain() throws Exception {
    GateAgent agent = new GateAgent();
    Replies replies = new Replies();
    Baton baton = Baton.builder().scheduler(clock).store(store).agent(agent).replies(replies).build();
    baton.submit(msg("m1", "ann", "wait"));
    agent.awaitEntered(1);
    CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
      try {
        return baton.shutdown(Duration.ofSeconds(1));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    agent.open();
    assertThat(drained.get()).isTrue();
    assertThat(replies.await(1).getFirst().text()).isEqualTo("wait (turn 1)");
  }

  @Test
  void snapshotAndGaugesShowQueuedAndRunning() throws Exception {
    GateAgent agent = new GateAgent();
    Replies replies = new Replies();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Baton baton = Baton.builder().scheduler(clock).store(store).agent(agent).replies(replies)
        .meterRegistry(meters).build()) {
      baton.submit(msg("m1", "ann", "wait"));
      agent.awaitEntered(1);
      for (int i = 2; i <= 4; i++) baton.submit(msg("m" + i, "ann", "q"));
      baton.submit(msg("b1", "bob", "wait too"));
      agent.awaitEntered(1);
      EngineSnapshot s = baton.snapshot();
      assertThat(s.runningTurns()).isEqualTo(2);
      assertThat(s.queuedMessages()).isEqualTo(3);
      assertThat(s.sessions()).containsExactly(
          new EngineSnapshot.SessionView(new SessionKey("api:u:ann"), 3, 1),
          new EngineSnapshot.SessionView(new SessionKey("api:u:bob"), 0, 1));
      assertThat(meters.get("baton.queue.depth").gauge().value()).isEqualTo(3);
      assertThat(meters.get("baton.turns.running").gauge().value()).isEqualTo(2);
      clock.advance(Duration.ofMillis(250));
      agent.open();
      replies.await(5);
      Replies.awaitRetired((Engine) baton);
      assertThat(baton.snapshot().sessions()).isEmpty();
      assertThat(meters.get("baton.queue.depth").gauge().value()).isZero();
      assertThat(meters.get("baton.turns.running").gauge().value()).isZero();
      assertThat(meters.get("baton.turn.duration").timer().count()).isEqualTo(5);
      assertThat(meters.get("baton.queue.wait").timer().count()).isEqualTo(5);
      // m2 waited 250 ms (scheduler time) from arrival to the start of its turn.
      assertThat(meters.get("baton.queue.wait").timer().max(java.util.concurrent.TimeUnit.MILLISECONDS))
          .isEqualTo(250);
    }
  }
}
