package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Agent;
import dev.baton.Turn;
import dev.baton.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo end to end against the real in-memory engine and echo agent, small. */
class SessionsScenarioTest {

  private static DemoOptions small(long seed) throws Exception {
    return new DemoOptions(50, 20, seed, 1, DemoCommand.demoConfig());
  }

  /** A run where turns time out after 1.5 s, so a run with a planted fault waits less for what never comes. */
  static DemoOptions failingFast(DemoOptions o) {
    var cfg = o.config().withAgent(o.config().agent().withTurnTimeoutMs(1_500));
    return new DemoOptions(o.users(), o.messages(), o.seed(), o.turnMillis(), cfg, o.transport(), o.store());
  }

  @Test
  void smallRunKeepsEveryPromiseAndExercisesEveryPath() throws Exception {
    DemoReport r = new SessionsScenario().run(small(7), Progress.none());
    assertThat(r.promises()).containsOnlyKeys("P1", "P2", "P3", "P4", "P7", "P9");
    assertThat(r.promises()).allSatisfy((name, p) -> {
      assertThat(p.violations()).as(name + ": " + p.examples()).isZero();
      assertThat(p.checked()).as(name).isPositive();
    });
    assertThat(r.passed()).isTrue();
    assertThat(r.probe()).as("the probe judged the run").isNotNull();
    assertThat(r.probe().level()).isEqualTo("CONTEXT"); // the demo's agent: every reply quotes the whole session
    assertThat(r.probe().patterns().get("shared_state").checked()).isPositive();
    assertThat(r.probe().exitCode()).isZero();
    assertThat(r.messages()).containsEntry("sent", 1000L).containsEntry("duplicates_processed", 0L)
        .containsEntry("failed", 0L).containsEntry("unauthorized", 0L);
    assertThat(r.messages().get("deliveries")).isGreaterThan(1000L); // redeliveries were sent
    assertThat(r.messages().get("answered_duplicate")).as("redeliveries answered duplicate").isPositive();
    assertThat(r.messages().get("processed")).isPositive();
    assertThat(r.messages().get("busy")).as("slow users' queues overflow").isPositive();
    assertThat(r.messages().get("notices")).as("slow users' queued messages expire with a notice").isPositive();
    assertThat(r.engineCounters()).containsKey("baton.messages.admitted");
  }

  /** The classic shared-state bug: an agent that keeps "the current message" in a field. P1 must catch it. */
  @Test
  void anAgentThatSharesStateAcrossSessionsIsCaught() throws Exception {
    AtomicReference<String> lastText = new AtomicReference<>("");
    Agent leaky = turn -> {
      String previous = lastText.getAndSet(turn.messages().getLast().text());
      for (Turn.Message m : turn.messages()) turn.reply(m.text() + " / earlier: " + previous);
    };
    DemoReport r = new SessionsScenario(cfg -> leaky).run(failingFast(small(8)), Progress.none());
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("P1").violations()).isPositive();
    assertThat(r.promises().get("P1").examples()).isNotEmpty();
  }

  /** The stress size: 1,000 sessions, 100,000 messages, duplicates, reordering, bursts (./run-tests -Pslow). */
  @Tag("slow")
  @Test
  void stressRunKeepsEveryPromise() throws Exception {
    DemoReport r = new SessionsScenario().run(
        new DemoOptions(1_000, 100, System.nanoTime(), 1, DemoCommand.demoConfig()), Progress.none());
    assertThat(r.promises()).allSatisfy((name, p) ->
        assertThat(p.violations()).as(name + " (seed " + r.seed() + "): " + p.examples()).isZero());
    assertThat(r.passed()).isTrue();
    assertThat(r.messages()).containsEntry("sent", 100_000L).containsEntry("duplicates_processed", 0L);
  }

  @Test
  void commandWritesJsonAndExitsZero(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("report.json");
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute("demo", "--scenario", "sessions", "--users", "20", "--messages", "10", "--seed", "3", "--no-progress",
        "--json", json.toString());
    assertThat(exit).as(err.toString()).isZero();
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.path("passed").asBoolean()).isTrue();
    for (String p : new String[] {"P1", "P2", "P3", "P4", "P7", "P9"}) {
      assertThat(root.path("promises").path(p).path("checked").asLong()).as(p).isPositive();
      assertThat(root.path("promises").path(p).path("violations").isNumber()).as(p).isTrue();
    }
    assertThat(root.path("messages").path("sent").asLong()).isEqualTo(200);
    assertThat(root.path("messages").has("processed")).isTrue();
    assertThat(root.path("queueWaitMs").has("p99")).isTrue();
    assertThat(root.path("transport").asText()).isEqualTo("http"); // the default: the whole path end to end
    assertThat(root.path("promises").path("HTTP").path("checked").asLong()).isPositive();
    assertThat(root.path("http").path("statuses").path("202").asLong()).isPositive();
    assertThat(root.path("http").path("reply_latency_ms").has("p99")).isTrue();
    // the probe's own report, as baton probe --json writes it
    JsonNode probe = root.path("probe");
    assertThat(probe.path("level").asText()).isEqualTo("context");
    for (String p : new String[] {"duplicates", "interleaving", "shared_state", "deadlock", "order"}) {
      assertThat(probe.path("patterns").path(p).path("checked").asLong()).as(p).isPositive();
      assertThat(probe.path("patterns").path(p).path("violations").asLong()).as(p).isZero();
    }
    assertThat(probe.path("latency_ms").path("reply").path("p99").isNumber()).isTrue();
  }

  /** The engine's warnings go to the file the report names, as many as it says; none reach the console. */
  @Test
  void theEnginesWarningsGoToTheNamedLogFile(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("engine.log");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream before = System.out;
    int exit;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      exit = Main.commandLine().execute("demo", "--scenario", "sessions", "--users", "40", "--messages", "10",
          "--seed", "5", "--no-progress", "--transport", "inprocess", "--log", log.toString());
    } finally {
      System.setOut(before);
    }
    String printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(exit).as(printed).isZero();
    java.util.List<String> lines = java.nio.file.Files.readAllLines(log);
    long warnings = lines.stream().filter(l -> l.contains(" WARN ")).count();
    assertThat(warnings).as("slow users' queued messages expire, and the engine says so").isPositive();
    assertThat(lines).filteredOn(l -> l.contains(" WARN ")).anyMatch(l -> l.contains("expired"));
    assertThat(printed).contains("the engine's log (" + warnings + " warnings, 0 errors): " + log);
  }

  /**
   * Messages carry their seq, and a swapped pair both taken within the gap hold must be answered by it. An engine
   * that does not hold gaps (here: gap_timeout_ms 0, while the checks expect the demo's 200 ms) runs the
   * later-numbered one as it comes: the probe's order check says so (P9).
   */
  @Test
  void anEngineThatIgnoresTheOrderKeyIsAP9Violation() throws Exception {
    SessionsScenario noHold = new SessionsScenario().withEngineConfig(c -> c.withOrdering(
        new dev.baton.config.OrderingConfig(0, c.ordering().holdMs(), c.ordering().latePolicy())));
    DemoReport r = noHold.run(failingFast(small(9)), Progress.none());
    assertThat(r.promises().get("P9").violations()).isPositive();
    assertThat(r.promises().get("P9").examples()).anyMatch(e -> e.contains("the order key was not followed"));
  }
}
