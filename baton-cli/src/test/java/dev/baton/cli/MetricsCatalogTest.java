package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Keeps docs/metrics.md and the Grafana dashboard (docs/grafana/baton-dashboard.json) in step with the meters
 * the code registers: every meter name in the main sources has exactly one row, with the Prometheus name its
 * type gives; a running Baton's {@code GET /metrics} serves nothing undocumented, each family of the documented
 * type; and every series the dashboard queries is a documented one. A meter added without a row, a row whose
 * meter was renamed, or a dashboard panel with a misspelt series fails here.
 */
class MetricsCatalogTest {

  static final Path ROOT = Path.of("..");
  static final Path DOC = ROOT.resolve("docs").resolve("metrics.md");
  static final Path DASHBOARD = ROOT.resolve("docs").resolve("grafana").resolve("baton-dashboard.json");

  /** A literal meter name where a meter is registered (Micrometer's builders and the registry's shortcuts). */
  static final Pattern REGISTERED = Pattern.compile(
      "(?:counter|timer|gauge|summary|\\.builder)\\(\\s*\"(baton\\.[a-z0-9_.]+)\"");
  static final Pattern ROW = Pattern.compile(
      "^\\|\\s*`(baton_[a-z0-9_]+)`\\s*\\|\\s*`(baton\\.[a-z0-9_.]+)`\\s*\\|\\s*([a-z]+)(?:\\s*\\([a-z ]+\\))?\\s*\\|.*\\|\\s*$");

  record Row(String prometheus, String micrometer, String type) {}

