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
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code baton probe --protocol telegram} against a real {@code baton serve} with its Telegram channel: signed
 * webhooks over loopback, replies captured by the probe's stand-in Bot API that Baton's {@code api_base_url}
 * points at. Nothing is found, and each pattern was checked.
 */
class ProbeTelegramTest {

  static final String WEBHOOK_SECRET = "probe-webhook-secret-0123456789abcdef";

  @ParameterizedTest
  @ValueSource(strings = {"echo", "context"})
  void findsNothingInBatonOverTelegram(String agent, @TempDir Path dir) throws Exception {
    AtomicReference<ServeCommand.Running> running = new AtomicReference<>();
    ProbeOptions o = new ProbeOptions();
    o.protocol = ProbeOptions.Protocol.TELEGRAM;
    o.webhookSecret = WEBHOOK_SECRET;
    o.level = ProbeOptions.Level.valueOf(agent.toUpperCase(java.util.Locale.ROOT));
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
            + "  telegram:\n    enabled: true\n"
            + "    bot_token: probe\n    secret_token: " + WEBHOOK_SECRET + "\n    api_base_url: " + platform + "\n");
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--config", file.toString(), "--port", "0", "--data",
            dir.resolve("d").toString());
        ServeCommand.Running r = serve.start(new PrintWriter(new StringWriter(), true));
        running.set(r);
        o.target = URI.create("http://127.0.0.1:" + r.gateway().port() + "/webhooks/telegram");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    try {
      ProbeReport report = new ProbeRun(o, new PrintWriter(new StringWriter())).run();
      StringWriter table = new StringWriter();
      report.print(new PrintWriter(table));
      assertThat(report.exitCode()).as(table.toString()).isZero();
      for (String p : new String[] {"duplicates", "interleaving", "deadlock", "order"}) {
        assertThat(report.patterns().get(p).checked()).as(p + "\n" + table).isPositive();
      }
      if (agent.equals("context")) assertThat(report.patterns().get("shared_state").checked()).isPositive();
      assertThat(report.throughput().replies()).as(table.toString()).isGreaterThan(150);
    } finally {
      if (running.get() != null) running.get().stop();
    }
  }
}
