package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.slack.api.app_backend.SlackSignature;
import dev.baton.config.ChannelsConfig.DiscordConfig;
import dev.baton.config.ChannelsConfig.SlackConfig;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.config.ChannelsConfig.WhatsAppConfig;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Genuinely signed requests whose bodies are malformed, ill-typed or missing fields: every platform
 * endpoint answers 4xx with a JSON error, never 5xx, and nothing reaches the engine.
 */
class WebhookBadInputTest {

  static final String TG_SECRET = "tg-secret-0123456789abcdefghijklmnop";

  static final List<String> BODIES = List.of("", "{", "[]", "null", "\"x\"", "{\"type\":7}",
      "{\"update_id\":\"1\"}", "{\"type\":\"event_callback\"}", "{\"type\":\"event_callback\",\"event_id\":\"E\","
          + "\"event\":{\"type\":\"message\",\"user\":5,\"channel\":\"C\",\"text\":\"t\"}}",
      "{\"type\":2,\"id\":\"1\"}", "{\"entry\":{}}", "{\"entry\":[{\"changes\":[{\"value\":{\"messages\":"
          + "[{\"type\":\"text\",\"id\":\"w\",\"from\":\"1\",\"text\":\"not an object\"}]}}]}]}",
      "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}");

  ManualScheduler clock = new ManualScheduler();
  KeyPair discord;
  Harness h;

  @BeforeEach
  void start() throws Exception {
    discord = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    byte[] spki = discord.getPublic().getEncoded();
    String hex = HexFormat.of().formatHex(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    h = new Harness(clock, new RecordingStore(), c -> c.withChannels(c.channels()
        .withTelegram(new TelegramConfig(true, "1:b", TG_SECRET, "http://127.0.0.1:9"))
        .withSlack(new SlackConfig(true, "slack-signing", "xoxb", "http://127.0.0.1:9"))
        .withDiscord(new DiscordConfig(true, hex, "1", "http://127.0.0.1:9"))
        .withWhatsapp(new WhatsAppConfig(true, "v", "wa-secret", "t", "http://127.0.0.1:9"))),
        (c, r) -> new FakeEngine(c, r));
  }

  @AfterEach
  void stop() {
    h.close();
  }

  HttpResponse<String> post(String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) b.headers(headers);
    return h.send(b);
  }

  static String hmac(String secret, String data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void signedGarbageIsA4xxOnEveryWebhook() throws Exception {
    String ts = Long.toString(clock.now().getEpochSecond());
    for (String body : BODIES) {
      Signature ed = Signature.getInstance("Ed25519");
      ed.initSign(discord.getPrivate());
      ed.update((ts + body).getBytes(StandardCharsets.UTF_8));
      List<HttpResponse<String>> answers = List.of(
          post("/webhooks/telegram", body, "X-Telegram-Bot-Api-Secret-Token", TG_SECRET),
          post("/webhooks/slack", body, "X-Slack-Request-Timestamp", ts, "X-Slack-Signature",
              new SlackSignature.Generator("slack-signing").generate(ts, body)),
          post("/webhooks/discord", body, "X-Signature-Timestamp", ts, "X-Signature-Ed25519",
              HexFormat.of().formatHex(ed.sign())),
          post("/webhooks/whatsapp", body, "X-Hub-Signature-256", "sha256=" + hmac("wa-secret", body)));
      for (HttpResponse<String> r : answers) {
        assertThat(r.statusCode()).as(r.uri() + " " + body).isBetween(200, 499);
        if (r.statusCode() >= 400) {
          assertThat(r.body()).as(body).startsWith("{\"error\":{\"code\":").doesNotContain("Exception");
        }
      }
    }
    assertThat(((FakeEngine) h.engine).accepted).isEmpty();
  }
}
