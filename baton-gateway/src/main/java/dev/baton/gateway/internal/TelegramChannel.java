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
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/*
 * Overview: Telegram bot webhook. A request is genuine when X-Telegram-Bot-Api-Secret-Token equals
 * channels.telegram.secret_token (constant-time). The platform id is update_id (dedup key and monotonic
 * order key); the chat is message.chat.id. The authenticated sender is message.from.id, except for a
 * message sent on behalf of a chat (it has sender_chat: anonymous group admins, users posting as a channel,
 * automatic forwards from a linked channel): there `from` is a fixed service user shared by every group
 * (1087968824 GroupAnonymousBot, 136817688 Channel_Bot, 777000), so the sender is "chat:" + sender_chat.id,
 * which can never equal a user's id (those are plain positive integers). Ids are integers or the update is a
 * 400. Updates without a text message, and channel_post updates (a channel's broadcast: answering would
 * publish to every subscriber), are acknowledged and ignored. Replies go out with the Bot API's sendMessage;
 * streamed replies (P10) as drafts in private chats, else as a message edited as the text grows (Sender).
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

  /**
   * Sends replies with {@code sendMessage}, and streams (P10): in a private chat (a positive chat id) the preview
   * is a {@code sendMessageDraft} (draft_id from the stream id, so a re-run animates the same draft) and the final
   * text a {@code sendMessage}; elsewhere the first preview is a {@code sendMessage} (its message_id is the
   * anchor, {@code telegram:<chat>:<message_id>}), later ones and the final text {@code editMessageText} of it.
   */
  public static final class Sender implements OutboundDelivery.StreamSink {
    /** Telegram's longest message text (1-4096 characters after entity parsing). */
    static final int MAX_TEXT = 4096;

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
      return sendMessage(chatId, reply.text(), null);
    }

    @Override
    public boolean streaming() {
      return true;
    }

    @Override
    public int previewLimit() {
      return MAX_TEXT;
    }

    @Override
    public Duration editInterval() {
      return Duration.ofMillis(cfg.streamEditIntervalMs());
    }

    @Override
    public SendOutcome preview(StreamView view, String text) {
      String chatId = view.routing.getOrDefault("chat_id", view.chat);
      if (!CHAT_ID.matcher(chatId).matches()) return new SendOutcome.Failed("telegram: chat_id is not a number");
      if (isPrivate(chatId) && !view.noDrafts) {
        ObjectNode body = JsonFields.newObject();
        body.put("chat_id", chatId);
        body.put("draft_id", draftId(view.streamId));
        body.put("text", text);
        SendOutcome out = http.postJson(method("sendMessageDraft"), JsonFields.bytes(body), Optional.empty(),
            r -> SendOutcome.DELIVERED);
        if (!(out instanceof SendOutcome.Failed)) {
          if (out instanceof SendOutcome.Delivered) view.shown = text;
          return out;
        }
        view.noDrafts = true; // no drafts for this bot or chat: preview as a message that is edited
      }
      Long messageId = anchoredMessage(view, chatId);
      SendOutcome out = messageId == null
          ? sendMessage(chatId, text, id -> view.anchor = "telegram:" + chatId + ":" + id)
          : edit(chatId, messageId, text);
      if (out instanceof SendOutcome.Delivered) view.shown = text;
      return out;
    }

    @Override
    public SendOutcome sendFinal(Reply reply, StreamView view) {
      String chatId = reply.routing().getOrDefault("chat_id", reply.chat());
      if (!CHAT_ID.matcher(chatId).matches()) return new SendOutcome.Failed("telegram: chat_id is not a number");
      Long messageId = anchoredMessage(view, chatId);
      if (messageId != null && !view.editRefused) {
        if (!view.recovered && reply.text().equals(view.shown)) return SendOutcome.DELIVERED; // shows it already
        SendOutcome out = edit(chatId, messageId, reply.text());
        if (!(out instanceof SendOutcome.Failed)) return out;
        view.editRefused = true; // deleted, too old to edit...: the final text goes out as a new message
      }
      return sendMessage(chatId, reply.text(), null);
    }

    /** A positive chat id is a private chat with a user (groups and channels are negative). */
    static boolean isPrivate(String chatId) {
      return !chatId.startsWith("-") && !chatId.chars().allMatch(c -> c == '0');
    }

    /** A non-zero draft id, the same for every run of the stream. */
    static int draftId(String streamId) {
      int h = streamId.hashCode() & 0x7fffffff;
      return h == 0 ? 1 : h;
    }

    /** The message_id of the view's anchor if it is a message of this chat. */
    static @Nullable Long anchoredMessage(StreamView view, String chatId) {
      String a = view.anchor;
      String prefix = "telegram:" + chatId + ":";
      if (a == null || !a.startsWith(prefix)) return null;
      try {
        return Long.parseLong(a.substring(prefix.length()));
      } catch (NumberFormatException e) {
        return null;
      }
    }

    private URI method(String name) {
      return URI.create(cfg.apiBaseUrl() + "/bot" + cfg.botToken() + "/" + name);
    }

    private SendOutcome sendMessage(String chatId, String text,
        @Nullable LongConsumer messageId) {
      ObjectNode body = JsonFields.newObject();
      body.put("chat_id", chatId);
      body.put("text", text);
      return http.postJson(method("sendMessage"), JsonFields.bytes(body), Optional.empty(), r -> {
        if (messageId != null) {
          JsonNode id = answer(r.body()).path("result").path("message_id");
          if (id.canConvertToLong()) messageId.accept(id.asLong());
        }
        return SendOutcome.DELIVERED;
      });
    }

    private SendOutcome edit(String chatId, long messageId, String text) {
      ObjectNode body = JsonFields.newObject();
      body.put("chat_id", chatId);
      body.put("message_id", messageId);
      body.put("text", text);
      return http.request("POST", method("editMessageText"), JsonFields.bytes(body), Optional.empty(),
          r -> SendOutcome.DELIVERED,
          r -> answer(r.body()).path("description").asText("").contains("message is not modified")
              ? SendOutcome.DELIVERED // it shows this text already
              : new SendOutcome.Failed("telegram: editMessageText HTTP " + r.statusCode()));
    }

    private static JsonNode answer(byte[] body) {
      try {
        JsonNode n = dev.baton.spi.BatonJson.MAPPER.readTree(body);
        return n == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : n;
      } catch (java.io.IOException e) {
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
      }
    }
  }
}
