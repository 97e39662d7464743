package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/*
 * Overview: Telegram bot webhook. A request is genuine when X-Telegram-Bot-Api-Secret-Token equals
 * channels.telegram.secret_token (constant-time). The platform id is update_id (dedup key and monotonic
 * order key); the chat is message.chat.id. The authenticated sender is message.from.id, except for a
 * message sent on behalf of a chat (it has sender_chat: anonymous group admins, users posting as a channel,
 * automatic forwards from a linked channel): there `from` is a fixed service user shared by every group
 * (1087968824 GroupAnonymousBot, 136817688 Channel_Bot, 777000), so the sender is "chat:" + sender_chat.id,
 * which can never equal a user's id (those are plain positive integers). Ids are integers or the update is a
 * 400. Updates without a text message, and channel_post updates (a channel's broadcast: answering would
 * publish to every subscriber), are acknowledged and ignored. Replies go out with the Bot API's sendMessage.
 * Concurrency: stateless apart from immutable config; handlers run on request virtual threads.
 */
final class TelegramChannel {

  public static final String NAME = "telegram";
  static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

  private final TelegramConfig cfg;
  private final Ingress ingress;
  private final BodyLimits limits;

  public TelegramChannel(TelegramConfig cfg, Ingress ingress, BodyLimits limits) {
    this.cfg = cfg;
    this.ingress = ingress;
    this.limits = limits;
  }

  public void register(HttpRules rules) {
    rules.post("/webhooks/telegram", this::handle);
  }

  void handle(ServerRequest req, ServerResponse res) {
    String token = HelidonIo.header(req, SECRET_HEADER).orElse("");
    if (!Signatures.equal(cfg.secretToken(), token)) throw HttpError.unauthorized("bad secret token");
    byte[] body = limits.read(req);
    parse(body).ifPresent(ingress::submitPlatform);
    HelidonIo.json(res, 200, JsonFields.newObject().put("ok", true));
  }

  /** The prefix of a sender that is a chat (sender_chat), never a user: user ids are bare integers. */
  public static final String CHAT_SENDER_PREFIX = "chat:";

  /** A Telegram chat id as it may appear in a reply's routing: a (possibly negative) integer. */
  static final Pattern CHAT_ID = Pattern.compile("-?[0-9]{1,20}");

  /** The text message of an Update, or empty for updates Baton does not handle. */
  public static Optional<InboundMessage> parse(byte[] body) {
    ObjectNode update = JsonFields.object(body);
    long updateId = JsonFields.integer(update, "update_id");
    JsonNode message = update.get("message");
    if (message == null || message.isNull()) return Optional.empty(); // channel_post, edits, callbacks...
    if (!message.isObject()) throw HttpError.badRequest("field 'message' must be an object");
    JsonNode textNode = message.get("text");
    if (textNode == null || textNode.isNull()) return Optional.empty(); // photos, stickers, joins...
    String text = JsonFields.text(message, "text");
    String from = sender(message);
    String chat = Long.toString(JsonFields.integer(JsonFields.object(message, "chat"), "id"));
    Instant sentAt = Instant.ofEpochSecond(Math.max(0, Math.min(JsonFields.integer(message, "date"), 1L << 40)));
    String messageId = message.has("message_id") ? Long.toString(JsonFields.integer(message, "message_id")) : "";
    return Optional.of(new InboundMessage(NAME, Long.toString(updateId), from, chat,
        OrderKey.monotonic(updateId), text, sentAt, Map.of("chat_id", chat, "message_id", messageId)));
  }

  /**
   * The authenticated sender: {@code "chat:" + sender_chat.id} for a message sent on behalf of a chat (its
   * {@code from} is a service user shared by every group), else {@code from.id}.
   */
  static String sender(JsonNode message) {
    JsonNode senderChat = message.get("sender_chat");
    if (senderChat != null && !senderChat.isNull()) {
      return CHAT_SENDER_PREFIX + JsonFields.integer(JsonFields.object(message, "sender_chat"), "id");
    }
    return Long.toString(JsonFields.integer(JsonFields.object(message, "from"), "id"));
  }

  /** Sends replies with {@code sendMessage}. */
  public static final class Sender implements OutboundDelivery.Sink {
    private final TelegramConfig cfg;
    private final PlatformHttp http;

    public Sender(TelegramConfig cfg, PlatformHttp http) {
      this.cfg = cfg;
      this.http = http;
    }

    @Override
    public SendOutcome send(Reply reply) {
      String chatId = reply.routing().getOrDefault("chat_id", reply.chat());
      if (!CHAT_ID.matcher(chatId).matches()) return new SendOutcome.Failed("telegram: chat_id is not a number");
      ObjectNode body = JsonFields.newObject();
      body.put("chat_id", chatId);
      body.put("text", reply.text());
      URI uri = URI.create(cfg.apiBaseUrl() + "/bot" + cfg.botToken() + "/sendMessage");
      return http.postJson(uri, JsonFields.bytes(body), Optional.empty(), r -> SendOutcome.DELIVERED);
    }
  }
}
