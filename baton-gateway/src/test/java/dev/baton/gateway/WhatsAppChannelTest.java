package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ChannelsConfig.WhatsAppConfig;
import dev.baton.gateway.support.PlatformChannelFixture;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** WhatsApp Cloud API webhook, signed as Meta documents it: X-Hub-Signature-256 = HMAC-SHA256(app secret, body). */
class WhatsAppChannelTest extends PlatformChannelFixture {

  static final String VERIFY = "my-verify-token";
  static final String APP_SECRET = "wa-app-secret-0123456789";
  static final String ACCESS = "EAAG-access-token";

  @Override
  protected ChannelsConfig channels(ChannelsConfig channels, String apiBaseUrl) {
    return channels.withWhatsapp(new WhatsAppConfig(true, VERIFY, APP_SECRET, ACCESS, apiBaseUrl));
  }

  static String notification(String... idAndText) {
    StringBuilder msgs = new StringBuilder();
    for (int i = 0; i < idAndText.length; i += 2) {
      if (i > 0) msgs.append(',');
      msgs.append("{\"from\":\"16315551181\",\"id\":\"").append(idAndText[i]).append("\",\"timestamp\":\"1767225600\","
          + "\"text\":{\"body\":\"").append(idAndText[i + 1]).append("\"},\"type\":\"text\"}");
    }
    return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{\"value\":"
        + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\","
        + "\"phone_number_id\":\"106540352242922\"},\"contacts\":[{\"profile\":{\"name\":\"Sheena\"},\"wa_id\":"
        + "\"16315551181\"}],\"messages\":[" + msgs + "]},\"field\":\"messages\"}]}]}";
  }

  static String sign(String secret, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  HttpResponse<String> deliver(String sig, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/webhooks/whatsapp"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (sig != null) b.header("X-Hub-Signature-256", sig);
    return h.send(b);
  }

  @Test
  void verifyTokenHandshake() {
    HttpResponse<String> ok = h.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=" + VERIFY
        + "&hub.challenge=1158201444", null);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo("1158201444");
    assertThat(h.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", null)
        .statusCode()).isEqualTo(403);
    assertThat(h.get("/webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=" + VERIFY + "&hub.challenge=1",
        null).statusCode()).isEqualTo(403);
  }

  @Test
  void genuineNotificationStartsTurnsAndRepliesGoOutByTheCloudApi() throws Exception {
    String body = notification("wamid.A1", "hi", "wamid.A2", "there");
    assertThat(deliver(sign(APP_SECRET, body), body).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).extracting(m -> m.messageId()).containsExactly("wamid.A1", "wamid.A2");
    assertThat(engine.accepted.getFirst().sender()).isEqualTo("16315551181");
    RecordingServer.Call first = api.next();
    RecordingServer.Call second = api.next();
    assertThat(first.path()).isEqualTo("/106540352242922/messages");
    assertThat(first.header("Authorization")).isEqualTo("Bearer " + ACCESS);
    var json = new ObjectMapper().readTree(first.body());
    assertThat(json.path("messaging_product").asText()).isEqualTo("whatsapp");
    assertThat(json.path("to").asText()).isEqualTo("16315551181");
    assertThat(json.path("text").path("body").asText()).isEqualTo("echo: hi");
    assertThat(new ObjectMapper().readTree(second.body()).path("text").path("body").asText()).isEqualTo("echo: there");
  }

  @Test
  void wrongSignaturesAre401() throws Exception {
    String body = notification("wamid.B1", "hi");
    assertThat(deliver(null, body).statusCode()).isEqualTo(401);
    assertThat(deliver(sign("other-secret", body), body).statusCode()).isEqualTo(401);
    assertThat(deliver(sign(APP_SECRET, body), body.replace("hi", "ho")).statusCode()).isEqualTo(401);
    assertThat(deliver(sign(APP_SECRET, body).replace("sha256=", "sha1="), body).statusCode()).isEqualTo(401);
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void aReplayedNotificationIsDeduplicatedByMessageId() throws Exception {
    String body = notification("wamid.C1", "once");
    String sig = sign(APP_SECRET, body);
    assertThat(deliver(sig, body).statusCode()).isEqualTo(200);
    assertThat(deliver(sig, body).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).hasSize(1);
    api.next();
    String next = notification("wamid.C2", "again");
    assertThat(deliver(sign(APP_SECRET, next), next).statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(api.next().body()).path("text").path("body").asText())
        .isEqualTo("echo: again");
    assertThat(api.calls).hasSize(2);
  }
  /** One text message stamped {@code timestamp} (unix seconds), to the business number {@code phoneNumberId}. */
  static String messageAt(String wamid, long timestamp, String phoneNumberId) {
    return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{\"value\":"
        + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\","
        + "\"phone_number_id\":\"" + phoneNumberId + "\"},\"messages\":[{\"from\":\"16315551181\",\"id\":\"" + wamid
        + "\",\"timestamp\":\"" + timestamp + "\",\"text\":{\"body\":\"captured\"},\"type\":\"text\"}]},"
        + "\"field\":\"messages\"}]}]}";
  }

  double stale(String reason) {
    return h.meters.counter("baton.gateway.stale_messages", "channel", "whatsapp", "reason", reason).count();
  }

  @Test
  void aCapturedBodyOlderThanMaxMessageAgeIsAcknowledgedAndNotRun() throws Exception {
    long now = h.scheduler.now().getEpochSecond();
    // signed by Meta a day and a second ago, never seen here (its dedup record, if any, is gone)
    String old = messageAt("wamid.OLD", now - 86_401, "106540352242922");
    HttpResponse<String> r = deliver(sign(APP_SECRET, old), old);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("captured");
    assertThat(engine.accepted).isEmpty();
    assertThat(stale("too_old")).isEqualTo(1.0);
    assertThat(h.meters.find("baton.gateway.admissions").counters()).isEmpty(); // never reached the engine
    // a fresh one runs; the same body replayed a day later is refused before the engine
    String fresh = messageAt("wamid.FRESH", now - 5, "106540352242922");
    assertThat(deliver(sign(APP_SECRET, fresh), fresh).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).extracting(m -> m.messageId()).containsExactly("wamid.FRESH");
    api.next();
    ((ManualScheduler) h.scheduler).advance(Duration.ofDays(1));
    assertThat(deliver(sign(APP_SECRET, fresh), fresh).statusCode()).isEqualTo(200);
    assertThat(stale("too_old")).isEqualTo(2.0);
    assertThat(h.meters.counter("baton.gateway.admissions", "channel", "whatsapp", "result", "duplicate").count())
        .isZero();
    assertThat(engine.accepted).hasSize(1);
    assertThat(api.calls).hasSize(1);
  }

  @Test
  void aMessageStampedMoreThanFiveMinutesAheadIsRefusedAndSmallSkewIsNot() throws Exception {
    long now = h.scheduler.now().getEpochSecond();
    String ahead = messageAt("wamid.AHEAD", now + 301, "106540352242922");
    assertThat(deliver(sign(APP_SECRET, ahead), ahead).statusCode()).isEqualTo(200);
    assertThat(stale("in_future")).isEqualTo(1.0);
    String skewed = messageAt("wamid.SKEW", now + 60, "106540352242922");
    assertThat(deliver(sign(APP_SECRET, skewed), skewed).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).extracting(m -> m.messageId()).containsExactly("wamid.SKEW");
  }

  @Test
  void aPhoneNumberIdThatIsNotDigitsIs400AndNothingIsTaken() throws Exception {
    long now = h.scheduler.now().getEpochSecond();
    for (String bad : new String[] {"../../x", "a/b?c", "%2e%2e", "1".repeat(33), "106540352242922/messages?x="}) {
      String body = messageAt("wamid.P" + bad.length(), now, bad);
      HttpResponse<String> r = deliver(sign(APP_SECRET, body), body);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(r.body()).contains("phone_number_id").doesNotContain(bad);
    }
    assertThat(engine.accepted).isEmpty();
    assertThat(api.calls).isEmpty();
  }
}
