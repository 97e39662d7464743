package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pengrad.telegrambot.model.Update;
import com.pengrad.telegrambot.utility.BotUtils;
import dev.baton.OrderKey;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Telegram webhook with Update JSON produced by pengrad's BotUtils, replies to a recording Bot API. */
class TelegramChannelTest {

  static final String SECRET = "tg-secret-token_123";
  static final String BOT = "123456:ABC-bot-token";
  RecordingServer api;
  Harness h;
  FakeEngine engine;

  @BeforeEach
  void start() {
    api = new RecordingServer();
    h = new Harness(new ManualScheduler(), new RecordingStore(),
        c -> c.withChannels(c.channels().withTelegram(new TelegramConfig(true, BOT, SECRET, api.baseUrl()))),
        (c, r) -> new FakeEngine(c, r));
    engine = (FakeEngine) h.engine;
  }

  @AfterEach
  void stop() {
    h.close();
    api.close();
  }

  /** An Update as Telegram documents it, round-tripped through the SDK's own model and serializer. */
  static String update(long updateId, long from, long chat, String text) {
    String raw = "{\"update_id\":" + updateId + ",\"message\":{\"message_id\":" + (updateId + 1000)
        + ",\"from\":{\"id\":" + from + ",\"is_bot\":false,\"first_name\":\"Ann\"},\"chat\":{\"id\":" + chat
        + ",\"type\":\"private\"},\"date\":1767225600,\"text\":\"" + text + "\"}}";
    Update u = BotUtils.parseUpdate(raw);
    assertThat(u.message().text()).isEqualTo(text);
    return BotUtils.toJson(u);
  }

  HttpResponse<String> deliver(String secret, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/webhooks/telegram"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (secret != null) b.header("X-Telegram-Bot-Api-Secret-Token", secret);
    return h.send(b);
  }

  @Test
  void genuineUpdateStartsATurnAndTheReplyGoesOutBySendMessage() throws Exception {
    assertThat(deliver(SECRET, update(500, 42, 4242, "hi")).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).hasSize(1);
    var m = engine.accepted.getFirst();
    assertThat(m.messageId()).isEqualTo("500");
    assertThat(m.sender()).isEqualTo("42");
    assertThat(m.chat()).isEqualTo("4242");
    assertThat(m.order()).isEqualTo(OrderKey.monotonic(500));
    RecordingServer.Call call = api.next();
    assertThat(call.path()).isEqualTo("/bot" + BOT + "/sendMessage");
    var body = new ObjectMapper().readTree(call.body());
    assertThat(body.path("chat_id").asText()).isEqualTo("4242");
    assertThat(body.path("text").asText()).isEqualTo("echo: hi");
  }

  @Test
  void wrongOrMissingSecretIs401AndNothingIsTaken() {
    for (String s : new String[] {null, "", "tg-secret-token_124", SECRET + "x"}) {
      HttpResponse<String> r = deliver(s, update(501, 42, 42, "hi"));
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.body()).contains("\"code\":\"unauthorized\"").doesNotContain(SECRET);
    }
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void duplicatedDeliveryOfOneUpdateRunsOneTurnAndSendsOneReply() throws Exception {
    String u = update(502, 42, 42, "once");
    assertThat(deliver(SECRET, u).statusCode()).isEqualTo(200);
    assertThat(deliver(SECRET, u).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).hasSize(1);
    api.next();
    assertThat(deliver(SECRET, update(503, 42, 42, "two")).statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(api.next().body()).path("text").asText()).isEqualTo("echo: two");
    assertThat(api.calls).hasSize(2);
  }

  @Test
  void aBusySessionGetsTheBusyTextThroughTheBotApi() throws Exception {
    engine.busy.add("42");
    assertThat(deliver(SECRET, update(504, 42, 4242, "too much")).statusCode()).isEqualTo(200);
    var body = new ObjectMapper().readTree(api.next().body());
    assertThat(body.path("chat_id").asText()).isEqualTo("4242");
    assertThat(body.path("text").asText()).isEqualTo("busy, try again later");
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void updatesWithoutTextAreAcknowledgedAndIgnoredAndGarbageIs400() {
    assertThat(deliver(SECRET, "{\"update_id\":9,\"edited_message\":{}}").statusCode()).isEqualTo(200);
    assertThat(deliver(SECRET, "{\"update_id\":10,\"message\":{\"message_id\":1,\"from\":{\"id\":1},"
        + "\"chat\":{\"id\":1},\"date\":1,\"photo\":[]}}").statusCode()).isEqualTo(200);
    assertThat(deliver(SECRET, "{\"update_id\":\"x\"}").statusCode()).isEqualTo(400);
    assertThat(deliver(SECRET, "{\"update_id\":11,\"message\":{\"text\":\"no sender\",\"date\":1}}").statusCode())
        .isEqualTo(400);
    assertThat(engine.accepted).isEmpty();
  }
}
