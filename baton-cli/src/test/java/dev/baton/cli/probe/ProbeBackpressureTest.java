package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Backpressure is an honest answer: {@code baton serve} with a queue of one message per session and a slow agent
 * turn (SlowAgentProvider), so that the probe's bursts overflow it, under each {@code overflow_action}. The
 * probe must find nothing and must count what it was told: 429 busy ({@code return_busy_message}, with a busy
 * reply), 409 refused ({@code reject}, {@code drop}: a dropped message stays journaled, so its redelivery is
 * answered "duplicate"); and with {@code queue_mode: reject} (busy while a turn runs) and a {@code queue_timeout_ms}
 * so short that waiting messages expire (accepted, then a reply of kind error: a notice).
 */
class ProbeBackpressureTest {

  @ParameterizedTest(name = "{0} {1} {2} {3}")
  @CsvSource({"echo,return_busy_message,poll,busy,", "context,return_busy_message,events,busy,",
      "echo,reject,poll,refused,", "context,drop,poll,refused,",
      // A turn running is busy (429) whatever the queue holds.
      "echo,return_busy_message,poll,busy,queue_mode: reject",
      // A message waiting longer than 30 ms expires: accepted, then answered by a reply of kind error.
      "context,return_busy_message,events,notice,queue_timeout_ms: 30"})
  void aFullQueueIsNotAFailure(String agent, String overflow, String replies, String counted, String extra,
      @TempDir Path dir) throws Exception {
    Path file = dir.resolve("baton.yaml");
    boolean expiry = extra != null && extra.startsWith("queue_timeout_ms");
    Files.writeString(file, "agent:\n  type: slow-" + agent + "\n  concurrency:\n    max_queue_per_session: "
        + (expiry ? 100 : 1) + "\n    overflow_action: " + overflow + "\n"
        + (extra == null ? "" : "    " + extra + "\n") + "channels:\n  api:\n    jwt:\n      hs256_secret: "
        + ProbeAgainstBatonTest.SECRET + "\n");
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs("--config", file.toString(), "--port", "0", "--data", dir.resolve("d").toString());
    ServeCommand.Running running = serve.start(new PrintWriter(new StringWriter(), true));
    try {
      Path json = dir.resolve("report.json");
      ProbeExitTest.Run r = ProbeExitTest.probe("--target", "http://127.0.0.1:" + running.gateway().port(),
          "--jwt-secret", ProbeAgainstBatonTest.SECRET, "--replies", replies, "--level", agent, "--users", "4",
          "--messages", "200", "--rate", "400", "--reply-timeout", "10000", "--seed", "3", "--quiet", "--json",
          json.toString());
      assertThat(r.exit()).as(r.out()).isZero();
      JsonNode report = new ObjectMapper().readTree(json.toFile());
      for (String p : new String[] {"duplicates", "interleaving", "deadlock", "order"}) {
        assertThat(report.at("/patterns/" + p + "/violations").asLong()).as(p + "\n" + r.out()).isZero();
        assertThat(report.at("/patterns/" + p + "/checked").asLong()).as(p + " checked").isPositive();
      }
      if (counted.equals("notice")) {
        assertThat(report.at("/latency_ms/notice/count").asLong()).as("messages expired\n" + r.out()).isPositive();
      } else {
        assertThat(report.at("/throughput/" + counted).asLong()).as("the queue overflowed\n" + r.out()).isPositive();
        assertThat(r.out()).contains(report.at("/throughput/" + counted).asLong() + " " + counted);
      }
      if (counted.equals("busy")) { // each 429 comes with a busy reply naming the message: a notice
        assertThat(report.at("/latency_ms/notice/count").asLong()).as(r.out()).isPositive();
      }
      assertThat(r.out()).contains("nothing found");
    } finally {
      running.stop();
    }
  }
}
