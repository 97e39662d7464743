package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pengrad.telegrambot.model.Update;
import com.pengrad.telegrambot.utility.BotUtils;
import dev.baton.LiveEvent;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.gateway.support.PlatformChannelFixture;
import dev.baton.gateway.support.RecordingServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Telegram webhook with Update JSON produced by pengrad's BotUtils, replies to a recording Bot API. */
class TelegramChannelTest extends PlatformChannelFixture {

  static final String SECRET = "tg-secret-token_0123456789abcdefghij";
  static final String BOT = "123456:ABC-bot-token";

  @Override
  protected ChannelsConfig channels(ChannelsConfig channels, String apiBaseUrl) {
    return channels.withTelegram(new TelegramConfig(true, BOT, SECRET, apiBaseUrl));
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

  /**
   * P10 through the gateway's ReplyRouter: a delta of a group chat's stream is shown as a message, a status is
   * not shown, and the final reply edits that message (the store here keeps no anchors: memory is enough).
   */
  @Test
  void aStreamThroughTheReplyRouterIsAPreviewMessageThatTheFinalReplyEdits() throws Exception {
    api.okBody = "{\"ok\":true,\"result\":{\"message_id\":31}}";
    SessionKey s = SessionKey.user("telegram", "42");
    Map<String, String> routing = Map.of("chat_id", "-4242", "message_id", "9");
    h.router.onLive(new LiveEvent.Status(s, "telegram", "-4242", "900", routing, LiveEvent.State.RUNNING));
    h.router.onLive(new LiveEvent.Delta(s, "telegram", "-4242", "900", routing, "900#1", 0, "Thinking"));
    RecordingServer.Call preview = api.next();
    assertThat(preview.path()).isEqualTo("/bot" + BOT + "/sendMessage");
    assertThat(new ObjectMapper().readTree(preview.body()).path("text").asText()).isEqualTo("Thinking");
    h.router.onReply(new Reply(s, 1, "telegram", "-4242", "900", Reply.Kind.REPLY, "Thought.", OptionalLong.empty(),
        routing, "900#1", List.of("900")));
    RecordingServer.Call fin = api.next();
    assertThat(fin.path()).isEqualTo("/bot" + BOT + "/editMessageText");
    var body = new ObjectMapper().readTree(fin.body());
    assertThat(body.path("message_id").asLong()).isEqualTo(31);
    assertThat(body.path("text").asText()).isEqualTo("Thought.");
    dev.baton.gateway.support.Eventually.until("the final reply is marked delivered",
        () -> !((dev.baton.gateway.support.RecordingStore) h.store).delivered.isEmpty());
    assertThat(api.calls).hasSize(2);
  }

  @Test
  void wrongOrMissingSecretIs401AndNothingIsTaken() {
    for (String s : new String[] {null, "", "tg-secret-token_0123456789abcdefghik", SECRET + "x"}) {
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
  /** A group message as Telegram sends it on behalf of a chat: {@code from} is a fixed service user. */
  static String onBehalfOf(long updateId, long fakeFrom, String fakeName, long senderChat, String senderType,
      long chat, String extra, String text) {
    String raw = "{\"update_id\":" + updateId + ",\"message\":{\"message_id\":" + (updateId + 1000)
        + ",\"from\":{\"id\":" + fakeFrom + ",\"is_bot\":true,\"first_name\":\"" + fakeName + "\",\"username\":\""
        + fakeName + "\"},\"sender_chat\":{\"id\":" + senderChat + ",\"type\":\"" + senderType
        + "\",\"title\":\"T\"},\"chat\":{\"id\":" + chat + ",\"type\":\"supergroup\",\"title\":\"G\"},"
        + "\"date\":1767225600" + extra + ",\"text\":\"" + text + "\"}}";
    Update u = BotUtils.parseUpdate(raw);
    assertThat(u.message().senderChat().id()).isEqualTo(senderChat);
    return BotUtils.toJson(u);
  }

  @Test
  void anonymousAdminsOfTwoGroupsAreTwoSendersNeitherOfThemTheSharedServiceUser() {
    // GroupAnonymousBot (1087968824) is the `from` of every anonymous admin of every group.
    assertThat(deliver(SECRET, onBehalfOf(600, 1087968824, "GroupAnonymousBot", -1001111, "supergroup", -1001111,
        "", "from group one")).statusCode()).isEqualTo(200);
    assertThat(deliver(SECRET, onBehalfOf(601, 1087968824, "GroupAnonymousBot", -1002222, "supergroup", -1002222,
        "", "from group two")).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).extracting(m -> m.sender()).containsExactly("chat:-1001111", "chat:-1002222");
    assertThat(engine.accepted).extracting(m -> m.chat()).containsExactly("-1001111", "-1002222");
  }

  @Test
  void channelPostsInADiscussionGroupAndAutomaticForwardsAreSentByTheirChannel() {
    // Channel_Bot (136817688): a user posting as a channel; 777000: a channel post forwarded automatically.
    assertThat(deliver(SECRET, onBehalfOf(610, 136817688, "Channel_Bot", -1003333, "channel", -1004444, "",
        "as a channel")).statusCode()).isEqualTo(200);
    assertThat(deliver(SECRET, onBehalfOf(611, 777000, "Telegram", -1005555, "channel", -1004444,
        ",\"is_automatic_forward\":true", "forwarded")).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).extracting(m -> m.sender()).containsExactly("chat:-1003333", "chat:-1005555");
    // and a real user of that group is someone else again
    assertThat(deliver(SECRET, update(612, 136817688L, -1004444, "a user whose id is a service id"))
        .statusCode()).isEqualTo(200);
    assertThat(engine.accepted.getLast().sender()).isEqualTo("136817688");
  }

  @Test
  void channelPostUpdatesAreAcknowledgedAndIgnored() {
    String post = BotUtils.toJson(BotUtils.parseUpdate("{\"update_id\":620,\"channel_post\":{\"message_id\":7,"
        + "\"sender_chat\":{\"id\":-1006666,\"type\":\"channel\",\"title\":\"News\"},\"chat\":{\"id\":-1006666,"
        + "\"type\":\"channel\",\"title\":\"News\"},\"date\":1767225600,\"text\":\"announcement\"}}"));
    assertThat(deliver(SECRET, post).statusCode()).isEqualTo(200);
    assertThat(engine.accepted).isEmpty();
    assertThat(api.calls).isEmpty();
  }

  @Test
  void aSenderChatOrChatThatIsNotANumericIdIs400AndNothingIsTaken() {
    for (String bad : new String[] {"\"../../x\"", "\"a/b?c\"", "\"%2e%2e\"", "1.5"}) {
      String viaChat = "{\"update_id\":630,\"message\":{\"message_id\":1,\"from\":{\"id\":42},\"chat\":{\"id\":"
          + bad + "},\"date\":1,\"text\":\"x\"}}";
      String viaSenderChat = "{\"update_id\":631,\"message\":{\"message_id\":1,\"from\":{\"id\":1087968824},"
          + "\"sender_chat\":{\"id\":" + bad + "},\"chat\":{\"id\":-1001},\"date\":1,\"text\":\"x\"}}";
      String viaFrom = "{\"update_id\":632,\"message\":{\"message_id\":1,\"from\":{\"id\":" + bad
          + "},\"chat\":{\"id\":42},\"date\":1,\"text\":\"x\"}}";
      for (String body : new String[] {viaChat, viaSenderChat, viaFrom}) {
        HttpResponse<String> r = deliver(SECRET, body);
        assertThat(r.statusCode()).as(body).isEqualTo(400);
        assertThat(r.body()).doesNotContain("../").doesNotContain("%2e");
      }
    }
    assertThat(engine.accepted).isEmpty();
  }
}
