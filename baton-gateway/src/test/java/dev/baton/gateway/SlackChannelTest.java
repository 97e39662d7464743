package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.slack.api.app_backend.SlackSignature;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ChannelsConfig.SlackConfig;
import dev.baton.gateway.support.PlatformChannelFixture;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Slack Events API with requests signed by the Slack SDK's own SlackSignature.Generator. */
class SlackChannelTest extends PlatformChannelFixture {

  static final String SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
  static final String BOT = "xoxb-test-token";

  @Override
  protected ManualScheduler newClock() {
    return new ManualScheduler(Instant.parse("2026-03-01T12:00:00Z"));
  }

  @Override
  protected ChannelsConfig channels(ChannelsConfig channels, String apiBaseUrl) {
    return channels.withSlack(new SlackConfig(true, SIGNING, BOT, apiBaseUrl));
  }

  static String event(String eventId, String user, String text, String extra) {
    return "{\"token\":\"x\",\"team_id\":\"T1\",\"api_app_id\":\"A1\",\"type\":\"event_callback\",\"event_id\":\""
        + eventId + "\",\"event_time\":1772366400,\"event\":{\"type\":\"message\",\"channel\":\"C024BE91L\","
        + "\"user\":\"" + user + "\",\"text\":\"" + text + "\",\"ts\":\"1772366400.000200\"" + extra + "}}";
  }

