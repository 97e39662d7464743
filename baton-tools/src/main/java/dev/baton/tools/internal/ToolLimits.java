package dev.baton.tools.internal;

import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * {@code tools.limits}: one {@link ToolGate} per limited tool, fixed at build. A tool without limits has no gate
 * and its calls pay one map lookup. Immutable; thread-safe.
 */
final class ToolLimits {

  private final Map<String, ToolGate> gates;

  ToolLimits(Map<String, ToolsConfig.ToolLimit> config, Scheduler scheduler, WaitGraph graph, MeterRegistry meters) {
    Map<String, ToolGate> g = new HashMap<>();
    config.forEach((name, l) -> {
      if (l.maxConcurrent() > 0 || l.callsPerMinute() > 0) {
        g.put(name, new ToolGate(name, l.maxConcurrent(), l.callsPerMinute(), scheduler, graph, meters));
      }
    });
    this.gates = Map.copyOf(g);
  }

  /** The gate of {@code tool}, or null when it has no limits. */
  @Nullable ToolGate gate(String tool) {
    return gates.get(tool);
  }

  /** @throws IllegalArgumentException if a limited name is no tool of {@code known} (a typo would limit nothing) */
  static void check(Map<String, ToolsConfig.ToolLimit> config, Set<String> known) {
    for (String name : config.keySet()) {
      if (!known.contains(name)) {
        throw new IllegalArgumentException("tools.limits names '" + name + "', which is no registered tool (known: "
            + String.join(", ", new TreeSet<>(known)) + ")");
      }
    }
  }
}
