package dev.baton.tools.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.DeadlockException;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.testing.ManualScheduler;
import dev.baton.tools.Access;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 120,000 random lock operations (request, cancel, release, release-all) per policy on a few keys, checked
 * against a brute-force cycle search over a model the test keeps itself: holders as observed from grants (the
 * futures complete synchronously, so the model follows every grant at the moment it happens), and each key's
 * queue in request order with the full wait rule (a waiter waits for every conflicting holder and every
 * conflicting waiter ahead of it). Every victim sat on a cycle of the model at the moment it was chosen (no
 * false positive), and no cycle is left after any operation (no miss). Holders are always compatible.
 */
class LockManagerRandomizedTest {
  static final int OPS = 120_000, OWNERS = 8, KEYS = 4;

  static final class Req {
    final int owner;
    final String key;
    final Access mode;
    LockManager.Request handle;

    Req(int owner, String key, Access mode) {
      this.owner = owner;
      this.key = key;
      this.mode = mode;
    }
  }

  final Map<String, Map<Integer, Access>> holders = new HashMap<>();
  final Map<String, List<Req>> queues = new HashMap<>();
  final Map<Integer, Req> pending = new HashMap<>();
  final ArrayDeque<Req> victimsToEnd = new ArrayDeque<>();
  final List<Throwable> failures = new ArrayList<>();
  int victims, grants;
  String when = "";

  /** The wait-for graph's package: its deadlock lines (and the watchdog's). */
  static final String GRAPH_LOGGER = "dev.baton.internal.deadlock";

  @BeforeAll
  static void quiet() {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(GRAPH_LOGGER))
        .setLevel(ch.qos.logback.classic.Level.ERROR); // thousands of detected cycles by design
  }

  @AfterAll
  static void loud() {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(GRAPH_LOGGER)).setLevel(null);
  }

  @ParameterizedTest
  @EnumSource(OnDeadlock.class)
  void randomLockTrafficNeverLeavesOrInventsACycle(OnDeadlock policy) {
    ManualScheduler clock = new ManualScheduler();
    WaitGraph.Owned graph = WaitGraph.create(new DeadlockDetectionConfig(true, 1_000, policy), clock,
        new SimpleMeterRegistry());
    graph.start();
    LockManager lm = new LockManager(graph, clock, new SimpleMeterRegistry());
    Random rnd = new Random(policy.ordinal() + 11);
    for (int op = 0; op < OPS; op++) {
      when = "op " + op;
      clock.advance(Duration.ofMillis(rnd.nextInt(2))); // runs the sweep now and then
      endVictims(lm);
      int o = rnd.nextInt(OWNERS);
      Req p = pending.get(o);
      int dice = rnd.nextInt(100);
      if (p != null) {
        if (dice >= 15) continue; // blocked: it can do nothing but time out
        forget(p); // its wait timed out: the model drops it first, the lock manager then serves the queue
        lm.cancel(p.handle);
      } else if (dice < 55) {
        String key = "k" + rnd.nextInt(KEYS);
        if (holders.getOrDefault(key, Map.of()).containsKey(o)) continue; // re-entry is tested elsewhere
        Req r = new Req(o, key, rnd.nextBoolean() ? Access.SHARED : Access.EXCLUSIVE);
        queues.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        pending.put(o, r);
        r.handle = lm.request(party(o), key, r.mode);
        // A dependent action's exception would be swallowed by the future: collect it and fail below.
        r.handle.future().whenComplete((v, ex) -> {
          try {
            onOutcome(r, ex);
          } catch (Throwable t) {
            failures.add(t);
          }
        });
      } else if (dice < 80) {
        lm.releaseAll(party(o)); // the call ended; o does not wait, so its holdings leave the model after
        holders.values().forEach(h -> h.remove(o));
      } else {
        String key = "k" + rnd.nextInt(KEYS);
        lm.release(party(o), key);
        holders.getOrDefault(key, new HashMap<>()).remove(o);
      }
      endVictims(lm);
      if (!failures.isEmpty()) throw new AssertionError(failures.getFirst());
      assertThat(cycle()).as("cycle left after op %d", op).isEmpty();
      for (var e : holders.entrySet()) {
        assertThat(lm.holders(e.getKey())).hasSize(e.getValue().size());
        long ex = e.getValue().values().stream().filter(m -> m == Access.EXCLUSIVE).count();
        assertThat(ex == 0 || e.getValue().size() == 1).as("compatible holders of %s", e.getKey()).isTrue();
      }
    }
    assertThat(victims).as("the run must exercise deadlocks").isGreaterThan(500);
    assertThat(grants).as("and queued grants").isGreaterThan(10_000);
  }

  /** Runs synchronously at the moment of the grant or of the victim's choice. */
  private void onOutcome(Req r, Throwable ex) {
    if (ex == null) {
      forget(r);
      holders.computeIfAbsent(r.key, k -> new LinkedHashMap<>()).put(r.owner, r.mode);
      grants++;
    } else if (ex instanceof DeadlockException) {
      assertThat(cycle()).as("victim %d (%s) must sit on a cycle", r.owner, when).contains(r.owner);
      victims++;
      victimsToEnd.add(r);
    } else {
      assertThat(ex).isInstanceOf(CancellationException.class);
    }
  }

  /** A victim's thread wakes, withdraws its request and its call ends, releasing all. */
  private void endVictims(LockManager lm) {
    while (!victimsToEnd.isEmpty()) {
      Req r = victimsToEnd.poll();
      forget(r);
      lm.cancel(r.handle);
      lm.releaseAll(party(r.owner));
      holders.values().forEach(h -> h.remove(r.owner));
    }
  }

  private void forget(Req r) {
    pending.remove(r.owner, r);
    queues.get(r.key).remove(r);
  }

  /** Owners on some cycle of the full wait-for relation (Warshall closure). */
  private List<Integer> cycle() {
    boolean[][] w = new boolean[OWNERS][OWNERS];
    for (var q : queues.entrySet()) {
      List<Req> line = q.getValue();
      for (int i = 0; i < line.size(); i++) {
        Req r = line.get(i);
        for (var h : holders.getOrDefault(q.getKey(), Map.of()).entrySet()) {
          if (h.getKey() != r.owner && conflict(r.mode, h.getValue())) w[r.owner][h.getKey()] = true;
        }
        for (int j = 0; j < i; j++) {
          if (conflict(r.mode, line.get(j).mode)) w[r.owner][line.get(j).owner] = true;
        }
      }
    }
    for (int k = 0; k < OWNERS; k++)
      for (int i = 0; i < OWNERS; i++)
        for (int j = 0; j < OWNERS; j++) w[i][j] |= w[i][k] && w[k][j];
    List<Integer> on = new ArrayList<>();
    for (int i = 0; i < OWNERS; i++) if (w[i][i]) on.add(i);
    return on;
  }

  private static boolean conflict(Access a, Access b) {
    return a == Access.EXCLUSIVE || b == Access.EXCLUSIVE;
  }

  private static Party party(int o) {
    return Party.call(o, "");
  }
}
