package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.DeliveryConfig;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Outbound lanes and the reply inbox under real concurrency: many sessions, each fed by its own thread (as
 * the engine does), a sink that records per-session order; every reply delivered once, in order.
 */
class DeliveryConcurrencyTest {

  static final int SESSIONS = 16;
  static final int PER_SESSION = 300;

  static Reply reply(int session, long seq, String channel) {
    return new Reply(SessionKey.user("api", "s" + session), seq, channel, "c", "m" + seq, Reply.Kind.REPLY, "t" + seq,
        OptionalLong.empty(), Map.of("user", "u" + session));
  }

  static void runAll(List<Runnable> tasks) throws Exception {
    TestThreads.together(tasks.stream().map(t -> (TestThreads.Body) t::run).toList());
  }

  @RepeatedTest(10)
  void lanesDeliverEveryReplyOnceInSessionOrder() throws Exception {
    Map<SessionKey, List<Long>> seen = new ConcurrentHashMap<>();
    OutboundDelivery.Sink sink = r -> {
      seen.computeIfAbsent(r.session(), s -> new CopyOnWriteArrayList<>()).add(r.outboxSeq());
      return SendOutcome.DELIVERED;
    };
    RecordingStore store = new RecordingStore();
    ManualScheduler clock = new ManualScheduler();
    OutboundDelivery d = new OutboundDelivery(Map.of("x", sink), store, clock, DeliveryConfig.defaults(),
        new SimpleMeterRegistry());
    List<Runnable> feeders = new ArrayList<>();
    for (int s = 0; s < SESSIONS; s++) {
      int session = s;
      feeders.add(() -> {
        for (long i = 1; i <= PER_SESSION; i++) d.enqueue(reply(session, i, "x"));
      });
    }
    runAll(feeders);
    dev.baton.gateway.support.Eventually.until("all delivered", () -> d.pending() == 0);
    List<Long> expected = new ArrayList<>();
    for (long i = 1; i <= PER_SESSION; i++) expected.add(i);
    assertThat(seen).hasSize(SESSIONS);
    seen.values().forEach(list -> assertThat(list).containsExactlyElementsOf(expected));
    assertThat(store.delivered).hasSize(SESSIONS * PER_SESSION);
    assertThat(d.awaitIdle(Duration.ZERO)).isTrue();
    dev.baton.gateway.support.Eventually.until("idle lanes are retired", () -> d.lanes() == 0);
  }

  /**
   * Deterministic hand-off: replies enqueued while the lane's drainer is delivering (here from inside the
   * delivery, with drainers run inline) are delivered by that same drainer, in order, and the lane retires
   * only once its queue is empty; a later enqueue opens a fresh lane.
   */
  @Test
  void repliesEnqueuedDuringADeliveryAreTakenByTheRunningDrainer() {
    List<Long> seen = new CopyOnWriteArrayList<>();
    OutboundDelivery[] d = new OutboundDelivery[1];
    List<Integer> drainersStarted = new CopyOnWriteArrayList<>();
    OutboundDelivery.Sink sink = r -> {
      seen.add(r.outboxSeq());
      if (r.outboxSeq() < 5) d[0].enqueue(reply(0, r.outboxSeq() + 1, "x")); // arrives mid-delivery
      return SendOutcome.DELIVERED;
    };
    d[0] = new OutboundDelivery(Map.of("x", sink), new RecordingStore(), new ManualScheduler(),
        DeliveryConfig.defaults(), new SimpleMeterRegistry(), drainer -> {
          drainersStarted.add(1);
          drainer.run();
        });
    d[0].enqueue(reply(0, 1, "x"));
    assertThat(seen).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(drainersStarted).hasSize(1); // one drainer took them all
    assertThat(d[0].pending()).isZero();
    assertThat(d[0].lanes()).isZero();
    d[0].enqueue(reply(0, 6, "x"));
    assertThat(seen).endsWith(6L);
    assertThat(drainersStarted).hasSize(2);
  }

  @RepeatedTest(5)
  void inboxHandsEachUserAllTheirRepliesInOrderWhilePollingConcurrently() throws Exception {
    RecordingStore store = new RecordingStore();
    ReplyInbox inbox = new ReplyInbox(store, new ManualScheduler(), 10_000, new SimpleMeterRegistry());
    Map<String, List<String>> read = new ConcurrentHashMap<>();
    List<Runnable> tasks = new ArrayList<>();
    for (int s = 0; s < SESSIONS; s++) {
      int session = s;
      tasks.add(() -> {
        for (long i = 1; i <= PER_SESSION; i++) inbox.append("u" + session, reply(session, i, "api"));
      });
      tasks.add(() -> { // the user's client: polls and acknowledges until it has everything
        String cursor = "";
        List<String> got = new ArrayList<>();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (got.size() < PER_SESSION && System.nanoTime() < until) {
          ReplyInbox.Page p = inbox.poll("u" + session, cursor, Duration.ZERO);
          p.entries().forEach(e -> got.add(e.reply().inReplyTo()));
          cursor = p.next();
        }
        inbox.poll("u" + session, cursor, Duration.ZERO); // acknowledge the last page
        read.put("u" + session, got);
      });
    }
    runAll(tasks);
    for (int s = 0; s < SESSIONS; s++) {
      List<String> expected = new ArrayList<>();
      for (long i = 1; i <= PER_SESSION; i++) expected.add("m" + i);
      assertThat(read.get("u" + s)).containsExactlyElementsOf(expected);
    }
    assertThat(store.delivered).hasSize(SESSIONS * PER_SESSION).doesNotHaveDuplicates();
    assertThat(inbox.users()).isZero(); // everything acknowledged: no memory kept per user
  }
}
