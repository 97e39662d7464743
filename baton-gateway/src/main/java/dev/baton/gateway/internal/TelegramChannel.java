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

/*
 * Overview: Telegram bot webhook. A request is genuine when X-Telegram-Bot-Api-Secret-Token equals
 * channels.telegram.secret_token (constant-time). The platform id is update_id (dedup key and monotonic
 * order key); the authenticated sender is message.from.id and the chat message.chat.id. Updates without a
 * text message are acknowledged and ignored. Replies go out with the Bot API's sendMessage.
 * Concurrency: stateless apart from immutable config; handlers run on request virtual threads.
 */
public final class TelegramChannel {

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
    String token = Http.header(req, SECRET_HEADER).orElse("");
    if (!Signatures.equal(cfg.secretToken(), token)) throw HttpError.unauthorized("bad secret token");
    byte[] body = limits.read(req);
    parse(body).ifPresent(ingress::submit);
    Http.json(res, 200, Json.newObject().put("ok", true));
  }

  /** The text message of an Update, or empty for updates Baton does not handle. */
  public static Optional<InboundMessage> parse(byte[] body) {
    ObjectNode update = Json.object(body);
    long updateId = Json.integer(update, "update_id");
    JsonNode message = update.get("message");
    if (message == null || message.isNull()) return Optional.empty();
    if (!message.isObject()) throw HttpError.badRequest("field 'message' must be an object");
    JsonNode textNode = message.get("text");
    if (textNode == null || textNode.isNull()) return Optional.empty(); // photos, stickers, joins...
    String text = Json.text(message, "text");
    String from = Json.id(Json.object(message, "from"), "id");
    String chat = Json.id(Json.object(message, "chat"), "id");
    Instant sentAt = Instant.ofEpochSecond(Math.max(0, Math.min(Json.integer(message, "date"), 1L << 40)));
    String messageId = message.has("message_id") ? Json.id(message, "message_id") : "";
    return Optional.of(new InboundMessage(NAME, Long.toString(updateId), from, chat,
        OrderKey.monotonic(updateId), text, sentAt, Map.of("chat_id", chat, "message_id", messageId)));
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
    public Outcome send(Reply reply) {
      ObjectNode body = Json.newObject();
      body.put("chat_id", reply.routing().getOrDefault("chat_id", reply.chat()));
      body.put("text", reply.text());
      URI uri = URI.create(cfg.apiBaseUrl() + "/bot" + cfg.botToken() + "/sendMessage");
      return http.postJson(uri, Json.bytes(body), Optional.empty(), r -> Outcome.DELIVERED);
    }
  }
}
