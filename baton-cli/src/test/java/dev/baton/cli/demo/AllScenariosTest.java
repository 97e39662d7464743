package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllScenariosTest {

  private static DemoReport report(String scenario, Map<String, DemoReport.PromiseResult> promises) {
    return new DemoReport(scenario, 1, DemoReport.passed(promises), promises, Map.of(), Map.of(), Map.of(),
        Map.of(), 1, 1);
  }

  @Test
  void mergingSumsChecksAndKeepsAViolationFromEitherScenario() {
    DemoReport a = report("sessions", Map.of("P4", new DemoReport.PromiseResult("waits", 10, 0, List.of())));
    DemoReport b = report("tools", Map.of(
        "P4", new DemoReport.PromiseResult("waits", 5, 1, List.of("m7 never answered")),
        "P8", new DemoReport.PromiseResult("deadlocks", 2, 0, List.of())));
    Map<String, DemoReport.PromiseResult> merged = AllScenarios.merge(List.of(a, b));
    assertThat(merged.get("P4").checked()).isEqualTo(15);
    assertThat(merged.get("P4").violations()).isEqualTo(1);
    assertThat(merged.get("P4").examples()).containsExactly("m7 never answered");
    assertThat(merged).containsKey("P8");
    assertThat(AllScenarios.passed(List.of(a, b))).isFalse();
    assertThat(AllScenarios.passed(List.of(a))).isTrue();
  }

  @Test
  void theDefaultDemoRunsAllFiveScenariosAndReportsP1ToP10AndF1ToF5(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("all.json");
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute("demo", "--users", "20", "--messages", "10", "--seed", "5", "--no-progress",
        "--json", json.toString());
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.path("scenario").asText()).isEqualTo("all");
    // The hostile scenario fails until the fixes of issue 10 are merged; sessions and tools must pass on their own.
    assertThat(exit).as(err.toString()).isEqualTo(root.path("passed").asBoolean() ? 0 : 1);
    assertThat(root.path("scenarios").path("sessions").path("passed").asBoolean()).isTrue();
    assertThat(root.path("scenarios").path("tools").path("passed").asBoolean()).isTrue();
    for (String p : new String[] {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"}) {
      assertThat(root.path("promises").path(p).path("checked").asLong()).as(p).isPositive();
    }
    for (String p : new String[] {"P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"}) {
      assertThat(root.path("promises").path(p).path("violations").asLong()).as(p).isZero();
    }
    assertThat(root.path("deadlocks").path("injected").asLong()).isEqualTo(2);
    assertThat(root.path("deadlocks").path("detected").asLong()).isEqualTo(2);
    assertThat(root.path("deadlocks").path("broken").asLong()).isEqualTo(2);
    assertThat(root.path("deadlock_detect_ms").size()).isEqualTo(2);
    assertThat(root.path("lost_updates").asLong()).isZero();
    assertThat(root.path("executed_twice").asLong()).isZero();
    assertThat(root.path("transport").asText()).isEqualTo("http");
    assertThat(root.path("scenarios").has("tools")).isTrue();
    assertThat(root.path("scenarios").has("hostile")).isTrue();
    assertThat(root.path("scenarios").path("live").path("passed").asBoolean()).isTrue();
    assertThat(root.path("live").path("checks").path("cancel_within_limit").path("checked").asLong()).isPositive();
    assertThat(root.path("live").path("cancel_ms").has("p50")).isTrue();
    assertThat(root.path("live").path("platform").path("previews").asLong()).isPositive();
    for (String a : HostileScenarioTest.ATTACKS) {
      assertThat(root.path("attacks").path(a).path("checked").asLong()).as(a).isPositive();
    }
    assertThat(root.path("promises").path("P11").path("checked").asLong()).isPositive();
    assertThat(root.path("scenarios").path("flow").path("passed").asBoolean()).isTrue();
    for (String p : new String[] {"F1", "F2", "F3", "F4", "F5"}) {
      assertThat(root.path("promises").path(p).path("checked").asLong()).as(p).isPositive();
      assertThat(root.path("promises").path(p).path("violations").asLong()).as(p).isZero();
    }
    assertThat(root.path("flow").path("backoff_leg").path("pauses").asLong()).isPositive();
  }

  /** Passes only once the fixes of issue 10 are merged: then the whole default demo keeps every promise. */
  @Test
  void theDefaultDemoPassesWithEveryAttackRefused(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("all.json");
    int exit = Main.commandLine().execute("demo", "--users", "20", "--messages", "10", "--seed", "5",
        "--no-progress", "--json", json.toString());
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.path("attacks").toString()).isNotEmpty();
    assertThat(exit).as(root.path("attacks").toString()).isZero();
    assertThat(root.path("passed").asBoolean()).isTrue();
  }
}
