package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.SessionKey;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * Parses the body of {@code POST /v1/messages} into an {@link InboundMessage} for an authenticated user.
 * The sender is the token's {@code sub}, never a body field (DESIGN §1 step 2). Stateless and thread-safe;
 * every client mistake is an {@link HttpError} 400 whose message names the field.
 */
final class ApiMessageParser {

  public static final String CHANNEL = "api";
  /** Routing key carrying the authenticated user back with each reply. */
  public static final String ROUTE_USER = "user";
  static final int MAX_ID_LENGTH = 256;

  private ApiMessageParser() {}

  public static InboundMessage parse(byte[] body, String user, Instant now) {
    ObjectNode root = JsonFields.object(body);
    String id = JsonFields.text(root, "id");
    if (id.isBlank()) throw HttpError.badRequest("field 'id' must not be blank");
    if (id.length() > MAX_ID_LENGTH) throw HttpError.badRequest("field 'id' must be at most 256 characters");
    String text = JsonFields.text(root, "text");
    OrderKey order = OrderKey.none();
    JsonNode seq = root.get("seq");
    if (seq != null && !seq.isNull()) {
      long s = JsonFields.integer(root, "seq");
      if (s < 0) throw HttpError.badRequest("field 'seq' must be 0 or more");
      order = OrderKey.sequence(s);
    }
    String chat = JsonFields.optText(root, "chat").orElse("");
    if (chat.length() > MAX_ID_LENGTH) throw HttpError.badRequest("field 'chat' must be at most 256 characters");
    Instant sentAt = JsonFields.optText(root, "sent_at").map(ApiMessageParser::rfc3339).orElse(now);
    return new InboundMessage(CHANNEL, id, user, chat, order, text, sentAt, Map.of(ROUTE_USER, user));
  }

  /**
   * The session that {@code user}'s messages with {@code chat} ("" = none) go to: the engine's own derivation
   * ({@link SessionKey#derive}) applied to such a message, so the two can never disagree.
   */
  public static SessionKey sessionOf(String user, String chat, IdSource source) {
    return SessionKey.derive(
        new InboundMessage(CHANNEL, "-", user, chat, OrderKey.none(), "", Instant.EPOCH, Map.of()), source);
  }

  /** Checks a {@code chat} given as a query parameter as the body field is checked. */
  public static String chat(String chat) {
    if (chat.length() > MAX_ID_LENGTH) throw HttpError.badRequest("parameter 'chat' must be at most 256 characters");
    if (!JsonFields.wellFormed(chat)) throw HttpError.badRequest("parameter 'chat' must be Unicode text without NUL characters");
    return chat;
  }

  static Instant rfc3339(String s) {
    try {
      return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw HttpError.badRequest("field 'sent_at' must be an RFC 3339 date-time such as 2026-01-01T12:00:00Z");
    }
  }
}
