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

  @Test
  void theWindowKeepsAtMostMaxEntriesEvictingTheOldestFirst() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxEntries = 3;
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).replies(replies)
        .build()) {
      for (int i = 1; i <= 4; i++) baton.submit(InboundMessage.of("api", "m" + i, "u" + i, "x", T0));
      replies.await(4);
      // m1 was evicted by m4; m2..m4 are still remembered.
      assertThat(baton.submit(InboundMessage.of("api", "m4", "u4", "x", T0))).isInstanceOf(Admission.Duplicate.class);
      assertThat(baton.submit(InboundMessage.of("api", "m3", "u3", "x", T0))).isInstanceOf(Admission.Duplicate.class);
      assertThat(baton.submit(InboundMessage.of("api", "m1", "u1", "x", T0))).isInstanceOf(Admission.Accepted.class);
    }
  }
}
