package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.cli.Main;
import dev.baton.cli.ServeCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * {@code baton probe} against a real {@code baton serve} (SQLite journal, real HTTP over loopback), with the echo
 * and the context agent and hostile users, reading replies by long poll and from GET /v1/events: it must find
 * nothing, and must have checked something of each pattern.
 */
class ProbeAgainstBatonTest {

  static final String SECRET = "probe-test-secret-0123456789abcdef";

  @ParameterizedTest
  @CsvSource({"echo,poll", "context,poll", "echo,events", "context,events"})
  void findsNothingInBaton(String agent, String replies, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("baton.yaml");
    Files.writeString(file, "agent:\n  type: " + agent + "\nchannels:\n  api:\n    jwt:\n      hs256_secret: " + SECRET
        + "\n");
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs("--config", file.toString(), "--port", "0", "--data", dir.resolve("d").toString());
    ServeCommand.Running running = serve.start(new PrintWriter(new StringWriter(), true));
    try {
      Path json = dir.resolve("report.json");
      StringWriter out = new StringWriter();
      CommandLine cl = Main.commandLine();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(new StringWriter(), true));
      int exit = cl.execute("probe", "--target", "http://127.0.0.1:" + running.gateway().port(),
          "--jwt-secret", SECRET, "--replies", replies, "--level", agent, "--users", "12", "--messages", "300", "--rate", "300",
          "--hostile", "2", "--reply-timeout", "10000", "--seed", "7", "--quiet", "--json", json.toString());
      assertThat(exit).as(out.toString()).isZero();
      JsonNode report = new ObjectMapper().readTree(json.toFile());
      for (String p : new String[] {"duplicates", "interleaving", "deadlock", "order"}) {
        assertThat(report.at("/patterns/" + p + "/violations").asLong()).as(p + "\n" + out).isZero();
        assertThat(report.at("/patterns/" + p + "/checked").asLong()).as(p + " checked").isPositive();
      }
      if (agent.equals("context")) assertThat(report.at("/patterns/shared_state/checked").asLong()).isPositive();
      else assertThat(report.at("/patterns/shared_state/checked").asLong()).as("not at level echo").isEqualTo(-1);
      assertThat(report.at("/throughput/accepted").asLong()).isGreaterThan(250);
      assertThat(out.toString()).contains("nothing found");
    } finally {
      running.stop();
    }
  }
}
