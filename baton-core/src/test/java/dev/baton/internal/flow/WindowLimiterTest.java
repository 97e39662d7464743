package dev.baton.internal.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.BatonContext;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.ProviderLimitsConfig;
import dev.baton.deadlock.WaitGraph;
import dev.baton.flow.ProviderLimitException;
import dev.baton.flow.ProviderLimiter;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The provider limiter on the manual clock: the exact rate (never more than the limit in any 60 s), the burst,
 * deadline refusal at once (P4), FIFO under contention with real threads, the shared pause after a 429, tokens
 * charged and corrected, and an interrupted waiter giving its reservation back. Threads only block in acquire;
 * the test moves time once they all wait (no sleeps: a bounded spin on the waiter count).
 */
class WindowLimiterTest {

  static final Duration MINUTE = Duration.ofMinutes(1);
  static final Duration FAR = Duration.ofHours(1);
  static final Duration SPIN_LIMIT = Duration.ofSeconds(10);

  final ManualScheduler clock = new ManualScheduler();
  final Instant t0 = clock.now();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  ProviderLimiter limiter(int rpm, long tpm) {
    return new WindowLimiter("stub", new ProviderLimitsConfig(rpm, tpm), clock, meters, Optional.empty(),
        Optional.empty());
  }

  /** Seconds since the start of the test. */
  long at() {
    return Duration.between(t0, clock.now()).toSeconds();
  }

