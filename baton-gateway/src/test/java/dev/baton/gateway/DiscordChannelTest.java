package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ChannelsConfig.DiscordConfig;
import dev.baton.gateway.support.PlatformChannelFixture;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Discord interactions signed as Discord documents it: Ed25519 over timestamp + body, with a key pair made
 * by the JDK (Discord has no Java SDK class for signing).
 */
class DiscordChannelTest extends PlatformChannelFixture {

  static final String APP = "1100000000000000001";
  final KeyPair keys = ed25519();

  @Override
  protected ManualScheduler newClock() {
    return new ManualScheduler(Instant.parse("2026-03-01T12:00:00Z"));
  }

  @Override
  protected ChannelsConfig channels(ChannelsConfig channels, String apiBaseUrl) {
    byte[] spki = keys.getPublic().getEncoded();
    String rawHex = HexFormat.of().formatHex(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    return channels.withDiscord(new DiscordConfig(true, rawHex, APP, apiBaseUrl));
  }

  /** A key pair from the JDK's Ed25519 provider (every JDK since 15 has one). */
  static KeyPair ed25519() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no Ed25519", e);
    }
  }

  static String sign(KeyPair k, String ts, String body) throws Exception {
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(k.getPrivate());
    s.update((ts + body).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(s.sign());
  }

  static String command(String id, String user, String text) {
    return "{\"id\":\"" + id + "\",\"application_id\":\"" + APP + "\",\"type\":2,\"token\":\"itoken-" + id
        + "\",\"version\":1,\"channel_id\":\"C77\",\"guild_id\":\"G1\",\"member\":{\"user\":{\"id\":\"" + user
        + "\",\"username\":\"ann\"}},\"data\":{\"id\":\"cmd1\",\"name\":\"ask\",\"type\":1,\"options\":[{\"name\":"
        + "\"text\",\"type\":3,\"value\":\"" + text + "\"}]}}";
  }

  HttpResponse<String> deliver(String ts, String sig, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/webhooks/discord"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (ts != null) b.header("X-Signature-Timestamp", ts);
    if (sig != null) b.header("X-Signature-Ed25519", sig);
    return h.send(b);
  }

  HttpResponse<String> signedNow(String body) throws Exception {
    String ts = Long.toString(clock.now().getEpochSecond());
    return deliver(ts, sign(keys, ts, body), body);
  }

  @Test
  void pingIsAnsweredWithPong() throws Exception {
    HttpResponse<String> r = signedNow("{\"id\":\"1\",\"application_id\":\"" + APP + "\",\"type\":1,\"token\":\"t\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(r.body()).path("type").asInt()).isEqualTo(1);
  }

  @Test
  void commandIsDeferredThenFollowedUp() throws Exception {
    HttpResponse<String> r = signedNow(command("9001", "80351110224678912", "what time is it"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(r.body()).path("type").asInt()).isEqualTo(5);
    assertThat(engine.accepted).singleElement().satisfies(m -> {
      assertThat(m.messageId()).isEqualTo("9001");
      assertThat(m.sender()).isEqualTo("80351110224678912");
      assertThat(m.text()).isEqualTo("what time is it");
    });
    RecordingServer.Call call = api.next();
    assertThat(call.path()).isEqualTo("/webhooks/" + APP + "/itoken-9001");
    assertThat(new ObjectMapper().readTree(call.body()).path("content").asText()).isEqualTo("echo: what time is it");
  }

  @Test
  void wrongSignaturesAre401() throws Exception {
    String body = command("9002", "1", "x");
    String ts = Long.toString(clock.now().getEpochSecond());
    KeyPair other = ed25519();
    assertThat(deliver(ts, sign(other, ts, body), body).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, sign(keys, ts, body), body.replace("\"x\"", "\"y\"")).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, sign(keys, ts, body).substring(2), body).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, "not-hex", body).statusCode()).isEqualTo(401);
    assertThat(deliver(null, sign(keys, ts, body), body).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, null, body).statusCode()).isEqualTo(401);
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void aReplayedInteractionIsRefusedAfterFiveMinutesAndDeduplicatedBefore() throws Exception {
    String body = command("9003", "1", "x");
    String ts = Long.toString(clock.now().getEpochSecond());
    String sig = sign(keys, ts, body);
    assertThat(deliver(ts, sig, body).statusCode()).isEqualTo(200);
    assertThat(deliver(ts, sig, body).statusCode()).isEqualTo(200); // duplicated delivery
    assertThat(engine.accepted).hasSize(1);
    clock.advance(Duration.ofMinutes(6));
    assertThat(deliver(ts, sig, body).statusCode()).isEqualTo(401);
    api.next();
    assertThat(engine.accepted).hasSize(1);
    assertThat(api.calls).hasSize(1);
  }
  @Test
  void theFollowUpGoesToTheConfiguredApplicationNeverToThePayloads() throws Exception {
    String body = command("9004", "1", "x").replace("\"application_id\":\"" + APP + "\"",
        "\"application_id\":\"../../users/@me\"");
    assertThat(signedNow(body).statusCode()).isEqualTo(200);
    assertThat(api.next().path()).isEqualTo("/webhooks/" + APP + "/itoken-9004");
  }

  @Test
  void anInteractionTokenThatIsNotAPlainTokenIs400AndNothingIsTaken() throws Exception {
    for (String bad : new String[] {"../../x", "a/b?c", "%2e%2e", "", "x".repeat(501), "tok en", "..", "."}) {
      String body = command("9005", "1", "x").replace("\"token\":\"itoken-9005\"", "\"token\":\"" + bad + "\"");
      HttpResponse<String> r = signedNow(body);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(r.body()).contains("token");
      if (bad.length() > 2) assertThat(r.body()).doesNotContain(bad); // "." and ".." are in any sentence
    }
    assertThat(engine.accepted).isEmpty();
    assertThat(api.calls).isEmpty();
  }
}
