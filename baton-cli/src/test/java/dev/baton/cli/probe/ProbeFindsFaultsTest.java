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
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The proof of {@code baton probe}: against the naive bot (examples/naive-bot, its own HTTP server on loopback)
 * with each fault alone, the probe finds that fault's pattern and exits 1; with no fault it finds nothing at the
 * ledger level (every pattern checked) and exits 0.
 */
class ProbeFindsFaultsTest {

  static final String SECRET = "probe-test-secret-0123456789abcdef";

  static final List<String> PATTERNS =
      List.of("duplicates", "interleaving", "shared_state", "tool_race", "deadlock", "order");

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "none, ''",
      "duplicates, duplicates",
      "shared-state, shared_state",
      "tool-race, tool_race",
      "deadlock, deadlock",
      "interleave, interleaving",
      "reorder, order"})
  void findsEachFaultsPattern(String fault, String pattern, @TempDir Path dir) throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.parse(fault))) {
      Path json = dir.resolve("report.json");
      StringWriter out = new StringWriter();
      CommandLine cl = Main.commandLine();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(new StringWriter(), true));
      int exit = cl.execute("probe", "--target", "http://127.0.0.1:" + bot.port(), "--jwt-secret", SECRET,
          "--level", "ledger", "--users", "10", "--messages", "200", "--rate", "400", "--seed", "3",
          "--reply-timeout", "3000", "--quiet", "--json", json.toString());
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
}
