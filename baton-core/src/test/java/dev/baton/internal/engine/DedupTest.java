package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** P2: of concurrent deliveries of one message exactly one is admitted and runs; the window is bounded. */
class DedupTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int THREADS = 16;

  @RepeatedTest(5)
  void concurrentDuplicateDeliveriesGiveExactlyOneAcceptedAndOneTurn() throws Exception {
    Replies replies = new Replies();
    AtomicInteger turns = new AtomicInteger();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies).meterRegistry(meters)
        .agent(t -> {
          turns.incrementAndGet();
          t.reply("once");
        }).build()) {
      CyclicBarrier start = new CyclicBarrier(THREADS);
      List<Admission> results = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        threads.add(Thread.ofPlatform().start(() -> {
          try {
            start.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS);
            results.add(baton.submit(InboundMessage.of("telegram", "4711", "ann", "hello", T0)));
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      for (Thread t : threads) t.join(Replies.WAIT.toMillis());
      assertThat(failure.get()).isNull();
      assertThat(results).hasSize(THREADS);
      assertThat(results).filteredOn(a -> a instanceof Admission.Accepted).hasSize(1);
      assertThat(results).filteredOn(a -> a instanceof Admission.Duplicate).hasSize(THREADS - 1);
      assertThat(replies.await(1)).hasSize(1);
      // One more message through the same session proves the duplicate made no hidden second turn.
      baton.submit(InboundMessage.of("telegram", "4712", "ann", "next", T0));
      replies.await(2);
      assertThat(turns.get()).isEqualTo(2);
      assertThat(meters.counter("baton.messages.duplicates").count()).isEqualTo(THREADS - 1);
    }
  }

  @Test
  void withoutAnIdTheFingerprintDedupsWithinItsTimeBucket() throws Exception {
    Cfg cfg = new Cfg();
    cfg.bucketMs = 60_000;
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).replies(replies)
        .build()) {
      Instant sent = Instant.parse("2026-01-01T00:00:10Z");
      assertThat(baton.submit(InboundMessage.of("whatsapp", "", "ann", "hi", sent)))
          .isInstanceOf(Admission.Accepted.class);
      // Same channel, sender, text, same minute bucket: a platform retry.
      assertThat(baton.submit(InboundMessage.of("whatsapp", "", "ann", "hi", sent.plusSeconds(30))))
          .isInstanceOf(Admission.Duplicate.class);
      // Other text, other sender, or the next bucket: new messages.
      assertThat(baton.submit(InboundMessage.of("whatsapp", "", "ann", "hi!", sent)))
          .isInstanceOf(Admission.Accepted.class);
      assertThat(baton.submit(InboundMessage.of("whatsapp", "", "bob", "hi", sent)))
          .isInstanceOf(Admission.Accepted.class);
      assertThat(baton.submit(InboundMessage.of("whatsapp", "", "ann", "hi", sent.plusSeconds(60))))
          .isInstanceOf(Admission.Accepted.class);
      assertThat(replies.await(4)).extracting(Reply::text).hasSize(4);
    }
  }

  @Test
  void theWindowEndsAfterWindowMs() throws Exception {
    Cfg cfg = new Cfg();
    cfg.windowMs = 10_000;
    ManualScheduler clock = new ManualScheduler();
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(clock).replies(replies).build()) {
      InboundMessage m = InboundMessage.of("api", "m1", "ann", "hi", T0);
      assertThat(baton.submit(m)).isInstanceOf(Admission.Accepted.class);
      replies.await(1);
      clock.advance(Duration.ofMillis(9_999));
      assertThat(baton.submit(m)).isInstanceOf(Admission.Duplicate.class);
      clock.advance(Duration.ofMillis(1));
      assertThat(baton.submit(m)).isInstanceOf(Admission.Accepted.class);
      assertThat(replies.await(2)).extracting(Reply::text).containsExactly("hi (turn 1)", "hi (turn 2)");
    }
  }

  /**
   * Eviction replay (issue 10, item 3): a flood from one user must never make the store forget another user's
   * record inside its window. At the bound new messages are refused as busy; a redelivery of a remembered
   * message is still a duplicate, never a second turn.
   */
  @Test
  void atMaxEntriesNewMessagesAreRefusedAndNoRecordIsForgotten() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxEntries = 3;
    ManualScheduler clock = new ManualScheduler();
    Replies replies = new Replies();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(clock).replies(replies).meterRegistry(meters)
        .build()) {
      assertThat(baton.submit(InboundMessage.of("api", "b1", "bob", "x", clock.now())))
          .isInstanceOf(Admission.Accepted.class);
      for (int i = 1; i <= 2; i++) baton.submit(InboundMessage.of("api", "f" + i, "mallory", "x", clock.now()));
      replies.await(3);
      for (int i = 3; i <= 10; i++) {
        assertThat(baton.submit(InboundMessage.of("api", "f" + i, "mallory", "x", clock.now())))
            .isInstanceOf(Admission.Busy.class);
      }
      // Bob's record survived the flood: his redelivery is a duplicate, not a second turn.
      assertThat(baton.submit(InboundMessage.of("api", "b1", "bob", "x", clock.now())))
          .isInstanceOf(Admission.Duplicate.class);
      assertThat(meters.counter("baton.bounds.refused", "bound", "dedup").count()).isEqualTo(8);
      // Once the records leave their window, the channel takes messages again.
      clock.advance(Duration.ofMillis(cfg.windowMs));
      assertThat(baton.submit(InboundMessage.of("api", "b2", "bob", "x", clock.now())))
          .isInstanceOf(Admission.Accepted.class);
      assertThat(replies.await(4)).hasSize(4);
    }
  }

  /** The bound is per channel: a flood on one channel leaves another channel's window alone. */
  @Test
  void theBoundIsPerChannel() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxEntries = 2;
    ManualScheduler clock = new ManualScheduler();
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(clock).replies(replies).build()) {
      for (int i = 1; i <= 5; i++) baton.submit(InboundMessage.of("api", "f" + i, "mallory" + i, "x", clock.now()));
      assertThat(baton.submit(InboundMessage.of("telegram", "7", "42", "x", clock.now())))
          .isInstanceOf(Admission.Accepted.class);
    }
  }

  /** One flooding sender uses up only their own share, never the channel's window for everyone. */
  @Test
  void oneSenderCannotUseUpTheChannel() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxEntries = 100;
    cfg.maxEntriesPerSender = 2;
    ManualScheduler clock = new ManualScheduler();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(clock).replies(new Replies()).build()) {
      List<Admission> flood = new ArrayList<>();
      for (int i = 1; i <= 6; i++) flood.add(baton.submit(InboundMessage.of("api", "f" + i, "mallory", "x", clock.now())));
      assertThat(flood).filteredOn(a -> a instanceof Admission.Accepted).hasSize(2);
      assertThat(flood).filteredOn(a -> a instanceof Admission.Busy).hasSize(4);
      assertThat(baton.submit(InboundMessage.of("api", "f1", "bob", "x", clock.now())))
          .isInstanceOf(Admission.Accepted.class);
    }
  }

  /** Id squatting (issue 10, item 2): the same client id from two users is two messages. */
  @Test
  void idsAreNamespacedBySender() throws Exception {
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies).build()) {
      assertThat(baton.submit(InboundMessage.of("api", "m-77", "mallory", "first", T0)))
          .isInstanceOf(Admission.Accepted.class);
      assertThat(baton.submit(InboundMessage.of("api", "m-77", "bob", "mine", T0)))
          .isInstanceOf(Admission.Accepted.class);
      assertThat(replies.await(2)).extracting(Reply::text).containsExactlyInAnyOrder("first (turn 1)", "mine (turn 1)");
    }
  }
}
