package dev.baton.cli.demo;

import dev.baton.spi.BatonJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The default of {@code baton demo}: the sessions scenario (P1–P4, P7, P9, over HTTP by default), the
 * tools scenario (P4–P6, P8: contention on shared resources, retried calls, injected deadlocks), the hostile
 * scenario (attacks on the gateway), the live scenario (P10: streams, steer, cancel) and the flow scenario (F1–F5:
 * provider rate and backoff, fair service, agent loops, per-user limits on a virtual clock), judged together.
 * The JSON report is the sessions report with the promises of all merged, the tools scenario's
 * {@code deadlocks} figures, the hostile scenario's {@code attacks} and the live scenario's figures ({@code live})
 * lifted to the top, the flow scenario's legs as {@code flow}, and every report whole under {@code scenarios}.
 */
final class AllScenarios {

  static final String NAME = "all";

  private AllScenarios() {}

  /** Promises of several runs: checks and violations summed per promise, examples kept (at most five). */
  static Map<String, DemoReport.PromiseResult> merge(List<DemoReport> reports) {
    Map<String, DemoReport.PromiseResult> merged = new TreeMap<>();
    for (DemoReport r : reports) {
      r.promises().forEach((name, p) -> merged.merge(name, p, (a, b) -> {
        List<String> examples = new ArrayList<>(a.examples());
        examples.addAll(b.examples());
        String meaning = a.meaning().equals(b.meaning()) ? a.meaning() : a.meaning() + "; " + b.meaning();
        return new DemoReport.PromiseResult(meaning, a.checked() + b.checked(), a.violations() + b.violations(),
            examples.subList(0, Math.min(5, examples.size())));
      }));
    }
    return merged;
  }

  static boolean passed(List<DemoReport> reports) {
    return reports.stream().allMatch(DemoReport::passed);
  }

  static void writeJson(DemoReport sessions, DemoReport tools, Path file) throws IOException {
    writeJson(sessions, tools, null, file);
  }

  /** As above, with the hostile scenario's promises merged too and its {@code attacks} at the top. */
  static void writeJson(DemoReport sessions, DemoReport tools, @org.jspecify.annotations.Nullable DemoReport hostile,
      Path file) throws IOException {
    writeJson(sessions, tools, hostile, null, file);
  }

  /** As above, with the live scenario's promise (P10) merged too and its figures at the top as {@code live}. */
  static void writeJson(DemoReport sessions, DemoReport tools, @org.jspecify.annotations.Nullable DemoReport hostile,
      @org.jspecify.annotations.Nullable DemoReport live, Path file) throws IOException {
    writeJson(sessions, tools, hostile, live, java.util.Optional.empty(), file);
  }

  /** As above, with where the engine's log went and how many warnings and errors it holds. */
  static void writeJson(DemoReport sessions, DemoReport tools, @org.jspecify.annotations.Nullable DemoReport hostile,
      @org.jspecify.annotations.Nullable DemoReport live, java.util.Optional<DemoLog> log, Path file)
      throws IOException {
    writeJson(sessions, tools, hostile, live, null, log, file);
  }

  /** As above, with the flow scenario's promises (F1–F5) merged too and its legs at the top as {@code flow}. */
  static void writeJson(DemoReport sessions, DemoReport tools, @org.jspecify.annotations.Nullable DemoReport hostile,
      @org.jspecify.annotations.Nullable DemoReport live, @org.jspecify.annotations.Nullable DemoReport flow,
      java.util.Optional<DemoLog> log, Path file) throws IOException {
    @SuppressWarnings("unchecked")
    Map<String, Object> root = new LinkedHashMap<>(BatonJson.MAPPER.convertValue(sessions, Map.class));
    List<DemoReport> both = new ArrayList<>(List.of(sessions, tools));
    if (hostile != null) both.add(hostile);
    if (live != null) both.add(live);
    if (flow != null) both.add(flow);
    root.put("scenario", NAME);
    root.put("passed", passed(both));
    root.put("promises", merge(both));
    root.put("deadlocks", tools.load().getOrDefault("deadlocks", Map.of()));
    root.put("deadlock_detect_ms", tools.load().getOrDefault("detect_ms", List.of()));
    root.put("lost_updates", tools.load().getOrDefault("lost_updates", 0L));
    root.put("executed_twice", tools.load().getOrDefault("executed_twice", 0L));
    if (hostile != null) root.put("attacks", hostile.attacks());
    if (live != null) root.put("live", live.load());
    if (flow != null) root.put("flow", flow.load());
    Map<String, DemoReport> scenarios = new LinkedHashMap<>();
    scenarios.put("sessions", sessions);
    scenarios.put("tools", tools);
    if (hostile != null) scenarios.put("hostile", hostile);
    if (live != null) scenarios.put("live", live);
    if (flow != null) scenarios.put("flow", flow);
    root.put("scenarios", scenarios);
    log.ifPresent(l -> root.put("engine_log", Map.of("file", l.file().toString(), "warnings", l.warnings(),
        "errors", l.errors())));
    BatonJson.pretty().writeValue(file.toFile(), root);
  }
}
