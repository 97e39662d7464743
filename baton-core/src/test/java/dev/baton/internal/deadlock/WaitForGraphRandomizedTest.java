package dev.baton.internal.deadlock;

import dev.baton.deadlock.WaitKind;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 100,000 random graph operations per run, each checked against a brute-force search written independently of
 * the graph's: after every operation no deadlock is left (no missed cycle), and every victim the graph chose
 * was deadlocked on a cycle at that moment (no false positive).
 */
class WaitForGraphRandomizedTest {
  static final int OPS = 100_000;
  static final int PARTIES = 10;

  record ModelWait(Need need, Set<Integer> blockers) {}

  final Map<Integer, ModelWait> model = new HashMap<>();
  final Map<Integer, WaitForGraph.Wait> handles = new HashMap<>();
  int victims;

  static ch.qos.logback.classic.Logger graphLog() {
    return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(WaitForGraph.class);
  }

  @org.junit.jupiter.api.BeforeAll
  static void quiet() {
    graphLog().setLevel(ch.qos.logback.classic.Level.ERROR); // thousands of detected cycles by design
  }

  @org.junit.jupiter.api.AfterAll
  static void loud() {
    graphLog().setLevel(null);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void randomOperationsNeverLeaveOrInventADeadlock(boolean withAnyWaits) {
    ManualScheduler clock = new ManualScheduler();
    WaitForGraph g = new WaitForGraph(new DeadlockDetectionConfig(true, 1_000, OnDeadlock.KILL_OLDEST_WAITER),
        clock, new SimpleMeterRegistry());
    g.start();
    Random rnd = new Random(withAnyWaits ? 42 : 7);
    for (int op = 0; op < OPS; op++) {
      clock.advance(Duration.ofMillis(rnd.nextInt(3)));
      int p = rnd.nextInt(PARTIES);
      int dice = rnd.nextInt(10);
      if (!model.containsKey(p)) {
        Need need = withAnyWaits && rnd.nextInt(4) == 0 ? Need.ANY : Need.ALL;
        Set<Integer> blockers = randomBlockers(rnd, p);
        model.put(p, new ModelWait(need, blockers));
        handles.put(p, g.await(party(p), WaitKind.LOCK, "r", need, parties(blockers), e -> onVictim(p)));
      } else if (dice < 6) {
        model.remove(p);
        g.end(handles.remove(p));
      } else {
        ModelWait old = model.get(p);
        Set<Integer> blockers = randomBlockers(rnd, p);
        model.put(p, new ModelWait(old.need(), blockers));
        g.update(handles.get(p), parties(blockers));
      }
      assertThat(bruteForceStuck()).as("deadlock left after op %d", op).isEmpty();
      if (!withAnyWaits) assertThat(cycleByClosure()).as("cycle left after op %d", op).isFalse();
      assertThat(g.waitCount()).isEqualTo(model.size());
    }
    clock.advance(Duration.ofMillis(5_000));
    assertThat(victims).as("the run must exercise deadlocks").isGreaterThan(1_000);
  }

  private void onVictim(int p) {
    Set<Integer> stuck = bruteForceStuck();
    assertThat(stuck).as("victim %d must be deadlocked", p).contains(p);
    assertThat(reachesItselfThrough(p, stuck)).as("victim %d must be on a cycle", p).isTrue();
    model.remove(p);
    handles.remove(p);
    victims++;
  }

  private Set<Integer> randomBlockers(Random rnd, int self) {
    Set<Integer> s = new HashSet<>();
    int n = 1 + rnd.nextInt(2);
    while (s.size() < n) {
      int b = rnd.nextInt(PARTIES);
      if (b != self) s.add(b);
    }
    return s;
  }

  /** Naive reduction: repeat passes until nothing changes. */
  private Set<Integer> bruteForceStuck() {
    Set<Integer> free = new HashSet<>();
    for (int i = 0; i < PARTIES; i++) if (!model.containsKey(i)) free.add(i);
    boolean changed = true;
    while (changed) {
      changed = false;
      for (var e : model.entrySet()) {
        if (free.contains(e.getKey())) continue;
        Set<Integer> b = e.getValue().blockers();
        boolean ok = e.getValue().need() == Need.ALL ? free.containsAll(b) : b.stream().anyMatch(free::contains);
        if (ok) {
          free.add(e.getKey());
          changed = true;
        }
      }
    }
    Set<Integer> stuck = new HashSet<>(model.keySet());
    stuck.removeAll(free);
    return stuck;
  }

  /** Warshall transitive closure of the wait edges: a cycle exists iff some node reaches itself. */
  private boolean cycleByClosure() {
    boolean[][] r = new boolean[PARTIES][PARTIES];
    model.forEach((w, m) -> m.blockers().forEach(b -> r[w][b] = true));
    for (int k = 0; k < PARTIES; k++)
      for (int i = 0; i < PARTIES; i++)
        for (int j = 0; j < PARTIES; j++) r[i][j] |= r[i][k] && r[k][j];
    for (int i = 0; i < PARTIES; i++) if (r[i][i]) return true;
    return false;
  }

  private boolean reachesItselfThrough(int p, Set<Integer> allowed) {
    List<Integer> todo = new ArrayList<>(model.get(p).blockers());
    Set<Integer> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      int q = todo.removeLast();
      if (q == p) return true;
      if (!allowed.contains(q) || !seen.add(q)) continue;
      todo.addAll(model.get(q).blockers());
    }
    return false;
  }

  private static Party party(int i) {
    return Party.call(i, "");
  }

  private static List<Party> parties(Set<Integer> s) {
    return s.stream().map(WaitForGraphRandomizedTest::party).toList();
  }
}
