package dev.baton.internal.deadlock;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The graph's lock and the watchdog's are leaves that nothing runs under: the deadlock log line, the victim's
 * callback and the stuck-call log line each happen with both locks free. Probed with real threads: at each of
 * those moments another thread must get an answer from the graph (snapshot() takes both locks); while a lock
 * is held by the thread that logs, the probe would block and the test fail at {@link #PROBE_SECONDS}.
 */
class WaitForGraphUnlockedEffectsTest {
  /** How long a probe may wait for the graph before the test calls the lock held. */
  static final long PROBE_SECONDS = 10;

  final ManualScheduler clock = new ManualScheduler();
  final WaitGraph.Owned graph = WaitGraph.create(new DeadlockDetectionConfig(true, 1_000,
      OnDeadlock.KILL_OLDEST_WAITER), clock, new SimpleMeterRegistry());
  final List<String> probes = new CopyOnWriteArrayList<>();
  final Probe graphLog = new Probe(WaitForGraph.class);
  final Probe watchdogLog = new Probe(StuckCallWatchdog.class);

  /** Appends, for every log line of its logger, whether another thread could read the graph meanwhile. */
  final class Probe extends AppenderBase<ILoggingEvent> {
    final Logger logger;

    Probe(Class<?> of) {
      logger = (Logger) LoggerFactory.getLogger(of);
      start();
      logger.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent e) {
      String[] words = e.getFormattedMessage().split(" ", 3);
      probes.add(probe("log " + words[0] + " " + words[1]));
    }
  }

  @AfterEach
  void detach() {
    graphLog.logger.detachAppender(graphLog);
    watchdogLog.logger.detachAppender(watchdogLog);
    graph.close();
  }

  /**
   * "<what> free" if another thread read the graph within the bound, else "<what> LOCKED". The probe thread
   * is a daemon left behind on failure: it would wait for a lock this very thread holds.
   */
  String probe(String what) {
    FutureTask<Integer> read = new FutureTask<>(() -> graph.snapshot().totalWaits());
    Thread t = Thread.ofPlatform().name("probe").daemon().start(read);
    try {
      read.get(PROBE_SECONDS, TimeUnit.SECONDS);
      t.join();
      return what + " free";
    } catch (TimeoutException e) {
      return what + " LOCKED";
    } catch (Exception e) {
      return what + " failed: " + e;
    }
  }

  static Party call(int i) {
    return Party.call(i, "session s" + i);
  }

  @Test
  void aDeadlockFoundAtTheClosingEdgeIsLoggedAndItsVictimToldWithTheGraphUnlocked() {
    graph.start();
    graph.await(call(1), WaitKind.LOCK, "x", Need.ALL, List.of(call(2)), e -> probes.add(probe("victim call#1")));
    graph.await(call(2), WaitKind.LOCK, "y", Need.ALL, List.of(call(1)), e -> probes.add(probe("victim call#2")));

    assertThat(probes).containsExactly("log deadlock detected free", "victim call#1 free");
  }

  @Test
  void aDeadlockFoundByTheSweepIsLoggedAndItsVictimToldWithTheGraphUnlocked() {
    WaitForGraph g = (WaitForGraph) graph;
    g.start();
    g.await(call(1), WaitKind.LOCK, "x", Need.ALL, List.of(call(2)), e -> probes.add(probe("victim call#1")));
    g.await(call(2), WaitKind.LOCK, "y", Need.ALL, List.of(), e -> probes.add(probe("victim call#2")));
    g.insertBlockersWithoutDetection(call(2), java.util.Set.of(call(1)));
    clock.advance(Duration.ofMillis(1_000)); // the sweep, on the scheduler's thread

    assertThat(probes).containsExactly("log deadlock detected free", "victim call#1 free");
  }

  @Test
  void anUnbreakableDeadlockIsLoggedWithTheGraphUnlocked() {
    graph.await(Party.turn(1, ""), WaitKind.OWN_CALLS, "calls", Need.ALL, List.of(Party.turn(2, "")), null);
    graph.await(Party.turn(2, ""), WaitKind.OWN_CALLS, "calls", Need.ALL, List.of(Party.turn(1, "")), null);

    assertThat(probes).containsExactly("log deadlock detected free");
  }

  @Test
  void aStuckCallIsLoggedWithTheGraphAndTheWatchdogUnlocked() {
    graph.start();
    graph.callStarted(call(1), Duration.ofMillis(1_500));
    clock.advance(Duration.ofMillis(2_000)); // the second sweep sees it stuck

    assertThat(probes).containsExactly("log tool call free");
  }
}
