package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.testing.ManualScheduler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** P3: per-session and global caps hold under real concurrency; one heavy session cannot starve others. */
class CapsAndFairnessTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** Counts turns in the agent and records the highest concurrency seen, per session and in total. */
  static final class Gauge {
    final AtomicInteger total = new AtomicInteger();
    final AtomicInteger maxTotal = new AtomicInteger();
    final ConcurrentHashMap<SessionKey, AtomicInteger> per = new ConcurrentHashMap<>();
    final AtomicInteger maxPer = new AtomicInteger();

    void enter(SessionKey s) {
      maxTotal.accumulateAndGet(total.incrementAndGet(), Math::max);
      maxPer.accumulateAndGet(per.computeIfAbsent(s, k -> new AtomicInteger()).incrementAndGet(), Math::max);
    }

    void exit(SessionKey s) {
      per.get(s).decrementAndGet();
      total.decrementAndGet();
    }
  }

  @Test
  void capsAreNeverExceededAndAreReached() throws Exception {
    for (int perSession : new int[] {1, 2}) {
      int cap = 4;
      int sessions = 24;
      int perUser = 30;
      Cfg cfg = new Cfg();
      cfg.maxTotal = cap;
      cfg.maxPerSession = perSession;
      cfg.maxQueue = 1_000;
      Gauge g = new Gauge();
      CyclicBarrier full = new CyclicBarrier(cap);
      AtomicInteger barrierTurns = new AtomicInteger();
      Replies replies = new Replies();
      try (Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).replies(replies)
          .agent(turn -> {
            SessionKey s = turn.context().session();
            g.enter(s);
            try {
              // The first `cap` turns meet at a barrier: proof that the cap is actually reached.
              if (barrierTurns.incrementAndGet() <= cap) full.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS);
              for (int i = 0; i < 50; i++) Thread.yield();
              turn.reply("ok");
            } finally {
              g.exit(s);
            }
          }).build()) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < 4; t++) {
          int tt = t;
          threads.add(Thread.ofPlatform().start(() -> {
            try {
              go.await();
              for (int i = 0; i < perUser; i++) {
                for (int u = tt; u < sessions; u += 4) {
                  Admission a = baton.submit(InboundMessage.of("api", "u" + u + "-" + i, "u" + u, "x", T0));
                  if (!(a instanceof Admission.Accepted)) throw new AssertionError(a.toString());
                }
              }
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
            }
          }));
        }
        go.countDown();
        for (Thread t : threads) t.join(Replies.WAIT.toMillis());
        assertThat(failure.get()).isNull();
        replies.await(sessions * perUser);
        assertThat(g.maxTotal.get()).isEqualTo(cap);
        assertThat(g.maxPer.get()).isLessThanOrEqualTo(perSession);
        replies.assertOrderly();
      }
    }
  }

  @Test
  void aSessionWithAThousandQueuedDoesNotDelayASessionWithOne() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxTotal = 1; // the hardest case: one permit shared by everybody
    cfg.maxQueue = 2_000;
    GateAgent agent = new GateAgent();
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(new ManualScheduler()).replies(replies)
        .agent(agent).build()) {
      baton.submit(InboundMessage.of("api", "h0", "heavy", "wait", T0));
      agent.awaitEntered(1);
      for (int i = 1; i <= 1_000; i++) baton.submit(InboundMessage.of("api", "h" + i, "heavy", "h" + i, T0));
      baton.submit(InboundMessage.of("api", "l1", "light", "light one", T0));
      agent.open();
      List<Reply> got = replies.await(1_002);
      int lightAt = 0;
      while (!got.get(lightAt).text().startsWith("light one")) lightAt++;
      // Round-robin: after the blocked heavy turn, at most one more heavy turn (its ticket was in line first).
      assertThat(lightAt).isLessThanOrEqualTo(2);
      replies.assertOrderly();
    }
  }
}
