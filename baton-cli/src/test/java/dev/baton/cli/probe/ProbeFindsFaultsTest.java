package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.cli.Main;
import dev.baton.examples.naivebot.NaiveBot;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The proof of {@code baton probe}: against the naive bot (examples/naive-bot, its own HTTP server on loopback)
 * with each fault alone, the probe finds that fault's pattern and exits 1; with no fault it finds nothing at the
 * ledger level (every pattern checked) and exits 0.
 */
class ProbeFindsFaultsTest {

  static final String SECRET = "probe-test-secret-0123456789abcdef";

  /** Each fault of the naive bot and the pattern it must be found as ("" = none). */
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> faults() {
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("none", ""),
        org.junit.jupiter.params.provider.Arguments.of("duplicates", "duplicates"),
        org.junit.jupiter.params.provider.Arguments.of("shared-state", "shared_state"),
        org.junit.jupiter.params.provider.Arguments.of("tool-race", "tool_race"),
        org.junit.jupiter.params.provider.Arguments.of("deadlock", "deadlock"),
        org.junit.jupiter.params.provider.Arguments.of("interleave", "interleaving"),
        org.junit.jupiter.params.provider.Arguments.of("reorder", "order"));
  }

  static final List<String> PATTERNS =
      List.of("duplicates", "interleaving", "shared_state", "tool_race", "deadlock", "order");

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("faults")
  void findsEachFaultsPattern(String fault, String pattern, @TempDir Path dir) throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.parse(fault))) {
      Path json = dir.resolve("report.json");
      StringWriter out = new StringWriter();
      CommandLine cl = Main.commandLine();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(new StringWriter(), true));
      int exit = cl.execute("probe", "--target", "http://127.0.0.1:" + bot.port(), "--jwt-secret", SECRET,
          "--level", "ledger", "--users", "10", "--messages", "200", "--rate", "400", "--seed", "3",
          "--reply-timeout", pattern.isEmpty() ? "10000" : "3000", "--quiet", "--json", json.toString());
      JsonNode report = new ObjectMapper().readTree(json.toFile());
      if (pattern.isEmpty()) {
        assertThat(exit).as(out.toString()).isZero();
        for (String p : PATTERNS) {
          assertThat(report.at("/patterns/" + p + "/violations").asLong()).as(p + "\n" + out).isZero();
          assertThat(report.at("/patterns/" + p + "/checked").asLong()).as(p + " checked").isPositive();
        }
      } else {
        assertThat(exit).as(out.toString()).isEqualTo(1);
        assertThat(report.at("/patterns/" + pattern + "/violations").asLong()).as(out.toString()).isPositive();
        assertThat(report.at("/patterns/" + pattern + "/examples")).as("evidence").isNotEmpty();
      }
    }
  }

  /** The same proof over Telegram: signed webhooks in, replies captured by the probe's stand-in Bot API. */
  @ParameterizedTest(name = "telegram {0} -> {1}")
  @MethodSource("faults")
  void findsEachFaultsPatternOverTelegram(String fault, String pattern) throws Exception {
    java.util.concurrent.atomic.AtomicReference<NaiveBot> bot = new java.util.concurrent.atomic.AtomicReference<>();
    ProbeOptions o = new ProbeOptions();
    o.protocol = ProbeOptions.Protocol.TELEGRAM;
    o.webhookSecret = "probe-webhook-secret-0123456789abcdef";
    o.level = ProbeOptions.Level.LEDGER;
    o.users = 10;
    o.messages = 200;
    o.rate = 400;
    o.seed = 3;
    o.replyTimeout = java.time.Duration.ofSeconds(pattern.isEmpty() ? 10 : 3);
    o.progress = false;
    o.platformReady = platform -> {
      try {
        NaiveBot b = NaiveBot.start(0, SECRET, NaiveBot.Fault.parse(fault), 2, platform, o.webhookSecret, "probe");
        bot.set(b);
        o.target = java.net.URI.create("http://127.0.0.1:" + b.port() + "/webhooks/telegram");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
    try {
      ProbeReport report = new ProbeRun(o, new PrintWriter(new StringWriter())).run();
      StringWriter table = new StringWriter();
      report.print(new PrintWriter(table));
      if (pattern.isEmpty()) {
        assertThat(report.exitCode()).as(table.toString()).isZero();
        for (String p : PATTERNS) assertThat(report.patterns().get(p).checked()).as(p).isPositive();
      } else {
        assertThat(report.exitCode()).as(table.toString()).isEqualTo(1);
        assertThat(report.patterns().get(pattern).violations()).as(table.toString()).isPositive();
        assertThat(report.patterns().get(pattern).examples()).isNotEmpty();
      }
    } finally {
      if (bot.get() != null) bot.get().close();
    }
  }
}
