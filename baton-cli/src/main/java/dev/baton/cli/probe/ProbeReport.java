package dev.baton.cli.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of one probe run: a verdict per pattern with its evidence, latencies and throughput, and how the
 * target answered the deliveries ({@code answers}: accepted, duplicate, busy, refused, unauthorized, failed;
 * {@code statuses}: by HTTP status, -1 for none).
 */
public record ProbeReport(Map<String, PatternResult> patterns, Map<String, Latency> latencyMs, Throughput throughput,
    String target, String level, long seed, String problem, Map<String, List<Point>> cdf,
    Map<String, List<Point>> histogram, List<Tick> timeline, Map<String, Long> answers, Map<String, Long> statuses) {

  /** A point of a latency CDF (ms, fraction) or histogram (upper bound ms, count). */
  public record Point(double x, double y) {}

  /**
   * One slice of the run starting {@code at} seconds after the start (at most 60 slices, each 100 ms or more):
   * deliveries sent, replies received and violations found in it (by when they happened), each per second.
   */
  public record Tick(double at, double sent, double replies, double violations) {}

  /** The patterns, in report order, with the guide's name for each. */
  public static final Map<String, String> PATTERNS = patternNames();

  private static Map<String, String> patternNames() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("duplicates", "duplicate processing: two replies to one message, or a message taken as another's");
    m.put("interleaving", "session interleaving: a reply that quotes another user's nonce");
    m.put("shared_state", "shared state corruption: a context reply whose nonces are not exactly its user's, in order");
    m.put("tool_race", "tool call race: the shared ledger's total is not the sum of what was added");
    m.put("deadlock", "deadlock / stuck: an accepted message with no reply and no busy/error in time");
    m.put("order", "order: replies to one user out of send order");
    return java.util.Collections.unmodifiableMap(m);
  }

  public record Example(String message, String user, String detail, double atSeconds) {}

  /** {@code checked} = -1: not applicable at this level. */
  public record PatternResult(long checked, long violations, List<Example> examples) {}

  public record Latency(long count, double p50, double p90, double p99, double p999, double max) {}

  /** {@code busy}: deliveries answered 429; {@code refused}: answered another 4xx (409: rejected, dropped). */
  public record Throughput(long sent, long accepted, long busy, long refused, long replies, double seconds,
      double sentPerSecond, double repliesPerSecond) {}

  /** The latency of one outcome ({@code reply}, {@code busy}, {@code notice}); all zero when none was seen. */
  public Latency latency(String outcome) {
    return latencyMs.getOrDefault(outcome, new Latency(0, 0, 0, 0, 0, 0));
  }

  public long violations() {
    return patterns.values().stream().mapToLong(PatternResult::violations).sum();
  }

  /** 0 = nothing found, 1 = a failure found, 2 = the target could not be driven. */
  public int exitCode() {
    if (!problem.isEmpty()) return 2;
    return violations() > 0 ? 1 : 0;
  }

  public ObjectNode toJson() {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("target", target).put("level", level.toLowerCase(Locale.ROOT)).put("seed", seed);
    root.put("exit", exitCode());
    if (!problem.isEmpty()) root.put("problem", problem);
    ObjectNode p = root.putObject("patterns");
    patterns.forEach((name, r) -> {
      ObjectNode o = p.putObject(name);
      o.put("checked", r.checked()).put("violations", r.violations());
      ArrayNode ex = o.putArray("examples");
      for (Example e : r.examples()) {
        ex.addObject().put("message", e.message()).put("user", e.user()).put("detail", e.detail())
            .put("at_s", e.atSeconds());
      }
    });
    ObjectNode an = root.putObject("answers");
    answers.forEach(an::put);
    ObjectNode st = root.putObject("statuses");
    statuses.forEach(st::put);
    ObjectNode l = root.putObject("latency_ms");
    latencyMs.forEach((outcome, v) -> l.putObject(outcome).put("count", v.count()).put("p50", v.p50())
        .put("p90", v.p90()).put("p99", v.p99()).put("p999", v.p999()).put("max", v.max()));
    ArrayNode tl = root.putArray("timeline");
    for (Tick t : timeline) tl.addObject().put("at_s", t.at()).put("sent", t.sent()).put("replies", t.replies())
        .put("violations", t.violations());
    root.putObject("throughput").put("sent", throughput.sent()).put("accepted", throughput.accepted())
        .put("busy", throughput.busy()).put("refused", throughput.refused())
        .put("replies", throughput.replies()).put("seconds", throughput.seconds())
        .put("sent_per_s", throughput.sentPerSecond()).put("replies_per_s", throughput.repliesPerSecond());
    return root;
  }

  public void writeJson(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Files.writeString(file, json.writeValueAsString(toJson()) + "\n");
  }

  /** The terminal table: one row per pattern, then latency and throughput, then the first examples. */
  public void print(PrintWriter out) {
    out.printf("probe %s (level %s, seed %d)%n", target, level.toLowerCase(Locale.ROOT), seed);
    out.printf("  %-14s %9s %10s  %s%n", "pattern", "checked", "violations", "verdict");
    patterns.forEach((name, r) -> out.printf("  %-14s %9s %10d  %s%n", name,
        r.checked() < 0 ? "-" : Long.toString(r.checked()), r.violations(),
        r.checked() < 0 ? "not checked at this level" : r.violations() == 0 ? "ok" : "FOUND"));
    latencyMs.forEach((outcome, v) -> out.printf(Locale.ROOT,
        "  latency %-7s n=%d p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", outcome, v.count(), v.p50(), v.p99(),
        v.max()));
    out.printf(Locale.ROOT, "  throughput: %d sent (%d accepted, %d busy, %d refused) in %.1f s = %.0f/s; %d "
        + "replies%n", throughput.sent(), throughput.accepted(), throughput.busy(), throughput.refused(),
        throughput.seconds(), throughput.sentPerSecond(), throughput.replies());
    out.println("  answers: " + answers.entrySet().stream().filter(e -> e.getValue() > 0)
        .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", ")));
    patterns.forEach((name, r) -> r.examples().stream().limit(3).forEach(e ->
        out.printf(Locale.ROOT, "  %s: %s of %s at %.3f s: %s%n", name, e.message(), e.user(), e.atSeconds(),
            e.detail())));
    if (!problem.isEmpty()) out.println("  could not drive the target: " + problem);
    else if (throughput.accepted() > 0 && throughput.replies() == 0) {
      out.println("  no reply arrived at all: the target is stuck, or does not answer on GET /v1/replies");
    }
    else out.println(violations() == 0 ? "  nothing found" : "  " + violations() + " violations found");
    out.flush();
  }
}
