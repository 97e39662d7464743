package dev.baton.internal.deadlock;

import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.GraphSnapshot;
import dev.baton.deadlock.WaitKind;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.DeadlockException;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Cycles of every shape P8 names: lock, ask, slot and permit; victim by policy; the sweep; stuck calls. */
class WaitForGraphTest {
  static final long CHECK_MS = 5_000;
  final ManualScheduler clock = new ManualScheduler();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final Map<Party, DeadlockException> killed = new LinkedHashMap<>();

  WaitForGraph graph(OnDeadlock policy) {
    WaitForGraph g = new WaitForGraph(new DeadlockDetectionConfig(true, CHECK_MS, policy), clock, meters);
    g.start();
    return g;
  }

  Consumer<DeadlockException> victim(Party p) {
    return e -> assertThat(killed.put(p, e)).as("killed once").isNull();
  }

  static Party call(int i) {
    return Party.call(i, "session s" + i);
  }

  @Test
  void twoPartyLockCycleBreaksTheOldestWaiterWhenTheEdgeCloses() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party a = call(1), b = call(2);
    g.await(a, WaitKind.LOCK, "file:/x (exclusive)", Need.ALL, List.of(b), victim(a));
    clock.advance(Duration.ofMillis(10));
    g.await(b, WaitKind.LOCK, "file:/y (exclusive)", Need.ALL, List.of(a), victim(b));

