package dev.baton.tools;

import static dev.baton.tools.Fixture.call;
import static dev.baton.tools.Fixture.code;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.config.ToolsConfig.ToolLimit;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools.limits: max_concurrent under real concurrency (a high-water mark inside the tool), FIFO among waiters,
 * the wait bounded by the call's deadline and shown in the wait-for graph; calls_per_minute spaces starts by
 * exactly 60/N s on the manual clock and refuses a call whose turn would come after its deadline.
 */
class ToolLimitsTest {
  @TempDir Path dir;
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  /** Counts how many calls are inside at once; each waits for {@code release} (or runs straight through). */
  static final class Api extends TestTools.Base {
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger highWater = new AtomicInteger();
    final AtomicInteger runs = new AtomicInteger();
    final List<String> order = new CopyOnWriteArrayList<>();
    volatile CountDownLatch release = new CountDownLatch(0);

    Api() {
      super("api.slow");
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      int n = inside.incrementAndGet();
      highWater.accumulateAndGet(n, Math::max);
      try {
        order.add(args.path("who").asText());
        runs.incrementAndGet();
        for (int i = 0; i < 20; i++) Thread.yield(); // give the others a chance to overlap
        release.await();
        return ctx.json().objectNode().put("ok", true);
      } finally {
        inside.decrementAndGet();
      }
    }
  }

  final Api api = new Api();

  Fixture fixture(int maxConcurrent, int perMinute) {
    return new Fixture(dir, BatonTools.builder().tool(api).meterRegistry(meters),
        Map.of("api.slow", new ToolLimit(maxConcurrent, perMinute)));
  }

  static String who(String w) {
    return "{\"who\":\"" + w + "\"}";
  }

  long slotWaits(Fixture f) {
    return f.waits("tool_limit tool api.slow (max_concurrent");
  }

  @Test
  void neverMoreThanMaxConcurrentInsideUnderRealConcurrency() throws Exception {
    try (Fixture f = fixture(3, 0)) {
      api.release = new CountDownLatch(1);
      int n = 24;
      ToolResult[] results = new ToolResult[n];
      for (int i = 0; i < n; i++) {
        int k = i;
        Tools t = f.bind("api:u:user" + i);
        f.spawn("caller-" + i, () -> results[k] = t.call(call("api.slow", who("u" + k))));
      }
      f.until("3 inside and 21 waiting for a slot", () -> api.inside.get() == 3 && slotWaits(f) == n - 3);
      assertThat(api.highWater.get()).isEqualTo(3);
      api.release.countDown();
      f.threads.joinAll(Fixture.REAL_TIME_LIMIT);
      assertThat(results).extracting(Fixture::code).containsOnly("ok");
      assertThat(api.runs.get()).isEqualTo(n);
      assertThat(api.highWater.get()).as("high-water mark inside the tool").isEqualTo(3);
      assertThat(meters.timer("baton.tool.limit.wait", "tool", "api.slow").count()).isPositive();
    }
  }

  @Test
  void manyCallersRunningStraightThroughNeverExceedTheLimit() throws Exception {
    try (Fixture f = fixture(2, 0)) {
      for (int c = 0; c < 8; c++) {
        Tools t = f.bind("api:u:c" + c);
        f.spawn("caller-" + c, () -> {
          for (int i = 0; i < 40; i++) assertThat(code(t.call(call("api.slow", who("x"))))).isEqualTo("ok");
        });
      }
      f.threads.joinAll(Fixture.REAL_TIME_LIMIT);
      assertThat(api.runs.get()).isEqualTo(320);
      assertThat(api.highWater.get()).isLessThanOrEqualTo(2);
    }
  }

  @Test
  void waitersGetTheSlotInArrivalOrder() throws Exception {
    try (Fixture f = fixture(1, 0)) {
      api.release = new CountDownLatch(1);
      f.spawn("first", () -> f.bind("api:u:a").call(call("api.slow", who("a"))));
      f.until("a inside", () -> api.inside.get() == 1);
      for (String w : List.of("b", "c", "d", "e")) {
        long before = slotWaits(f);
        f.spawn(w, () -> f.bind("api:u:" + w).call(call("api.slow", who(w))));
        f.until(w + " queued", () -> slotWaits(f) == before + 1);
      }
      api.release.countDown();
      f.threads.joinAll(Fixture.REAL_TIME_LIMIT);
      assertThat(api.order).containsExactly("a", "b", "c", "d", "e");
    }
  }

  @Test
  void aSlotWaitEndsAtTheCallsDeadlineAndTheSlotIsNotLost() throws Exception {
    try (Fixture f = fixture(1, 0)) {
      api.release = new CountDownLatch(1);
      f.spawn("holder", () -> f.bind("api:u:a").call(call("api.slow", who("a"))));
      f.until("a inside", () -> api.inside.get() == 1);
      ToolResult[] late = new ToolResult[1];
      Thread waiter = f.spawn("waiter", () -> late[0] = f.bind("api:u:b").call(call("api.slow", who("b"))));
      f.until("b waits for the slot", () -> slotWaits(f) == 1);
      assertThat(f.tools.snapshot().waits()).filteredOn(m -> m.waitsFor().startsWith("tool_limit")).singleElement()
          .satisfies(m -> {
            assertThat(m.waitsFor()).contains("api.slow").contains("max_concurrent 1");
            assertThat(m.blockedBy()).as("the call inside").hasSize(1);
          });
      f.clock.advance(Duration.ofMillis(Fixture.CALL_TIMEOUT_MS));
      waiter.join(Fixture.REAL_TIME_LIMIT);
      assertThat(code(late[0])).isEqualTo("timeout");
      f.until("b's holder thread left the queue", () -> slotWaits(f) == 0); // it is interrupted, then withdraws
      api.release.countDown();
      f.until("a done", () -> api.inside.get() == 0);
      assertThat(code(f.bind("api:u:c").call(call("api.slow", who("c"))))).as("the slot came back").isEqualTo("ok");
      assertThat(api.order).containsExactly("a", "c");
    }
  }

