package dev.baton.tools.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.DeadlockException;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import dev.baton.tools.Access;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * P8 through tools.limits: a call waiting for a tool's slot is a TOOL_LIMIT edge to the calls inside, so a
 * cycle through it (a inside the tool waits for b's lock, b waits for the tool's only slot) is found when its
 * closing edge is added and broken with the clock never moving.
 */
class ToolGateDeadlockTest {

  @Test
  void aCycleThroughAToolSlotIsFoundAndBroken() throws Exception {
    ManualScheduler clock = new ManualScheduler();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    WaitGraph.Owned graph = WaitGraph.create(new DeadlockDetectionConfig(true, 5_000,
        DeadlockDetectionConfig.OnDeadlock.KILL_OLDEST_WAITER), clock, meters);
    LockManager locks = new LockManager(graph, clock, meters);
    ToolGate gate = new ToolGate("api.slow", 1, 0, clock, graph, meters);
    Party a = Party.call(1, "a"), b = Party.call(2, "b");
    long deadline = clock.nanoTime() + Duration.ofMinutes(1).toNanos();
    gate.enter(a, deadline); // a is inside the tool
    locks.acquire(b, "res:l", Access.EXCLUSIVE, deadline); // b holds l
    List<String> victims = new CopyOnWriteArrayList<>();
    try (TestThreads threads = new TestThreads()) {
      threads.spawn("b", () -> {
        try {
          gate.enter(b, deadline);
          gate.leave(b);
        } catch (DeadlockException e) {
          victims.add("b");
        } finally {
          locks.releaseAll(b);
        }
      });
      long limit = System.nanoTime() + TestThreads.LIMIT.toNanos();
      while (!graph.isWaiting(b)) {
        if (System.nanoTime() > limit) throw new AssertionError("b never waited for the slot");
        Thread.yield();
      }
      threads.spawn("a", () -> {
        try {
          locks.acquire(a, "res:l", Access.EXCLUSIVE, deadline); // closes a -> b (lock) -> a (tool slot)
        } catch (DeadlockException e) {
          victims.add("a");
        } finally {
          locks.releaseAll(a);
          gate.leave(a);
        }
      });
    }
    assertThat(victims).as("one victim, the others proceed").hasSize(1);
    assertThat(graph.recentDeadlocks()).singleElement().asString().contains("tool_limit").contains("api.slow");
    assertThat(graph.waitCount()).isZero();
    graph.close();
  }
}