  static Map<String, Row> documented() throws IOException {
    Map<String, Row> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(DOC)) {
      Matcher m = ROW.matcher(line);
      if (!m.matches()) continue;
      Row row = new Row(m.group(1), m.group(2), m.group(3));
      assertThat(rows.put(row.micrometer(), row)).as("a second row for %s", row.micrometer()).isNull();
    }
    return rows;
  }

  static Set<String> registeredInSources() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> modules = Files.list(ROOT)) {
      for (Path module : modules.filter(p -> p.getFileName().toString().startsWith("baton-")).toList()) {
        Path main = module.resolve("src").resolve("main").resolve("java");
        if (!Files.isDirectory(main)) continue;
        try (Stream<Path> files = Files.walk(main)) {
          files.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
            try {
              Matcher m = REGISTERED.matcher(Files.readString(p));
              while (m.find()) names.add(m.group(1));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
        }
      }
    }
    return names;
  }

  /** What Micrometer's Prometheus registry names a meter of this type. */
  static String prometheusName(String micrometer, String type) {
    String base = micrometer.replace('.', '_');
    return switch (type) {
      case "counter" -> base + "_total";
      case "timer" -> base + "_seconds";
      case "gauge", "summary" -> base;
      default -> throw new AssertionError("docs/metrics.md: unknown type '" + type + "' for " + micrometer);
    };
  }

  @Test
  void everyRegisteredMeterHasOneRowWithTheNamePrometheusShows() throws IOException {
    Map<String, Row> rows = documented();
    Set<String> sources = registeredInSources();
    assertThat(sources).as("meters found in the sources (the scan itself works)").hasSizeGreaterThan(40)
        .contains("baton.messages.admitted", "baton.queue.wait", "baton.turns.running");
    assertThat(new TreeSet<>(rows.keySet())).as("docs/metrics.md rows against the meters the code registers")
        .isEqualTo(sources);
    for (Row r : rows.values()) {
      assertThat(r.prometheus()).as("Prometheus name of %s (%s)", r.micrometer(), r.type())
          .isEqualTo(prometheusName(r.micrometer(), r.type()));
    }
  }

  @Test
  void aRunningBatonServesOnlyDocumentedFamiliesOfTheDocumentedType(@TempDir Path dir) throws Exception {
    Map<String, String> typeByPrometheus = new LinkedHashMap<>();
    for (Row r : documented().values()) typeByPrometheus.put(r.prometheus(), r.type());
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--port", "0", "--data", dir.resolve("data").toString());
    StringWriter out = new StringWriter();
    ServeCommand.Running running = cmd.start(new PrintWriter(out, true));
    HttpClient http = HttpClient.newHttpClient();
    try {
      Matcher curl = Pattern.compile("curl -s -X POST (\\S+) -H 'Authorization: Bearer (\\S+)'")
          .matcher(out.toString());
      assertThat(curl.find()).isTrue();
      String url = curl.group(1);
      List<String> ids = List.of("m-1", "m-2", "m-2"); // a duplicate too
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + curl.group(2)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"text\":\"hi\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(i < 2 ? 202 : 200);
      }
      String scrape = http.send(HttpRequest.newBuilder(URI.create(url.replace("/v1/messages", "/metrics")))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()).body();
      Matcher type = Pattern.compile("(?m)^# TYPE (baton_[a-z0-9_]+) ([a-z]+)$").matcher(scrape);
      List<String> families = new ArrayList<>();
      while (type.find()) {
        String family = type.group(1);
        String kind = type.group(2);
        families.add(family);
        // A timer's _max is its own gauge family in the text format.
        if (family.endsWith("_max") && typeByPrometheus.containsKey(family.substring(0, family.length() - 4))) {
          assertThat(kind).isEqualTo("gauge");
          continue;
        }
        assertThat(typeByPrometheus).as("family %s is documented in docs/metrics.md", family).containsKey(family);
        String documentedType = typeByPrometheus.get(family);
        assertThat(kind).as("type of %s", family).isIn(switch (documentedType) {
          case "counter" -> Set.of("counter");
          case "gauge" -> Set.of("gauge");
          default -> Set.of("histogram", "summary"); // timers and summaries: histogram when they publish buckets
        });
      }
      assertThat(families).as("the scrape holds Baton's families (the check above ran)")
          .contains("baton_messages_admitted_total", "baton_messages_duplicates_total", "baton_queue_wait_seconds",
              "baton_turns_running");
      assertThat(scrape).as("the turn limit is max_concurrent_total").containsPattern("(?m)^baton_turns_limit "
          + running.config().agent().concurrency().maxConcurrentTotal() + "\\.0$");
      assertThat(scrape).as("the duplicate was counted").containsPattern("(?m)^baton_messages_duplicates_total 1\\.0$");
    } finally {
      running.stop();
    }
  }

  @Test
  void theDashboardQueriesOnlyDocumentedSeriesAndCoversTheOverview() throws IOException {
    Map<String, String> typeByPrometheus = new LinkedHashMap<>();
    for (Row r : documented().values()) typeByPrometheus.put(r.prometheus(), r.type());
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    List<String> exprs = new ArrayList<>();
    List<JsonNode> dataSources = new ArrayList<>();
    collect(dashboard, exprs, dataSources);
    assertThat(exprs).as("queries in the dashboard").hasSizeGreaterThan(20);
    Set<String> used = new TreeSet<>();
    Matcher series = Pattern.compile("baton_[a-z0-9_]+").matcher(String.join("\n", exprs));
    while (series.find()) {
      String s = series.group();
      String base = s.replaceFirst("_(bucket|count|sum|max)$", "");
      if (!typeByPrometheus.containsKey(s) && typeByPrometheus.containsKey(base)
          && !typeByPrometheus.get(base).equals("counter") && !typeByPrometheus.get(base).equals("gauge")) {
        s = base; // a timer's or summary's own series
      }
      assertThat(typeByPrometheus).as("series %s in the dashboard is documented", series.group()).containsKey(s);
      used.add(s);
    }
    assertThat(used).as("the overview the operator looks at first").contains("baton_messages_admitted_total",
        "baton_turns_running", "baton_turns_limit", "baton_queue_depth", "baton_queue_wait_seconds",
        "baton_turn_duration_seconds",
        "baton_messages_busy_total", "baton_messages_expired_total", "baton_turns_failed_total",
        "baton_deadlocks_detected_total", "baton_gateway_delivery_failed_total");
    assertThat(dataSources).as("panels and queries name the data source variable, never a fixed uid")
        .isNotEmpty().allSatisfy(ds -> assertThat(ds.path("uid").asText()).isEqualTo("${datasource}"));
  }

  private static void collect(JsonNode node, List<String> exprs, List<JsonNode> dataSources) {
    if (node.isObject()) {
      node.properties().forEach(e -> {
        if (e.getKey().equals("expr") && e.getValue().isTextual()) exprs.add(e.getValue().asText());
        else if (e.getKey().equals("datasource") && e.getValue().isObject()) dataSources.add(e.getValue());
        else collect(e.getValue(), exprs, dataSources);
      });
    } else if (node.isArray()) {
      for (JsonNode n : node) collect(n, exprs, dataSources);
    }
  }
}
