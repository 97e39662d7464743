package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.cli.ServeCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The stand-in Bot API refuses a sendMessage text over 4096 characters as Telegram does ({@code 400 Bad Request:
 * message is too long}): such a reply never reaches the user, so the probe does not count it. Baton does not split
 * long replies (docs/channels.md, Limits): its over-long echo is refused, the next reply still arrives.
 */
class ProbeTelegramLimitsTest {

  static final String SECRET = ProbeTelegramTest.WEBHOOK_SECRET;

  private static TelegramTarget standIn(ProbeOptions o, Recorder record, AtomicReference<URI> platform) {
    o.protocol = ProbeOptions.Protocol.TELEGRAM;
    o.webhookSecret = SECRET;
    o.platformPort = 0;
    o.platformReady = platform::set;
    return new TelegramTarget(o, record);
  }

  @Test
  void aTextOver4096CharactersIsRefusedLikeTelegramDoes() throws Exception {
    Recorder record = new Recorder(System.nanoTime());
    AtomicReference<URI> platform = new AtomicReference<>();
    try (TelegramTarget t = standIn(new ProbeOptions(), record, platform);
        HttpClient http = HttpClient.newHttpClient()) {
      for (int length : new int[] {4097, 4096}) {
        String body = "{\"chat_id\":100001,\"text\":\"" + "x".repeat(length) + "\"}";
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(platform.get().resolve("/botT/sendMessage"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (length > 4096) {
          assertThat(res.statusCode()).isEqualTo(400);
          assertThat(res.body()).contains("\"ok\":false", "\"error_code\":400",
              "\"description\":\"Bad Request: message is too long\"");
        } else {
          assertThat(res.statusCode()).isEqualTo(200);
          assertThat(res.body()).contains("\"ok\":true");
        }
      }
      assertThat(record.replies()).singleElement().satisfies(s -> assertThat(s.text()).hasSize(4096));
    }
  }

  @Test
  void batonDoesNotSplitALongReplySoTelegramRefusesIt(@TempDir Path dir) throws Exception {
    Recorder record = new Recorder(System.nanoTime());
    AtomicReference<URI> platform = new AtomicReference<>();
    ProbeOptions o = new ProbeOptions();
    try (TelegramTarget t = standIn(o, record, platform)) {
      Path file = dir.resolve("baton.yaml");
      Files.writeString(file, "agent:\n  type: echo\nchannels:\n  api:\n    enabled: false\n  telegram:\n"
          + "    enabled: true\n    bot_token: probe\n    secret_token: " + SECRET + "\n    api_base_url: "
          + platform.get() + "\n");
      ServeCommand serve = new ServeCommand();
      new CommandLine(serve).parseArgs("--config", file.toString(), "--port", "0", "--data",
          dir.resolve("d").toString());
      ServeCommand.Running running = serve.start(new PrintWriter(new StringWriter(), true));
      try {
        o.target = URI.create("http://127.0.0.1:" + running.gateway().port() + "/webhooks/telegram");
        int[] status = new int[1];
        // The echo of 4090 characters is "<text> (turn 1)": over 4096.
        assertThat(t.send("u1", "m1", "y".repeat(4090), "", status)).isEqualTo(Recorder.Answer.ACCEPTED);
        assertThat(t.send("u1", "m2", "short", "", status)).isEqualTo(Recorder.Answer.ACCEPTED);
        // One session, one outbound lane in order: when the short echo arrives the long one was tried.
        assertThat(record.awaitReplies(1, Duration.ofSeconds(20).toNanos())).isTrue();
        assertThat(record.replies()).singleElement().satisfies(s -> {
          assertThat(s.inbox()).isEqualTo("u1");
          assertThat(s.text()).isEqualTo("short (turn 2)");
        });
      } finally {
        running.stop();
      }
      assertThat(record.replies()).as("the long reply was never delivered, in parts or whole").hasSize(1);
      assertThat(record.refusedReplies()).singleElement().satisfies(r -> {
        assertThat(r.inbox()).isEqualTo("u1");
        assertThat(r.why()).contains("sendMessage of 4099 characters", "message is too long");
      });
    }
  }

  @Test
  void theJudgeNamesARefusedReplyAsWhyAMessageWentUnanswered() {
    ProbeOptions o = new ProbeOptions();
    o.level = ProbeOptions.Level.ECHO;
    o.users = 1;
    o.messages = 1;
    o.redeliver = 0;
    o.swap = 0;
    o.burstChance = 0;
    o.replyTimeout = Duration.ofMillis(1);
    Plan plan = Plan.build(o);
    Plan.Msg m = plan.messages.getFirst();
    Recorder record = new Recorder(System.nanoTime());
    record.delivered(new Recorder.Delivery(m, 0, record.startNanos, record.startNanos, Recorder.Answer.ACCEPTED,
        200));
    record.replyRefused(new Recorder.Refused(m.user(), m.id(), "the Bot API refused it: message is too long",
        record.startNanos));
    ProbeReport report = new Checks(plan, o, record).judge("", null, record.startNanos + 1_000_000_000L);
    assertThat(report.patterns().get("deadlock").examples()).singleElement().satisfies(e ->
        assertThat(e.detail()).isEqualTo("accepted, and its reply never reached the user: the Bot API refused it: "
            + "message is too long"));
  }
}