  /**
   * The holder leaves at the very instant the waiter's time is up, before the waiter's own timers fire: the
   * grant wins that race, and the call must still not start its tool (its caller is told {@code timeout}, and a
   * caller told timeout must be able to trust that nothing ran). A fresh-clone CI run once saw it run.
   */
  @Test
  void aSlotGrantedAtTheWaitersDeadlineStartsNothing() throws Exception {
    try (Fixture f = fixture(1, 0)) {
      api.release = new CountDownLatch(1);
      f.spawn("holder", () -> f.bind("api:u:a").call(call("api.slow", who("a"))));
      f.until("a inside", () -> api.inside.get() == 1);
      // Due at the waiter's deadline and scheduled before its timers: it runs first (ties run in scheduling order).
      f.clock.schedule(Duration.ofMillis(Fixture.CALL_TIMEOUT_MS), () -> {
        api.release.countDown();
        f.until("a left and handed b the slot", () -> api.inside.get() == 0 && slotWaits(f) == 0);
      });
      ToolResult[] late = new ToolResult[1];
      Thread waiter = f.spawn("waiter", () -> late[0] = f.bind("api:u:b").call(call("api.slow", who("b"))));
      f.until("b waits for the slot", () -> slotWaits(f) == 1);
      f.clock.advance(Duration.ofMillis(Fixture.CALL_TIMEOUT_MS));
      waiter.join(Fixture.REAL_TIME_LIMIT);
      assertThat(code(late[0])).isEqualTo("timeout");
      f.until("b's holder thread is done", () -> f.tools.snapshot().waits().isEmpty() && api.inside.get() == 0);
      assertThat(code(f.bind("api:u:c").call(call("api.slow", who("c"))))).as("the slot came back").isEqualTo("ok");
      assertThat(api.order).as("b's tool never ran").containsExactly("a", "c");
    }
  }

  @Test
  void callsPerMinuteSpacesStartsExactlySixtyOverNSecondsApart() throws Exception {
    try (Fixture f = fixture(0, 6)) { // one start every 10 s
      assertThat(code(f.bind("api:u:a").call(call("api.slow", who("a"))))).isEqualTo("ok");
      ToolResult[] second = new ToolResult[1];
      Thread t = f.spawn("second", () -> second[0] = f.bind("api:u:b").call(call("api.slow", who("b"))));
      f.until("b waits for its start", () -> f.waits("tool_limit tool api.slow (calls_per_minute") == 1);
      f.clock.advance(Duration.ofSeconds(10).minusNanos(1));
      assertThat(api.runs.get()).as("1 ns before its turn").isEqualTo(1);
      f.clock.advance(Duration.ofNanos(1));
      t.join(Fixture.REAL_TIME_LIMIT);
      assertThat(code(second[0])).isEqualTo("ok");
      assertThat(api.order).containsExactly("a", "b");
    }
  }

  @Test
  void aCallWhoseTurnWouldComeAfterItsDeadlineFailsAtOnceWithRateLimited() throws Exception {
    try (Fixture f = fixture(0, 3)) { // one start every 20 s; a call may take 30 s (CALL_TIMEOUT_MS)
      assertThat(code(f.bind("api:u:a").call(call("api.slow", who("a"))))).isEqualTo("ok");
      Thread t = f.spawn("b", () -> assertThat(code(f.bind("api:u:b").call(call("api.slow", who("b"))))).isEqualTo("ok"));
      f.until("b waits for its start", () -> f.waits("tool_limit tool api.slow (calls_per_minute") == 1);
      ToolResult c = f.bind("api:u:c").call(call("api.slow", who("c"))); // its start would be at 40 s
      assertThat(c).isInstanceOfSatisfying(ToolResult.Failed.class, x -> {
        assertThat(x.code()).isEqualTo("rate_limited");
        assertThat(x.message()).contains("api.slow").contains("calls_per_minute");
      });
      assertThat(meters.counter("baton.tool.limit.refused", "tool", "api.slow", "limit", "rate").count()).isEqualTo(1);
      f.clock.advance(Duration.ofSeconds(20));
      t.join(Fixture.REAL_TIME_LIMIT);
      assertThat(api.order).containsExactly("a", "b");
    }
  }

  @Test
  void aLimitOnAToolThatDoesNotExistStopsTheBuild() {
    assertThatThrownBy(() -> new Fixture(dir, BatonTools.builder().tool(api), Map.of("api.slwo", new ToolLimit(1, 0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("api.slwo").hasMessageContaining("api.slow");
  }
}
