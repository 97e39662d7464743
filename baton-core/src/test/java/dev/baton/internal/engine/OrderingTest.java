package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.config.OrderingConfig.LatePolicy;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.MessageStatus;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** P9: contiguous seq with bounded gap wait; monotonic keys re-sorted within hold_ms; late policy. */
class OrderingTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final ManualScheduler clock = new ManualScheduler();
  private final Replies replies = new Replies();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final MemoryStore store = new MemoryStore();

  private Baton start(Cfg cfg) {
    return Baton.builder().config(cfg.build()).scheduler(clock).store(store).replies(replies)
        .meterRegistry(meters).build();
  }

  private static InboundMessage seq(long n) {
    return InboundMessage.of("api", "s" + n, "ann", "m" + n, T0).withOrder(OrderKey.sequence(n));
  }

  private static InboundMessage mono(long k) {
    return InboundMessage.of("api", "k" + k, "ann", "k" + k, T0).withOrder(OrderKey.monotonic(k));
  }

  private double gaps() {
    return meters.counter("baton.order.gaps").count();
  }

  @Test
  void outOfOrderSeqIsReSortedWhenTheGapFills() throws Exception {
    try (Baton baton = start(new Cfg())) {
      baton.submit(seq(2));
      baton.submit(seq(1));
      baton.submit(seq(0));
      assertThat(replies.await(3)).extracting(Reply::text)
          .containsExactly("m0 (turn 1)", "m1 (turn 2)", "m2 (turn 3)");
      assertThat(gaps()).isZero();
    }
  }

  @Test
  void aGapIsHeldExactlyGapTimeoutThenSkippedAndCounted() throws Exception {
    Cfg cfg = new Cfg();
    cfg.gapMs = 2_000;
    try (Baton baton = start(cfg)) {
      baton.submit(seq(0));
      replies.await(1);
      clock.advance(Duration.ofMillis(100));
      baton.submit(seq(2)); // seq 1 is missing
      baton.submit(seq(3));
      clock.advance(Duration.ofMillis(1_999));
      assertThat(gaps()).isZero();
      assertThat(baton.snapshot().queuedMessages()).isEqualTo(2);
      clock.advance(Duration.ofMillis(1));
      assertThat(gaps()).isEqualTo(1);
      assertThat(replies.await(3)).extracting(Reply::text)
          .containsExactly("m0 (turn 1)", "m2 (turn 2)", "m3 (turn 3)");
      // seq 1 arrives after it was skipped: late, processed (default policy).
      assertThat(baton.submit(seq(1))).isInstanceOf(Admission.Accepted.class);
      assertThat(replies.await(4).get(3).text()).isEqualTo("m1 (turn 4)");
      assertThat(meters.counter("baton.order.late").count()).isEqualTo(1);
      // Later seqs continue after the skipped gap.
      baton.submit(seq(4));
      assertThat(replies.await(5).get(4).text()).isEqualTo("m4 (turn 5)");
    }
  }

  @Test
  void latePolicyDropAnswersAndJournalsTheMessageAsDropped() throws Exception {
    Cfg cfg = new Cfg();
    cfg.late = LatePolicy.DROP;
    try (Baton baton = start(cfg)) {
      baton.submit(seq(0));
      baton.submit(seq(1));
      replies.await(2);
      Admission late = baton.submit(InboundMessage.of("api", "again0", "ann", "old", T0)
          .withOrder(OrderKey.sequence(0)));
      assertThat(late).isInstanceOf(Admission.Rejected.class);
      List<Reply> got = replies.await(3);
      assertThat(got.get(2).kind()).isEqualTo(Reply.Kind.ERROR);
      assertThat(got.get(2).text()).isEqualTo(Engine.LATE_TEXT);
      assertThat(store.status(late.key())).contains(MessageStatus.DROPPED);
      assertThat(meters.counter("baton.order.late").count()).isEqualTo(1);
    }
  }

  @Test
  void monotonicKeysAreReSortedInsideTheHoldWindow() throws Exception {
    Cfg cfg = new Cfg();
    cfg.holdMs = 500;
    try (Baton baton = start(cfg)) {
      baton.submit(mono(30));
      clock.advance(Duration.ofMillis(100));
      baton.submit(mono(10));
      baton.submit(mono(20));
      clock.advance(Duration.ofMillis(399));
      assertThat(baton.snapshot().queuedMessages()).isEqualTo(3);
      clock.advance(Duration.ofMillis(1)); // 30 is due; 10 and 20 are smaller and go first
      assertThat(replies.await(3)).extracting(Reply::text)
          .containsExactly("k10 (turn 1)", "k20 (turn 2)", "k30 (turn 3)");
      // A key below what was released is late; with policy process it still runs.
      baton.submit(mono(15));
      assertThat(replies.await(4).get(3).text()).isEqualTo("k15 (turn 4)");
      assertThat(meters.counter("baton.order.late").count()).isEqualTo(1);
    }
  }

  @Test
  void withHoldZeroMonotonicKeysPassAtOnceAndLateOnesAreDetected() throws Exception {
    Cfg cfg = new Cfg();
    cfg.late = LatePolicy.DROP;
    try (Baton baton = start(cfg)) {
      baton.submit(mono(5));
      baton.submit(mono(9));
      replies.await(2);
      assertThat(baton.submit(mono(7))).isInstanceOf(Admission.Rejected.class);
    }
  }

  @Test
  void orderSurvivesTheSessionActorBeingDroppedWhileIdle() throws Exception {
    try (Baton baton = start(new Cfg())) {
      baton.submit(seq(0));
      baton.submit(seq(1));
      replies.await(2);
      Engine engine = (Engine) baton;
      // Idle: the session's actor is gone, its watermark is in the store.
      Replies.awaitRetired(engine);
      baton.submit(seq(3));
      clock.advance(Duration.ofMillis(1_999));
      assertThat(replies.all()).hasSize(2); // 3 waits for 2, as if the actor had never gone
      baton.submit(seq(2));
      assertThat(replies.await(4)).extracting(Reply::text).endsWith("m2 (turn 3)", "m3 (turn 4)");
    }
  }

  /**
   * Issue 10: in a chat shared by several users, one member who pushes his seq to 1e9 must not make the other
   * members' messages late forever. Each sender's seq is their own stream.
   */
  @Test
  void inASharedChatOneMembersSeqCannotMakeTheOthersLate() throws Exception {
    Cfg cfg = new Cfg();
    cfg.idSource = dev.baton.IdSource.CHAT_ID;
    try (Baton baton = start(cfg)) {
      assertThat(baton.submit(InboundMessage.of("api", "x", "mallory", "jump", T0).withChat("room")
          .withOrder(OrderKey.sequence(1_000_000_000L)))).isInstanceOf(Admission.Accepted.class);
      clock.advance(Duration.ofMillis(cfg.gapMs)); // mallory's own gap is skipped
      replies.await(1);
      for (long n = 0; n < 3; n++) {
        baton.submit(InboundMessage.of("api", "b" + n, "bob", "b" + n, T0).withChat("room")
            .withOrder(OrderKey.sequence(n)));
      }
      assertThat(replies.await(4)).extracting(Reply::text).endsWith("b0 (turn 2)", "b1 (turn 3)", "b2 (turn 4)");
      assertThat(meters.counter("baton.order.late").count()).isZero();
      // Mallory's own stream moved on: her older seq is late.
      baton.submit(InboundMessage.of("api", "y", "mallory", "old", T0).withChat("room").withOrder(OrderKey.sequence(5)));
      assertThat(meters.counter("baton.order.late").count()).isEqualTo(1);
    }
  }
}