  static void until(BooleanSupplier condition, String what) {
    long limit = System.nanoTime() + SPIN_LIMIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > limit) throw new AssertionError("not within " + SPIN_LIMIT + ": " + what);
      Thread.onSpinWait();
    }
  }

  @Test
  void neverMoreThanTheLimitInAnySixtySecondsAndTheBurstIsTheWholeLimit() throws Exception {
    ProviderLimiter l = limiter(10, 0);
    List<Long> grants = new CopyOnWriteArrayList<>();
    try (TestThreads threads = new TestThreads()) {
      threads.spawn("caller", () -> {
        for (int i = 0; i < 35; i++) {
          l.acquire(0, t0.plus(FAR));
          grants.add(at());
        }
      });
      while (grants.size() < 35) {
        int before = grants.size();
        until(() -> l.waiting() == 1 || grants.size() == 35, "the caller waits or is done");
        if (grants.size() == 35) break;
        clock.advance(Duration.ofSeconds(1));
        until(() -> l.waiting() == 1 || grants.size() > before || grants.size() == 35, "progress");
      }
    }
    List<Long> expected = new ArrayList<>();
    for (int i = 0; i < 35; i++) expected.add((long) (i / 10) * 60);
    assertThat(grants).isEqualTo(expected); // 10 at once, then exactly 60 s later the next 10, ...
    for (long start : grants) {
      assertThat(grants.stream().filter(g -> g >= start && g < start + 60).count()).isLessThanOrEqualTo(10);
    }
  }

  @Test
  void capacityComesBackSixtySecondsAfterEachStartNotPerCalendarMinute() throws Exception {
    ProviderLimiter l = limiter(10, 0);
    for (int i = 0; i < 5; i++) l.acquire(0, t0.plus(FAR));
    clock.advance(Duration.ofSeconds(30));
    for (int i = 0; i < 5; i++) l.acquire(0, t0.plus(FAR));
    clock.advance(Duration.ofSeconds(30)); // t = 60: the first five left the window, the last five not yet
    for (int i = 0; i < 5; i++) l.acquire(0, t0.plus(FAR));
    assertThat(l.waiting()).isZero();
    assertThatThrownBy(() -> l.acquire(0, clock.now().plusSeconds(29)))
        .isInstanceOf(ProviderLimitException.class).hasMessageContaining("30 s");
  }

  @Test
  void aCallWhoseCapacityComesAfterItsDeadlineIsRefusedAtOnceAndTakesNothing() throws Exception {
    ProviderLimiter l = limiter(1, 0);
    l.acquire(0, t0.plus(FAR));
    assertThatThrownBy(() -> l.acquire(0, t0.plusSeconds(59)))
        .isInstanceOf(ProviderLimitException.class)
        .hasMessageContaining("before the turn's deadline").hasMessageContaining("60 s");
    assertThat(l.waiting()).isZero();
    assertThat(meters.get("baton.provider.refused").counter().count()).isEqualTo(1);
    // The refused call reserved nothing: the next one starts at 60 s, not at 120 s.
    List<Long> grants = new CopyOnWriteArrayList<>();
    try (TestThreads threads = new TestThreads()) {
      threads.spawn("next", () -> {
        l.acquire(0, t0.plus(FAR));
        grants.add(at());
      });
      until(() -> l.waiting() == 1, "the next call waits");
      clock.advance(Duration.ofSeconds(59));
      assertThat(grants).isEmpty();
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(grants).containsExactly(60L);
  }

  @Test
  void waitersStartInArrivalOrderOnePerFreedSlot() throws Exception {
    ProviderLimiter l = limiter(2, 0);
    l.acquire(0, t0.plus(FAR));
    l.acquire(0, t0.plus(FAR));
    List<Integer> order = Collections.synchronizedList(new ArrayList<>());
    int n = 8;
    try (TestThreads threads = new TestThreads()) {
      for (int i = 0; i < n; i++) {
        int me = i;
        threads.spawn("waiter-" + i, () -> {
          l.acquire(0, t0.plus(FAR));
          order.add(me);
        });
        until(() -> l.waiting() == me + 1, "waiter " + me + " queued");
      }
      for (int minute = 1; minute <= n / 2; minute++) {
        clock.advance(MINUTE);
        int expected = minute * 2;
        until(() -> order.size() == expected, "two more started");
        // the two freed in this minute are the next two in line; which of their threads records first is free
        assertThat(order.subList(expected - 2, expected)).as("minute " + minute)
            .containsExactlyInAnyOrder(expected - 2, expected - 1);
      }
    }
  }

  @Test
  void underContentionEverySessionIsServedWithinItsShareAndNoWindowIsExceeded() throws Exception {
    int rpm = 3;
    int callers = 12;
    ProviderLimiter l = limiter(rpm, 0);
    List<Long> grants = new CopyOnWriteArrayList<>();
    CyclicBarrier start = new CyclicBarrier(callers);
    try (TestThreads threads = new TestThreads()) {
      for (int i = 0; i < callers; i++) {
        threads.spawn("session-" + i, () -> {
          start.await();
          l.acquire(0, t0.plus(Duration.ofMinutes(callers / rpm)));
          grants.add(at());
        });
      }
      until(() -> grants.size() + l.waiting() == callers, "everyone arrived");
      for (int m = 1; m < callers / rpm; m++) {
        clock.advance(MINUTE);
        int expected = (m + 1) * rpm;
        until(() -> grants.size() == expected, "the next three started");
      }
    }
    assertThat(grants).hasSize(callers); // none starved, each within its deadline of 4 minutes
    for (long minute = 0; minute < callers / rpm; minute++) {
      long m = minute * 60;
      assertThat(grants.stream().filter(g -> g == m).count()).as("starts at %d s", m).isEqualTo(rpm);
    }
  }

  @Test
  void aSharedPauseHoldsEveryCallerUntilTheSameInstantAndFailsThoseItWouldKeepPastTheirDeadline() throws Exception {
    ProviderLimiter l = limiter(0, 0); // no limit configured: the shared backoff is on anyway
    l.acquire(0, t0.plus(FAR));
    l.pauseUntil(t0.plusSeconds(30));
    l.pauseUntil(t0.plusSeconds(10)); // an earlier instant changes nothing
    List<String> events = new CopyOnWriteArrayList<>();
    try (TestThreads threads = new TestThreads()) {
      for (int i = 0; i < 3; i++) {
        int me = i;
        threads.spawn("c" + i, () -> {
          l.acquire(0, t0.plus(FAR));
          events.add("c" + me + "@" + at());
        });
      }
      threads.spawn("short", () -> {
        try {
          l.acquire(0, t0.plusSeconds(40));
          events.add("short@" + at());
        } catch (ProviderLimitException e) {
          events.add("short refused@" + at());
        }
      });
      until(() -> l.waiting() == 4, "four wait");
      clock.advance(Duration.ofSeconds(20));
      assertThat(events).isEmpty();
      l.pauseUntil(t0.plusSeconds(45)); // a second 429 while they wait: the deadline-40 call fails at once
      until(() -> events.size() == 1, "the short one refused");
      assertThat(events).containsExactly("short refused@20");
      clock.advance(Duration.ofSeconds(24));
      assertThat(events).hasSize(1);
      clock.advance(Duration.ofSeconds(1));
      until(() -> events.size() == 4, "all three start");
    }
    assertThat(events).containsExactlyInAnyOrder("short refused@20", "c0@45", "c1@45", "c2@45");
    assertThat(meters.get("baton.provider.pauses").counter().count()).isEqualTo(2);
    assertThat(l.acquire(0, t0.plus(FAR))).isNotNull(); // after the pause: at once
    l.pauseUntil(t0.plusSeconds(100));
    assertThatThrownBy(() -> l.acquire(0, t0.plusSeconds(90))).as("a newcomer that cannot outlive a pause")
        .isInstanceOf(ProviderLimitException.class).hasMessageContaining("HTTP 429");
    assertThat(l.waiting()).isZero();
  }

  @Test
  void aPauseMovesLimitedWaitersInOrderFromItsEnd() throws Exception {
    ProviderLimiter l = limiter(1, 0);
    l.acquire(0, t0.plus(FAR));
    List<String> events = new CopyOnWriteArrayList<>();
    try (TestThreads threads = new TestThreads()) {
      for (int i = 0; i < 2; i++) {
        int me = i;
        threads.spawn("w" + i, () -> {
          l.acquire(0, t0.plus(FAR));
          events.add("w" + me + "@" + at());
        });
        until(() -> l.waiting() == me + 1, "w" + me + " queued");
      }
      // Reserved at 60 s and 120 s; a 429 says "until 90 s": w0 moves to 90, w1 to 150 (60 s after w0).
      l.pauseUntil(t0.plusSeconds(90));
      clock.advance(Duration.ofSeconds(89));
      assertThat(events).isEmpty();
      clock.advance(Duration.ofSeconds(1));
      until(() -> events.size() == 1, "w0");
      clock.advance(Duration.ofSeconds(59));
      assertThat(events).hasSize(1);
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(events).containsExactly("w0@90", "w1@150");
  }

  @Test
  void tokensAreChargedTheEstimateAndCorrectedByUsage() throws Exception {
    ProviderLimiter l = limiter(0, 100);
    ProviderLimiter.Permit first = l.acquire(60, t0.plus(FAR));
    assertThatThrownBy(() -> l.acquire(60, t0.plusSeconds(59))).isInstanceOf(ProviderLimitException.class);
    first.used(10); // the provider counted 10: 90 are left in this window
    l.acquire(60, t0.plus(FAR));
    l.acquire(30, t0.plus(FAR));
    assertThatThrownBy(() -> l.acquire(1, t0.plusSeconds(59))).isInstanceOf(ProviderLimitException.class);
  }

  @Test
  void anInterruptedWaiterGivesItsReservationBack() throws Exception {
    ProviderLimiter l = limiter(1, 0);
    l.acquire(0, t0.plus(FAR));
    List<String> events = new CopyOnWriteArrayList<>();
    try (TestThreads threads = new TestThreads()) {
      Thread a = threads.spawn("a", () -> {
        try {
          l.acquire(0, t0.plus(FAR));
          events.add("a started");
        } catch (InterruptedException e) {
          events.add("a interrupted");
        }
      });
      until(() -> l.waiting() == 1, "a waits (slot 60 s)");
      a.interrupt();
      until(() -> events.size() == 1, "a gave up");
      threads.spawn("b", () -> {
        l.acquire(0, t0.plus(FAR));
        events.add("b@" + at());
      });
      until(() -> l.waiting() == 1, "b waits");
      clock.advance(MINUTE); // b takes a's slot at 60 s, not 120 s
    }
    assertThat(events).containsExactly("a interrupted", "b@60");
  }

  @Test
  void aWaitIsAnEdgeOfTheWaitForGraphAndMetered() throws Exception {
    WaitGraph.Owned graph = WaitGraph.create(DeadlockDetectionConfig.defaults(), clock, meters);
    ProviderLimiter l = new WindowLimiter("stub", new ProviderLimitsConfig(1, 0), clock, meters, Optional.of(graph),
        Optional.empty());
    l.acquire(0, t0.plus(FAR));
    TurnContext ctx = new TurnContext(SessionKey.user("api", "alice"), "alice", List.of("m-1"), "t", 42,
        t0.plus(FAR));
    try (TestThreads threads = new TestThreads()) {
      threads.spawn("turn", () -> ScopedValue.where(BatonContext.CURRENT, ctx).call(() -> l.acquire(0, t0.plus(FAR))));
      until(() -> graph.waitCount() == 1, "the turn's wait is in the graph");
      assertThat(graph.snapshot().waits()).singleElement().satisfies(m -> {
        assertThat(m.party()).contains("turn#42");
        assertThat(m.waitsFor()).contains("provider:stub");
        assertThat(m.blockedBy()).isEmpty();
      });
      assertThat(meters.get("baton.provider.waiting").gauge().value()).isEqualTo(1);
      clock.advance(MINUTE);
    }
    assertThat(graph.waitCount()).isZero();
    assertThat(meters.get("baton.provider.wait").timer().max(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(60);
  }
}