    assertThat(killed).containsOnlyKeys(a);
    assertThat(killed.get(a)).hasMessageContaining("call#1").hasMessageContaining("call#2")
        .hasMessageContaining("kill_oldest_waiter").hasMessageContaining("lock file:/y (exclusive)")
        .as("the agent's message names no session (P1)").hasMessageNotContaining("session s2");
    assertThat(g.isWaiting(a)).isFalse();
    assertThat(g.isWaiting(b)).as("the other party still waits for its holder to release").isTrue();
    DeadlockReport r = g.recentDeadlocks().getFirst();
    assertThat(r.via()).isEqualTo("edge");
    assertThat(r.cycle()).hasSize(2);
    assertThat(r.victim()).startsWith("call#1");
    assertThat(meters.counter("baton.deadlocks.detected", "via", "edge").count()).isEqualTo(1);
  }

  @Test
  void youngestPolicyBreaksTheNewestWaiter() {
    WaitForGraph g = graph(OnDeadlock.KILL_YOUNGEST_WAITER);
    Party a = call(1), b = call(2), c = call(3);
    g.await(a, WaitKind.LOCK, "x", Need.ALL, List.of(b), victim(a));
    clock.advance(Duration.ofMillis(5));
    g.await(b, WaitKind.LOCK, "y", Need.ALL, List.of(c), victim(b));
    clock.advance(Duration.ofMillis(5));
    g.await(c, WaitKind.LOCK, "z", Need.ALL, List.of(a), victim(c));
    assertThat(killed).containsOnlyKeys(c);
  }

  @Test
  void nPartyCycleHasEveryMemberInTheReportAndOnlyOneVictim() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    int n = 7;
    for (int i = 0; i < n; i++) {
      clock.advance(Duration.ofMillis(1));
      g.await(call(i), WaitKind.LOCK, "r" + i, Need.ALL, List.of(call((i + 1) % n)), victim(call(i)));
      if (i < n - 1) assertThat(killed).as("no cycle yet").isEmpty();
    }
    assertThat(killed).containsOnlyKeys(call(0));
    assertThat(g.recentDeadlocks().getFirst().cycle()).hasSize(n);
    assertThat(g.waitCount()).isEqualTo(n - 1);
  }

  @Test
  void askCycleThroughTwoSessionsIsFoundAndTheAskWaitIsTheVictim() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party turnA = Party.turn(1, "session A"), turnB = Party.turn(2, "session B");
    Party askCallA = Party.call(10, "session A, tool ask"), askCallB = Party.call(20, "session B, tool ask");
    Party qAB = Party.ask("A->B", "question to B"), qBA = Party.ask("B->A", "question to A");
    // A's turn holds A's slot and waits for its ask call; the question waits for B's slot held by B's turn.
    g.await(turnA, WaitKind.OWN_CALLS, "calls of turn#1", Need.ALL, List.of(askCallA), null);
    g.await(askCallA, WaitKind.ASK_REPLY, "reply of ask A->B", Need.ALL, List.of(qAB), victim(askCallA));
    clock.advance(Duration.ofMillis(1));
    g.await(qAB, WaitKind.SESSION_SLOT, "slot of B", Need.ANY, List.of(turnB), victim(qAB));
    clock.advance(Duration.ofMillis(3));
    g.await(turnB, WaitKind.OWN_CALLS, "calls of turn#2", Need.ALL, List.of(askCallB), null);
    g.await(askCallB, WaitKind.ASK_REPLY, "reply of ask B->A", Need.ALL, List.of(qBA), victim(askCallB));
    assertThat(killed).isEmpty();
    g.await(qBA, WaitKind.SESSION_SLOT, "slot of A", Need.ANY, List.of(turnA), victim(qBA));

    assertThat(killed).containsOnlyKeys(askCallA);
    assertThat(g.recentDeadlocks().getFirst().cycle()).hasSize(6);
    assertThat(g.isWaiting(turnA)).as("the turn itself is never the victim of its own calls").isTrue();
  }

  @Test
  void cronLaneSelfDeadlockOnASessionSlotIsFound() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party job = Party.turn(1, "cron job"), nested = Party.turn(2, "nested task of the cron job");
    g.await(job, WaitKind.OWN_CALLS, "nested task", Need.ALL, List.of(nested), null);
    g.await(nested, WaitKind.SESSION_SLOT, "cron lane (1 slot)", Need.ANY, List.of(job), victim(nested));
    assertThat(killed).containsOnlyKeys(nested);
  }

  @Test
  void permitWaitIsADeadlockOnlyWhenEveryHolderIsStuck() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party t1 = Party.turn(1, ""), t2 = Party.turn(2, ""), n1 = Party.turn(3, ""), n2 = Party.turn(4, "");
    // Two permits held by t1 and t2. n1 waits for any permit; t1 waits for n1: a cycle, but t2 runs.
    g.await(n1, WaitKind.GLOBAL_PERMIT, "global", Need.ANY, List.of(t1, t2), victim(n1));
    clock.advance(Duration.ofMillis(1));
    g.await(t1, WaitKind.ASK_REPLY, "n1", Need.ALL, List.of(n1), victim(t1));
    clock.advance(Duration.ofMillis(CHECK_MS * 3));
    assertThat(killed).as("t2 will release its permit: no deadlock").isEmpty();
    // Now t2 also waits for a task that waits for a permit: every holder is stuck.
    g.await(n2, WaitKind.GLOBAL_PERMIT, "global", Need.ANY, List.of(t1, t2), victim(n2));
    g.await(t2, WaitKind.ASK_REPLY, "n2", Need.ALL, List.of(n2), victim(t2));
    assertThat(killed).as("n1 is the oldest waiter of the knot {t1, t2, n1, n2}").containsOnlyKeys(n1);
    assertThat(g.recentDeadlocks().getFirst().cycle()).hasSize(4);
  }

  @Test
  void sweepFindsACycleWithinTheCheckIntervalAndReportsLatency() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party a = call(1), b = call(2);
    g.await(a, WaitKind.LOCK, "x", Need.ALL, List.of(b), victim(a));
    g.await(b, WaitKind.LOCK, "y", Need.ALL, List.of(), victim(b));
    // Close the cycle without detection, as an owner batching its edges might.
    g.insertBlockersWithoutDetection(b, Set.of(a));
    clock.advance(Duration.ofMillis(CHECK_MS - 1));
    assertThat(killed).isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(killed).containsOnlyKeys(a);
    DeadlockReport r = g.recentDeadlocks().getFirst();
    assertThat(r.via()).isEqualTo("sweep");
    assertThat(r.latency()).isLessThanOrEqualTo(Duration.ofMillis(CHECK_MS));
    assertThat(meters.counter("baton.deadlocks.detected", "via", "sweep").count()).isEqualTo(1);
  }

  @Test
  void endedAndUpdatedWaitsChangeTheGraph() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party a = call(1), b = call(2), c = call(3);
    WaitForGraph.Wait wa = g.await(a, WaitKind.LOCK, "x", Need.ALL, List.of(b), victim(a));
    g.end(wa);
    g.await(b, WaitKind.LOCK, "y", Need.ALL, List.of(a), victim(b));
    assertThat(killed).isEmpty();
    clock.advance(Duration.ofMillis(1));
    WaitForGraph.Wait wc = g.await(c, WaitKind.LOCK, "z", Need.ALL, List.of(), victim(c));
    g.update(wc, List.of(b));
    assertThat(killed).isEmpty();
    clock.advance(Duration.ofMillis(1));
    WaitForGraph.Wait wa2 = g.await(a, WaitKind.LOCK, "x", Need.ALL, List.of(), victim(a));
    g.update(wa2, List.of(c));
    assertThat(killed).as("a -> c -> b -> a closed by an update").containsOnlyKeys(b);
    assertThat(g.snapshot().waits()).hasSize(2);
  }

  @Test
  void callWithoutProgressPastItsTimeoutIsReportedBySweep() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party slow = call(1), fine = call(2);
    g.callStarted(slow, Duration.ofMillis(7_000));
    g.callStarted(fine, Duration.ofMillis(7_000));
    clock.advance(Duration.ofMillis(6_000));
    g.progress(fine);
    clock.advance(Duration.ofMillis(4_000));
    List<GraphSnapshot.RunningCall> calls = new ArrayList<>(g.snapshot().runningCalls());
    assertThat(calls).filteredOn(GraphSnapshot.RunningCall::stuck).extracting(GraphSnapshot.RunningCall::party)
        .containsExactly(slow.toString());
    assertThat(meters.counter("baton.tool.calls.stuck").count()).isEqualTo(1);
    g.callEnded(slow);
    assertThat(g.snapshot().runningCalls()).hasSize(1);
  }

  @Test
  void aStuckCallIsReportedOnceUntilItProgressesAndStallsAgain() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    Party slow = call(1);
    g.callStarted(slow, Duration.ofMillis(7_000));
    clock.advance(Duration.ofMillis(CHECK_MS * 4)); // four sweeps see it stuck
    assertThat(meters.counter("baton.tool.calls.stuck").count()).as("once, not per sweep").isEqualTo(1);
    g.progress(slow);
    assertThat(g.snapshot().runningCalls()).singleElement().extracting(GraphSnapshot.RunningCall::stuck)
        .isEqualTo(false);
    clock.advance(Duration.ofMillis(CHECK_MS * 2));
    assertThat(meters.counter("baton.tool.calls.stuck").count()).as("stalled again").isEqualTo(2);
    g.callEnded(slow);
    g.progress(slow); // after its end: ignored
    assertThat(g.snapshot().runningCalls()).isEmpty();
  }

  @Test
  void aWaitHandleOfAnotherImplementationIsRefused() {
    WaitForGraph g = graph(OnDeadlock.KILL_OLDEST_WAITER);
    dev.baton.deadlock.WaitGraph.Wait foreign = () -> call(1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.end(foreign))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.update(foreign, List.of(call(2))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void disabledDetectionKeepsEdgesButBreaksNothing() {
    WaitForGraph g = new WaitForGraph(new DeadlockDetectionConfig(false, CHECK_MS, OnDeadlock.KILL_OLDEST_WAITER),
        clock, meters);
    g.start();
    g.await(call(1), WaitKind.LOCK, "x", Need.ALL, List.of(call(2)), victim(call(1)));
    g.await(call(2), WaitKind.LOCK, "y", Need.ALL, List.of(call(1)), victim(call(2)));
    clock.advance(Duration.ofMillis(CHECK_MS * 2));
    assertThat(killed).isEmpty();
    assertThat(clock.pending()).isZero();
  }
}
