package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.ProviderLimitsConfig;
import dev.baton.config.StorageConfig;
import dev.baton.flow.ProviderLimiter;
import dev.baton.spi.ProviderQuota;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The provider's requests per minute shared by two nodes through one real PostgreSQL: two stores on one schema
 * (two node processes), a limiter on each with the same limit as its node's own, callers on real threads on
 * both, time on the manual clock. Together they never start more than the limit in a window, and every caller
 * is served within its deadline.
 */
class PgProviderQuotaTest {

  static final int RPM = 5;
  static final Duration SPIN_LIMIT = Duration.ofSeconds(20);

  final ManualScheduler clock = new ManualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
  final StorageConfig config = PgServer.freshSchema();
  final List<JdbcStore> opened = new ArrayList<>();

  JdbcStore open() {
    JdbcStore s = PostgresStore.openWithoutRetention(config, clock);
    opened.add(s);
    return s;
  }

  @AfterEach
  void closeAll() {
    for (JdbcStore s : opened) s.close();
  }

  static void until(BooleanSupplier c, String what) {
    long limit = System.nanoTime() + SPIN_LIMIT.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > limit) throw new AssertionError("not within " + SPIN_LIMIT + ": " + what);
      Thread.onSpinWait();
    }
  }

  @Test
  void twoNodesTogetherNeverStartMoreThanTheLimitInAWindow() throws Exception {
    ProviderLimitsConfig limits = new ProviderLimitsConfig(RPM, 0);
    ProviderLimiter a = ProviderLimiter.create("stub", limits, clock, new SimpleMeterRegistry(), Optional.empty(),
        open().providerQuota());
    ProviderLimiter b = ProviderLimiter.create("stub", limits, clock, new SimpleMeterRegistry(), Optional.empty(),
        open().providerQuota());
    int perNode = 7;
    int total = 2 * perNode;
    List<String> grants = new CopyOnWriteArrayList<>();
    Instant deadline = clock.now().plus(Duration.ofMinutes(5));
    try (TestThreads threads = new TestThreads()) {
      for (int i = 0; i < perNode; i++) {
        for (var node : Map.of("a", a, "b", b).entrySet()) {
          threads.spawn(node.getKey() + i, () -> {
            node.getValue().acquire(0, deadline);
            grants.add(node.getKey() + "@" + Duration.between(Instant.parse("2026-01-01T00:00:00Z"), clock.now())
                .toMinutes());
          });
        }
      }
      for (int minute = 0; grants.size() < total; minute++) {
        // Every caller not served yet waits on a timer (its local slot, or the next window of the quota).
        until(() -> grants.size() + clock.pending() == total, "everyone served or waiting");
        clock.advance(Duration.ofMinutes(1));
        assertThat(minute).as("minutes needed").isLessThan(5);
      }
    }
    Map<String, Integer> perWindow = new TreeMap<>();
    for (String g : grants) perWindow.merge(g.substring(g.indexOf('@') + 1), 1, Integer::sum);
    assertThat(perWindow).as("starts per minute, both nodes").containsExactly(
        Map.entry("0", RPM), Map.entry("1", RPM), Map.entry("2", total - 2 * RPM));
    assertThat(grants.stream().filter(g -> g.startsWith("a"))).hasSize(perNode);
  }

  @Test
  void theCounterIsExactUnderConcurrentNodes() throws Exception {
    ProviderQuota q1 = open().providerQuota().orElseThrow();
    ProviderQuota q2 = open().providerQuota().orElseThrow();
    AtomicInteger granted = new AtomicInteger();
    Instant now = clock.now();
    TestThreads.together(8, i -> () -> {
      ProviderQuota q = i % 2 == 0 ? q1 : q2;
      for (int k = 0; k < 20; k++) if (q.tryTake("p", now, 50)) granted.incrementAndGet();
      return null;
    });
    assertThat(granted).hasValue(50);
    assertThat(q1.tryTake("p", now.plus(ProviderQuota.WINDOW), 50)).as("the next window").isTrue();
    assertThat(q1.tryTake("other", now, 1)).as("another provider").isTrue();
  }

  @Test
  void aRoundTripCostsAboutAMillisecond() {
    ProviderQuota q = open().providerQuota().orElseThrow();
    Instant now = clock.now();
    for (int i = 0; i < 200; i++) q.tryTake("warm", now, Integer.MAX_VALUE);
    int n = 2_000;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) q.tryTake("cost", now, Integer.MAX_VALUE);
    double micros = (System.nanoTime() - start) / 1_000.0 / n;
    System.out.printf("PgProviderQuota.tryTake: %.0f us per call (embedded PostgreSQL, loopback)%n", micros);
    assertThat(micros).isPositive(); // a measurement for docs/concurrency.md, not a performance gate
  }
}
