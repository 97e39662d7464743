package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.spi.Tracing;
import io.opentelemetry.context.Context;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tracing off costs the message path nothing measurable: the engine's capture and turn start and the lookup of
 * the tracer that the tool runtime, agents and lanes do allocate no byte over a million calls (measured with the
 * JVM's per-thread allocation counter), and the queued message holds the shared root context.
 */
class TracingOffCostTest {

  @Test
  void theOffPathAllocatesNothing() {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    EngineTracing off = EngineTracing.OFF;
    assertThat(off.on).isFalse();
    List<QueuedMessage> none = List.of();
    int n = 1_000_000;
    long sink = 0;
    for (int round = 0; round < 3; round++) { // the first rounds warm up (JIT); the last is measured
      long before = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < n; i++) {
        Context c = off.capture();
        if (c != Context.root()) sink++;
        if (off.startTurn(none, i, "followup") != null) sink++;
        if (Tracing.tracer() != null) sink++;
      }
      long allocated = mx.getCurrentThreadAllocatedBytes() - before;
      if (round == 2) {
        System.out.println("tracing off: " + allocated + " bytes allocated over " + n + " message paths");
        assertThat(allocated).isLessThan(1024); // i.e. 0 per message; the counter itself may cost a few bytes
      }
    }
    assertThat(sink).isZero();
  }

  /**
   * Without the console's TimelineObserver (Baton.Builder.observer not called) a turn's hooks are null checks:
   * the end hook handed to the commit is null and nothing is made for it, over a million turns.
   */
  static volatile @org.jspecify.annotations.Nullable Runnable kept;

  @Test
  void noTimelineObserverAllocatesNothing() {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    dev.baton.TurnContext ctx = new dev.baton.TurnContext(dev.baton.SessionKey.parse("api:u:alice"), "alice",
        List.of("m-1"), "t", 1, java.time.Instant.EPOCH);
    int n = 1_000_000;
    long sink = 0;
    for (int round = 0; round < 3; round++) {
      long before = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < n; i++) {
        Runnable hook = TurnRun.endHook(null, ctx, "replied");
        if (hook != null) {
          sink++;
          kept = hook; // escapes: a hook made here could not be optimised away
        }
      }
      long allocated = mx.getCurrentThreadAllocatedBytes() - before;
      if (round == 2) {
        System.out.println("no timeline observer: " + allocated + " bytes allocated over " + n + " turns");
        assertThat(allocated).isLessThan(1024);
      }
    }
    assertThat(sink).isZero();
    assertThat(TurnRun.endHook(new dev.baton.spi.TimelineObserver() {}, ctx, "replied")).isNotNull();
  }
}