  HttpResponse<String> deliver(String ts, String signature, String body, String retryNum) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/webhooks/slack"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (ts != null) b.header("X-Slack-Request-Timestamp", ts);
    if (signature != null) b.header("X-Slack-Signature", signature);
    if (retryNum != null) b.header("X-Slack-Retry-Num", retryNum).header("X-Slack-Retry-Reason", "http_timeout");
    return h.send(b);
  }

  HttpResponse<String> signedNow(String body, String retryNum) {
    String ts = Long.toString(clock.now().getEpochSecond());
    return deliver(ts, new SlackSignature.Generator(SIGNING).generate(ts, body), body, retryNum);
  }

  @Test
  void urlVerificationEchoesTheChallenge() throws Exception {
    HttpResponse<String> r = signedNow("{\"token\":\"x\",\"challenge\":\"3eZbrw1aB\",\"type\":\"url_verification\"}",
        null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(r.body()).path("challenge").asText()).isEqualTo("3eZbrw1aB");
  }

  @Test
  void genuineEventStartsATurnAndTheReplyGoesOutByChatPostMessage() throws Exception {
    HttpResponse<String> r = signedNow(event("Ev1", "U2147483697", "hello", ",\"thread_ts\":\"1772366000.1\""),
        null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(engine.accepted).singleElement().satisfies(m -> {
      assertThat(m.messageId()).isEqualTo("C024BE91L:1772366400.000200"); // channel + ts
      assertThat(m.sender()).isEqualTo("U2147483697");
      assertThat(m.chat()).isEqualTo("C024BE91L");
    });
    RecordingServer.Call call = api.next();
    assertThat(call.path()).isEqualTo("/chat.postMessage");
    assertThat(call.header("Authorization")).isEqualTo("Bearer " + BOT);
    var body = new ObjectMapper().readTree(call.body());
    assertThat(body.path("channel").asText()).isEqualTo("C024BE91L");
    assertThat(body.path("text").asText()).isEqualTo("echo: hello");
    assertThat(body.path("thread_ts").asText()).isEqualTo("1772366000.1");
  }

  @Test
  void wrongSignaturesAre401() {
    String body = event("Ev2", "U1", "hi", "");
    String ts = Long.toString(clock.now().getEpochSecond());
    String good = new SlackSignature.Generator(SIGNING).generate(ts, body);
    String otherSecret = new SlackSignature.Generator("another-signing-secret-000000000").generate(ts, body);
    String tampered = new SlackSignature.Generator(SIGNING).generate(ts, body.replace("hi", "ho"));
    assertThat(deliver(ts, otherSecret, body, null).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, tampered, body, null).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, good.replace("v0=", "v1="), body, null).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, "v0=zz", body, null).statusCode()).isEqualTo(401);
    assertThat(deliver(null, good, body, null).statusCode()).isEqualTo(401);
    assertThat(deliver(ts, null, body, null).statusCode()).isEqualTo(401);
    assertThat(deliver(Long.toString(clock.now().getEpochSecond() + 1), good, body, null).statusCode())
        .isEqualTo(401);
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void aReplayedRequestOlderThanFiveMinutesIs401() {
    String body = event("Ev3", "U1", "hi", "");
    String ts = Long.toString(clock.now().getEpochSecond());
    String sig = new SlackSignature.Generator(SIGNING).generate(ts, body);
    assertThat(deliver(ts, sig, body, null).statusCode()).isEqualTo(200);
    clock.advance(Duration.ofSeconds(301));
    HttpResponse<String> replay = deliver(ts, sig, body.replace("Ev3", "Ev3"), null);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(replay.body()).contains("5 minute");
    assertThat(engine.accepted).hasSize(1);
  }

  @Test
  void retriesAreAcknowledgedWithoutASecondTurn() throws Exception {
    String body = event("Ev4", "U1", "once", "");
    assertThat(signedNow(body, null).statusCode()).isEqualTo(200);
    assertThat(signedNow(body, "1").statusCode()).isEqualTo(200);
    assertThat(signedNow(body, "2").statusCode()).isEqualTo(200);
    assertThat(engine.accepted).hasSize(1);
    api.next();
    assertThat(h.meters.counter("baton.gateway.slack.retries").count()).isEqualTo(2.0);
    assertThat(h.meters.counter("baton.gateway.admissions", "channel", "slack", "result", "duplicate").count())
        .isEqualTo(2.0);
  }

  @Test
  void botMessagesAndEditsAreIgnored() {
    assertThat(signedNow(event("Ev5", "U1", "me", ",\"bot_id\":\"B1\""), null).statusCode()).isEqualTo(200);
    assertThat(signedNow(event("Ev6", "U1", "me", ",\"subtype\":\"message_changed\""), null).statusCode())
        .isEqualTo(200);
    assertThat(engine.accepted).isEmpty();
  }
  /** One user message as Slack delivers it to an app subscribed to both: a `message` and an `app_mention`. */
  static String mention(String eventId, String type, String ts) {
    return "{\"token\":\"x\",\"team_id\":\"T1\",\"api_app_id\":\"A1\",\"type\":\"event_callback\",\"event_id\":\""
        + eventId + "\",\"event_time\":1772366400,\"event\":{\"type\":\"" + type + "\",\"channel\":\"C024BE91L\","
        + "\"user\":\"U2147483697\",\"text\":\"<@U0LAN0Z89> is it everything?\",\"ts\":\"" + ts + "\","
        + "\"event_ts\":\"" + ts + "\",\"channel_type\":\"channel\"}}";
  }

  @Test
  void aMentionDeliveredAsMessageAndAsAppMentionRunsOneTurn() throws Exception {
    assertThat(signedNow(mention("Ev0MSG", "message", "1772366400.000300"), null).statusCode()).isEqualTo(200);
    assertThat(signedNow(mention("Ev0MENTION", "app_mention", "1772366400.000300"), null).statusCode())
        .isEqualTo(200);
    assertThat(engine.accepted).singleElement()
        .satisfies(m -> assertThat(m.messageId()).isEqualTo("C024BE91L:1772366400.000300"));
    assertThat(h.meters.counter("baton.gateway.admissions", "channel", "slack", "result", "accepted").count())
        .isEqualTo(1.0);
    assertThat(h.meters.counter("baton.gateway.admissions", "channel", "slack", "result", "duplicate").count())
        .isEqualTo(1.0);
    api.next();
    // the next message of the channel (another ts) is a message of its own
    assertThat(signedNow(mention("Ev0NEXT", "app_mention", "1772366401.000100"), null).statusCode())
        .isEqualTo(200);
    api.next();
    assertThat(engine.accepted).hasSize(2);
    assertThat(api.calls).hasSize(2);
  }

  @Test
  void anEventWithoutTsIsDeduplicatedByItsEventId() {
    String body = event("Ev7", "U1", "no ts", "").replace(",\"ts\":\"1772366400.000200\"", "");
    assertThat(signedNow(body, null).statusCode()).isEqualTo(200);
    assertThat(signedNow(body, "1").statusCode()).isEqualTo(200);
    assertThat(engine.accepted).singleElement().satisfies(m -> assertThat(m.messageId()).isEqualTo("Ev7"));
  }
}
