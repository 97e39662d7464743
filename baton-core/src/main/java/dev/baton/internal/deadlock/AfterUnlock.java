package dev.baton.internal.deadlock;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. What a change of the wait-for graph found, to do once the graph's lock is released (so that
 * nothing runs under that leaf lock): the log lines first, in the order found, then the victims' callbacks.
 *
 * Concurrency. Confined to the thread that made the change. The lists are made on first use: most changes
 * find nothing.
 *
 * Failure. A callback that throws is logged; the others still run.
 */
final class AfterUnlock {
  private static final Logger log = LoggerFactory.getLogger(WaitForGraph.class);

  private @Nullable List<Runnable> logs;
  private @Nullable List<Runnable> kills;

  void log(Runnable line) {
    if (logs == null) logs = new ArrayList<>(1);
    logs.add(line);
  }

  void kill(Runnable callback) {
    if (kills == null) kills = new ArrayList<>(1);
    kills.add(callback);
  }

  /** Runs what was collected. Call with the graph's lock released. */
  void run() {
    if (logs != null) logs.forEach(Runnable::run);
    if (kills == null) return;
    for (Runnable r : kills) {
      try {
        r.run();
      } catch (RuntimeException ex) {
        log.error("deadlock victim callback failed: {}", ex.toString());
      }
    }
  }
}
