package dev.baton.tools;

import static dev.baton.tools.Fixture.call;
import dev.baton.testing.MapSessionState;
import static dev.baton.tools.Fixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.TurnContext;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.WaitGraph;
import dev.baton.testing.ManualScheduler;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * P8 through the runtime, with real threads: lock cycles between sessions (two and four parties) and an ask
 * cycle A -> B -> A are found when the closing edge is added (well within the check interval, time does not
 * move), the victim is the one the policy names and gets {@code deadlock}, the others complete.
 */
class DeadlockTest {
  @TempDir Path dir;
  @SuppressWarnings("NullAway.Init") Fixture f; // set by each test
  final TestTools.LockChain chain = new TestTools.LockChain();

  @AfterEach
  void tearDown() throws InterruptedException {
    chain.goOn.values().forEach(java.util.concurrent.CountDownLatch::countDown);
    if (f != null) f.close();
  }

  /** Runs a ring of n sessions: session i locks r_i then r_(i+1); each closes its wait 1 ms after the last. */
  List<ToolResult> ring(int n, OnDeadlock policy) throws Exception {
    f = new Fixture(dir, BatonTools.builder().tool(chain), policy);
    ToolResult[] results = new ToolResult[n];
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int idx = i;
      Tools t = f.bind("api:u:user" + i);
      String args = "{\"id\":\"c" + i + "\",\"first\":\"r" + i + "\",\"second\":\"r" + ((i + 1) % n) + "\"}";
      callers.add(f.spawn("user" + i, () -> results[idx] = t.call(call("chain", args))));
      chain.holding("c" + i).await();
    }
    for (int i = 0; i < n; i++) {
      int waiting = i;
      f.clock.advance(Duration.ofMillis(1));
      chain.go("c" + i).countDown();
      if (i < n - 1) f.until("call " + i + " waits", () -> f.waits("lock") == waiting + 1);
    }
    for (Thread c : callers) c.join();
    return List.of(results);
  }

  @Test
  void twoPartyLockCycleBreaksTheOldestWaiter() throws Exception {
    List<ToolResult> r = ring(2, OnDeadlock.KILL_OLDEST_WAITER);
    assertThat(code(r.get(0))).isEqualTo("deadlock");
    assertThat(((ToolResult.Failed) r.get(0)).message()).contains("victim").contains("res:r1").contains("res:r0");
    assertThat(code(r.get(1))).isEqualTo("ok");
    DeadlockReport rep = f.tools.recentDeadlocks().getFirst();
    assertThat(rep.via()).isEqualTo("edge");
    assertThat(rep.cycle()).hasSize(2);
    assertThat(rep.latency()).isLessThanOrEqualTo(Duration.ofMillis(Fixture.CHECK_MS));
    assertThat(f.clock.nanoTime()).as("found without time moving past the closing edge (at 2 ms)")
        .isEqualTo(Duration.ofMillis(2).toNanos());
  }

  @ParameterizedTest
  @EnumSource(OnDeadlock.class)
  void fourPartyLockCycleBreaksTheVictimThePolicyNames(OnDeadlock policy) throws Exception {
    List<ToolResult> r = ring(4, policy);
    int victim = policy == OnDeadlock.KILL_OLDEST_WAITER ? 0 : 3;
    for (int i = 0; i < 4; i++) assertThat(code(r.get(i))).as("call %d", i).isEqualTo(i == victim ? "deadlock" : "ok");
    assertThat(f.tools.recentDeadlocks()).hasSize(1);
    for (int i = 0; i < 4; i++) {
      String key = "res:r" + i;
      f.until("victim and winners released " + key, () -> f.tools.internals().locks().holders(key).isEmpty());
    }
  }

  @ParameterizedTest
  @EnumSource(OnDeadlock.class)
  void askCycleBetweenTwoSessionsIsBrokenAndTheOtherGetsItsAnswer(OnDeadlock policy) throws Exception {
    WaitGraph.Owned[] g = new WaitGraph.Owned[1];
    PeerRouter[] pr = new PeerRouter[1];
    f = new Fixture(dir, c -> {
      g[0] = WaitGraph.create(new dev.baton.config.DeadlockDetectionConfig(true, Fixture.CHECK_MS, policy), c,
          new SimpleMeterRegistry());
      pr[0] = new PeerRouter(g[0]);
      return BatonTools.builder().waitForGraph(g[0]).askRouter(pr[0]);
    }, policy);
    WaitGraph.Owned graph = g[0];
    PeerRouter router = pr[0];
    ManualScheduler clock = f.clock;
    graph.start(); // a shared graph is started by its owner (here the test, in production the engine)
    TurnContext a = f.turn("api:u:alice"), b = f.turn("api:u:bob");
    router.turnStarts(a);
    router.turnStarts(b);
    Tools ta = f.tools.bind(a, new MapSessionState()), tb = f.tools.bind(b, new MapSessionState());
    ToolResult[] r = new ToolResult[2];
    f.spawn("alice", () -> {
      try {
        r[0] = ta.call(call("ask", "{\"to\":\"api:u:bob\",\"question\":\"what is 2+2?\"}"));
      } finally {
        router.turnEnds(a);
      }
    });
    f.until("alice's question waits for bob's slot", () -> graph.snapshot().waits().stream()
        .anyMatch(w -> w.waitsFor().startsWith("ask_reply")));
    clock.advance(Duration.ofMillis(1));
    f.spawn("bob", () -> {
      try {
        r[1] = tb.call(call("ask", "{\"to\":\"api:u:alice\",\"question\":\"and 3+3?\"}"));
      } finally {
        router.turnEnds(b);
      }
    });
    for (Thread t : f.threads) t.join();
    int victim = policy == OnDeadlock.KILL_OLDEST_WAITER ? 0 : 1;
    assertThat(code(r[victim])).isEqualTo("deadlock");
    assertThat(code(r[1 - victim])).isEqualTo("ok");
    assertThat(Fixture.json(r[1 - victim])).contains("answer of");
    DeadlockReport rep = graph.recentDeadlocks().getFirst();
    assertThat(rep.cycle()).hasSize(6); // turn A -> call -> question -> turn B -> call -> question -> turn A
    assertThat(rep.describe()).contains("session_slot").contains("ask_reply").contains("own_calls");
    assertThat(clock.nanoTime()).as("found at the closing edge").isEqualTo(Duration.ofMillis(1).toNanos());
    graph.close();
  }
}
