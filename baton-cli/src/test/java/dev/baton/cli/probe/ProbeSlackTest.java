package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.cli.ServeCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * {@code baton probe --protocol slack} against a real {@code baton serve} with its Slack channel: signed Events
 * API webhooks over loopback, replies captured by the probe's stand-in Web API that Baton's
 * {@code channels.slack.api_base_url} points at. Nothing is found, and each pattern was checked; with an agent
 * that streams, under {@code streaming: edit} (chat.postMessage, then chat.update) and {@code streaming: native}
 * (chat.startStream, chat.appendStream, chat.stopStream: most replies come so), the final texts are judged.
 */
class ProbeSlackTest {

  static final String SIGNING_SECRET = "probe-signing-secret-0123456789abcdef";

  @ParameterizedTest(name = "{0} streaming {1}")
  @CsvSource({"echo, edit", "context, edit", "probe-streaming-context, edit", "probe-streaming-context, native"})
  void findsNothingInBatonOverSlack(String agent, String streaming, @TempDir Path dir) throws Exception {
    AtomicReference<ServeCommand.Running> running = new AtomicReference<>();
    AtomicReference<SlackTarget> slack = new AtomicReference<>();
    ProbeOptions o = new ProbeOptions();
    o.protocol = ProbeOptions.Protocol.SLACK;
    o.webhookSecret = SIGNING_SECRET;
    o.level = agent.equals("echo") ? ProbeOptions.Level.ECHO : ProbeOptions.Level.CONTEXT;
    o.users = 10;
    o.messages = 200;
    o.rate = 300;
    o.seed = 11;
    o.replyTimeout = Duration.ofSeconds(10);
    o.progress = false;
    o.platformReady = platform -> {
      try {
        Path file = dir.resolve("baton.yaml");
        Files.writeString(file, "agent:\n  type: " + agent + "\nchannels:\n  api:\n    enabled: false\n"
            + "  slack:\n    enabled: true\n    signing_secret: " + SIGNING_SECRET + "\n    bot_token: xoxb-probe\n"
            + "    api_base_url: " + platform + "\n    streaming: " + streaming + "\n"
            + "    stream_edit_interval_ms: 10\n");
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--config", file.toString(), "--port", "0", "--data",
            dir.resolve("d").toString());
        ServeCommand.Running r = serve.start(new PrintWriter(new StringWriter(), true));
        running.set(r);
        o.target = URI.create("http://127.0.0.1:" + r.gateway().port() + "/webhooks/slack");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    o.targetFactory = (record, seqs) -> {
      SlackTarget t = new SlackTarget(o, record);
      slack.set(t);
      return t;
    };
    try {
      ProbeReport report = new ProbeRun(o, new PrintWriter(new StringWriter())).run();
      StringWriter table = new StringWriter();
      report.print(new PrintWriter(table));
      assertThat(report.exitCode()).as(table.toString()).isZero();
      for (String p : new String[] {"duplicates", "interleaving", "deadlock", "order"}) {
        assertThat(report.patterns().get(p).checked()).as(p + "\n" + table).isPositive();
      }
      if (!agent.equals("echo")) assertThat(report.patterns().get("shared_state").checked()).isPositive();
      assertThat(report.throughput().replies()).as(table.toString()).isGreaterThan(150);
      if (streaming.equals("native")) {
        // most: a reply whose turn ends before its first preview goes out is posted whole (chat.postMessage)
        assertThat(slack.get().streamsStopped()).as("replies streamed natively\n" + table).isGreaterThan(100);
      }
    } finally {
      if (running.get() != null) running.get().stop();
    }
  }
}
