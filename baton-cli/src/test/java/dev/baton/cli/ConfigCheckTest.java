package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code baton config check} and {@code baton serve} on a platform channel that is configured but not enabled
 * (issue 14): the file is valid and the channel stays off, but both say so at the section's place.
 */
class ConfigCheckTest {

  static final String SECRET = "tg-secret-0123456789abcdef0123456789";
  static final String API = "channels:\n  api:\n    jwt:\n      hs256_secret: 0123456789abcdef0123456789abcdef\n";

  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int check(Path f) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute("config", "check", f.toString());
  }

  @Test
  void aChannelWithSecretsButWithoutEnabledIsValidButNamedWithItsPlace(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("baton.yaml");
    Files.writeString(f, API + "  telegram:\n    bot_token: 1:abc\n    secret_token: " + SECRET + "\n"
        + "  slack:\n    enabled: false\n    signing_secret: s\n");

    assertThat(check(f)).isZero();
    assertThat(out.toString().strip()).isEqualTo("ok");
    assertThat(err.toString().strip()).isEqualTo("Warning: " + f + ":5:3: `channels.telegram` gives bot_token,"
        + " secret_token but not `enabled`, so the channel is off and /webhooks/telegram answers 404; add"
        + " `enabled: true` to serve it, or `enabled: false` if it is meant to be off.");
    assertThat(err.toString()).doesNotContain(SECRET, "1:abc");
  }

  @Test
  void anEnabledOrExplicitlyDisabledOrAbsentChannelIsNotWarnedAbout(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("baton.yaml");
    Files.writeString(f, API + "  telegram:\n    enabled: true\n    bot_token: 1:abc\n    secret_token: " + SECRET
        + "\n  whatsapp:\n    enabled: false\n    app_secret: a\n  discord: {}\n");

    assertThat(check(f)).isZero();
    assertThat(err.toString()).isEmpty();
    assertThat(ChannelWarnings.of("channels:\n  api:\n    reply_buffer: 5\n", "x")).isEmpty();
  }

  @Test
  void everyPlatformIsChecked() {
    var warnings = ChannelWarnings.of("channels:\n  slack:\n    bot_token: b\n  discord:\n    application_id: '1'\n"
        + "  whatsapp:\n    verify_token: v\n  telegram:\n    api_base_url: http://localhost\n", "f.yaml");
    assertThat(warnings).extracting(w -> w.line() + ":" + w.column())
        .containsExactly("2:3", "4:3", "6:3", "8:3");
    assertThat(warnings.get(1).message()).startsWith("`channels.discord` gives application_id but not `enabled`");
  }

  @Test
  void serveSaysSoAtStartUpAndTheWebhookIsOff(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("baton.yaml");
    Files.writeString(f, "storage:\n  backend: memory\n" + API + "  telegram:\n    bot_token: 1:abc\n"
        + "    secret_token: " + SECRET + "\n");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--config", f.toString(), "--port", "0");
    StringWriter printed = new StringWriter();
    ServeCommand.Running running = cmd.start(new PrintWriter(printed, true));
    try {
      assertThat(printed.toString()).contains("Warning: " + f + ":7:3: `channels.telegram` gives bot_token,"
          + " secret_token but not `enabled`").doesNotContain(SECRET);
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> hook = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + running.gateway().port() + "/webhooks/telegram")).timeout(Duration.ofSeconds(20))
          .header("X-Telegram-Bot-Api-Secret-Token", SECRET).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(hook.statusCode()).as("the channel really is off").isEqualTo(404);
    } finally {
      running.stop();
    }
  }
}
