package dev.baton.cli.demo;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.cli.probe.ProbeReport;
import dev.baton.spi.BatonJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The result of a demo run: for each promise checked, how many checks and how many violations; what
 * happened to the messages; throughput and queue-wait percentiles; which transport carried the traffic
 * ({@code inprocess} or {@code http}) and, over HTTP, the request figures (requests, statuses, POST latency).
 * Written as text or JSON ({@code --json FILE}).
 */
public record DemoReport(
    String scenario,
    long seed,
    boolean passed,
    Map<String, PromiseResult> promises,
    Map<String, Long> messages,
    Map<String, Object> load,
    Map<String, Long> engineCounters,
    Map<String, Double> queueWaitMs,
    double seconds,
    double messagesPerSecond,
    String transport,
    Map<String, Object> http,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, AttackResult> attacks,
    @JsonIgnore @Nullable ProbeReport probe) {

  /** A report without the probe's (every scenario but the sessions scenario). */
  public DemoReport(String scenario, long seed, boolean passed, Map<String, PromiseResult> promises,
      Map<String, Long> messages, Map<String, Object> load, Map<String, Long> engineCounters,
      Map<String, Double> queueWaitMs, double seconds, double messagesPerSecond, String transport,
      Map<String, Object> http, Map<String, AttackResult> attacks) {
    this(scenario, seed, passed, promises, messages, load, engineCounters, queueWaitMs, seconds, messagesPerSecond,
        transport, http, attacks, null);
  }

  /** The probe's report as {@code baton probe --json} writes it (the sessions scenario is the probe's run). */
  @JsonProperty("probe")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public @Nullable JsonNode probeJson() {
    return probe == null ? null : probe.toJson();
  }

  /** A report without attacks (every scenario but the hostile one). */
  public DemoReport(String scenario, long seed, boolean passed, Map<String, PromiseResult> promises,
      Map<String, Long> messages, Map<String, Object> load, Map<String, Long> engineCounters,
      Map<String, Double> queueWaitMs, double seconds, double messagesPerSecond, String transport,
      Map<String, Object> http) {
    this(scenario, seed, passed, promises, messages, load, engineCounters, queueWaitMs, seconds, messagesPerSecond,
        transport, http, Map.of());
  }

  /** A report of an in-process run (no HTTP figures). */
  public DemoReport(String scenario, long seed, boolean passed, Map<String, PromiseResult> promises,
      Map<String, Long> messages, Map<String, Object> load, Map<String, Long> engineCounters,
      Map<String, Double> queueWaitMs, double seconds, double messagesPerSecond) {
    this(scenario, seed, passed, promises, messages, load, engineCounters, queueWaitMs, seconds, messagesPerSecond,
        "inprocess", Map.of());
  }

  /** One promise: what it means, how often it was checked, how often it broke, and a few examples. */
  public record PromiseResult(String meaning, long checked, long violations, List<String> examples) {}

  /**
   * One attack of the hostile scenario: the promise it attacks, what the attacker does, how often the outcome was
   * checked and how often the attack succeeded (a violation), with a few examples as seen over the wire.
   */
  public record AttackResult(String promise, String attack, long checked, long violations, List<String> examples) {}

  static boolean passed(Map<String, PromiseResult> promises) {
    return promises.values().stream().allMatch(p -> p.violations() == 0 && p.checked() > 0);
  }

  public void writeJson(Path file) throws IOException {
    BatonJson.pretty().writeValue(file.toFile(), this);
  }

  public void print(PrintStream out) {
    out.println();
    out.printf(Locale.ROOT, "Baton demo '%s' over %s (seed %d): %s%n", scenario,
        transport.equals("http") ? "HTTP" : "in-process calls", seed,
        attacks.isEmpty() ? (passed ? "every promise kept" : "PROMISES VIOLATED")
            : (passed ? "every attack refused, every promise kept" : "ATTACKS SUCCEEDED, PROMISES VIOLATED"));
    out.println();
    out.printf(Locale.ROOT, "  %-4s %12s %11s   %s%n", "", "checks", "violations", "promise");
    promises.forEach((name, p) -> {
      out.printf(Locale.ROOT, "  %-4s %,12d %,11d   %s%n", name, p.checked(), p.violations(), p.meaning());
      for (String e : p.examples()) out.println("         ! " + e);
    });
    ProbeReport pr = probe;
    if (pr != null) {
      out.println();
      out.printf(Locale.ROOT, "  judged from outside by the probe (baton probe, level %s):%n",
          pr.level().toLowerCase(Locale.ROOT));
      pr.patterns().forEach((name, r) -> out.printf(Locale.ROOT, "  %-14s %,9d checked %,6d found   %s%n", name,
          Math.max(0, r.checked()), r.violations(), r.checked() < 0 ? "not checked at this level"
              : ProbeReport.PATTERNS.getOrDefault(name, "")));
    }
    if (!attacks.isEmpty()) {
      out.println();
      out.printf(Locale.ROOT, "  %-24s %-4s %8s %11s   %s%n", "attack", "", "checks", "violations", "what the attacker does");
      attacks.forEach((name, a) -> {
        out.printf(Locale.ROOT, "  %-24s %-4s %,8d %,11d   %s%n", name, a.promise(), a.checked(), a.violations(),
            a.attack());
        for (String e : a.examples()) out.println("         ! " + e);
      });
    }
    out.println();
    out.print("  messages:");
    messages.forEach((k, v) -> out.printf(Locale.ROOT, " %s %,d", k.replace('_', ' '), v));
    out.println();
    out.print("  load:");
    load.forEach((k, v) -> out.print(" " + k.replace('_', ' ') + " " + v));
    out.println();
    if (!engineCounters.isEmpty() || attacks.isEmpty()) {
      out.print("  engine counters:");
      engineCounters.forEach((k, v) -> out.printf(Locale.ROOT, " %s %,d", k.replace("baton.", ""), v));
      out.println();
    }
    out.printf(Locale.ROOT, "  throughput: %,.0f %s/s over %.2f s%n", messagesPerSecond,
        attacks.isEmpty() ? "messages" : "requests", seconds);
    if (!queueWaitMs.isEmpty() || attacks.isEmpty()) {
      out.printf(Locale.ROOT, "  queue wait (ms): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f%n",
          queueWaitMs.getOrDefault("p50", 0.0), queueWaitMs.getOrDefault("p90", 0.0),
          queueWaitMs.getOrDefault("p99", 0.0), queueWaitMs.getOrDefault("max", 0.0));
    }
    if (!http.isEmpty()) {
      out.print("  http:");
      http.forEach((k, v) -> out.print(" " + k.replace('_', ' ') + " " + v));
      out.println();
    }
  }

  /** p50, p90, p99 and max of {@code nanos}, in milliseconds. */
  static Map<String, Double> percentilesMs(List<Long> nanos) {
    if (nanos.isEmpty()) return Map.of("p50", 0.0, "p90", 0.0, "p99", 0.0, "max", 0.0);
    long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    return new java.util.TreeMap<>(Map.of(
        "p50", ms(sorted, 0.50), "p90", ms(sorted, 0.90), "p99", ms(sorted, 0.99),
        "max", sorted[sorted.length - 1] / 1e6));
  }

  private static double ms(long[] sorted, double q) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }
}
