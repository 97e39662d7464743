package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Every invariant at once, on real threads: 1,000 sessions x 100 messages from 4 submitting threads, each
 * session's messages spread over the threads (so they arrive out of order: the reorder buffer must restore
 * seq order), 10 % of deliveries duplicated from another thread at about the same moment. Checked: each
 * message admitted and run exactly once (P2), turns of a session in seq order (P9) and never overlapping
 * (P3), at most max_concurrent_total turns at once (P3), a turn sees only its own session's state (P1),
 * replies in outbox order and never concurrent per session, nothing left in memory for idle sessions.
 */
class EngineStressTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int SESSIONS = 1_000;
  private static final int PER_SESSION = 100;
  private static final int THREADS = 4;
  private static final int CAP = 8;

  @Test
  void everyInvariantHoldsUnderConcurrentLoadWithDuplicatesAndReordering() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxTotal = CAP;
    cfg.maxQueue = PER_SESSION;
    cfg.maxQueuedTotal = SESSIONS * PER_SESSION; // the whole load may be queued at once (P11 bound out of the way)
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    ConcurrentHashMap<String, Boolean> ran = new ConcurrentHashMap<>();
    ConcurrentHashMap<SessionKey, AtomicInteger> perSession = new ConcurrentHashMap<>();
    AtomicInteger total = new AtomicInteger();
    AtomicInteger maxTotal = new AtomicInteger();
    Replies replies = new Replies();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).replies(replies)
        .meterRegistry(meters).agent(turn -> {
          SessionKey me = turn.context().session();
          maxTotal.accumulateAndGet(total.incrementAndGet(), Math::max);
          AtomicInteger mine = perSession.computeIfAbsent(me, k -> new AtomicInteger());
          if (mine.incrementAndGet() > 1) violations.add("two turns at once in " + me);
          try {
            String owner = turn.state().get("owner").orElse(me.value());
            if (!owner.equals(me.value())) violations.add(me + " saw state of " + owner);
            long expected = Long.parseLong(turn.state().get("next").orElse("0"));
            for (var m : turn.messages()) {
              if (ran.putIfAbsent(m.id(), Boolean.TRUE) != null) violations.add("ran twice: " + m.id());
              long seq = Long.parseLong(m.text());
              if (seq != expected) violations.add(me + ": seq " + seq + " where " + expected + " was due");
              expected = seq + 1;
              turn.reply(m.text());
            }
            turn.state().put("owner", me.value());
            turn.state().put("next", Long.toString(expected));
            Thread.yield();
          } finally {
            mine.decrementAndGet();
            total.decrementAndGet();
          }
        }).build();

    // Each thread's share: the messages whose seq falls to it, in an order shuffled per thread.
    List<List<InboundMessage>> work = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) work.add(new ArrayList<>());
    Random random = new Random(42);
    int duplicates = 0;
    for (int s = 0; s < SESSIONS; s++) {
      for (int i = 0; i < PER_SESSION; i++) {
        InboundMessage m = InboundMessage.of("api", "u" + s + "-" + i, "u" + s, Integer.toString(i), T0)
            .withOrder(OrderKey.sequence(i));
        int t = random.nextInt(THREADS);
        work.get(t).add(m);
        if (random.nextInt(10) == 0) {
          work.get((t + 1) % THREADS).add(m);
          duplicates++;
        }
      }
    }
    // Shuffle in windows so a session's messages stay close in time but arrive out of order.
    for (List<InboundMessage> w : work) {
      for (int from = 0; from < w.size(); from += 64) Collections.shuffle(w.subList(from, Math.min(w.size(), from + 64)), random);
    }

    CyclicBarrier start = new CyclicBarrier(THREADS);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    List<Thread> threads = new ArrayList<>();
    for (List<InboundMessage> w : work) {
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          start.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS);
          for (InboundMessage m : w) {
            Admission a = baton.submit(m);
            outcomes.computeIfAbsent(a.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    for (Thread t : threads) t.join(Replies.WAIT.toMillis() * 3);
    assertThat(failure.get()).isNull();

    int messages = SESSIONS * PER_SESSION;
    List<Reply> got = replies.await(messages);
    try {
      assertThat(outcomes.get("Accepted").get()).isEqualTo(messages);
      assertThat(outcomes.get("Duplicate").get()).isEqualTo(duplicates);
      assertThat(outcomes).containsOnlyKeys("Accepted", "Duplicate");
      assertThat(violations).isEmpty();
      assertThat(ran).hasSize(messages);
      assertThat(got).hasSize(messages);
      assertThat(maxTotal.get()).isLessThanOrEqualTo(CAP).isGreaterThan(1);
      replies.assertOrderly();
      for (int s = 0; s < SESSIONS; s += 97) {
        List<Reply> mine = replies.of(new SessionKey("api:u:u" + s));
        for (int i = 0; i < PER_SESSION; i++) assertThat(mine.get(i).text()).isEqualTo(Integer.toString(i));
      }
      assertThat(meters.counter("baton.messages.duplicates").count()).isEqualTo(duplicates);
      assertThat(meters.counter("baton.order.gaps").count()).isZero();
      Replies.awaitRetired((Engine) baton);
      assertThat(baton.snapshot().queuedMessages()).isZero();
    } finally {
      baton.close();
    }
  }
}
