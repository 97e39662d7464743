package dev.baton;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One message as a channel adapter hands it to the engine, after the request was verified.
 *
 * @param channel the channel name ({@code api}, {@code telegram}, {@code slack}, ...)
 * @param messageId the platform's (or client's) message id; empty when the platform gives none, in which
 *     case the dedup key is a fingerprint (see {@link DedupKey#of})
 * @param sender the <em>authenticated</em> sender id (JWT {@code sub}, Telegram {@code from.id}, ...)
 * @param chat the chat/conversation id; empty when the channel has no chats (then the sender is the chat)
 * @param order the order key (P9)
 * @param text the message text
 * @param sentAt when the sender sent it (platform time, or arrival time when the platform gives none)
 * @param routing channel-specific data the adapter needs to send replies back (Slack channel and thread,
 *     Discord interaction token, ...); stored with the message, never shown to the agent
 */
public record InboundMessage(
    String channel,
    String messageId,
    String sender,
    String chat,
    OrderKey order,
    String text,
    Instant sentAt,
    Map<String, String> routing) {

  /**
   * Routing key of the session class a verified token claims ({@code sessions.class_claim}). An adapter sets
   * it only from a claim it verified, never from request fields; the engine reads it only from a session's
   * first message (see {@code docs/concurrency.md}, Priorities).
   */
  public static final String ROUTE_CLASS = "baton.class";

  public InboundMessage {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(chat, "chat");
    Objects.requireNonNull(order, "order");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(sentAt, "sentAt");
    routing = Map.copyOf(routing);
    if (channel.isBlank()) throw new IllegalArgumentException("channel must not be blank");
    if (sender.isBlank()) throw new IllegalArgumentException("sender must not be blank");
  }

  /** A message with no chat, no order key and no routing data. */
  public static InboundMessage of(String channel, String messageId, String sender, String text, Instant sentAt) {
    return new InboundMessage(channel, messageId, sender, "", OrderKey.none(), text, sentAt, Map.of());
  }

  public InboundMessage withOrder(OrderKey newOrder) {
    return new InboundMessage(channel, messageId, sender, chat, newOrder, text, sentAt, routing);
  }

  public InboundMessage withChat(String newChat) {
    return new InboundMessage(channel, messageId, sender, newChat, order, text, sentAt, routing);
  }

  public InboundMessage withRouting(Map<String, String> newRouting) {
    return new InboundMessage(channel, messageId, sender, chat, order, text, sentAt, newRouting);
  }

  /** The chat, or the sender when the channel has no chats. */
  public String effectiveChat() {
    return chat.isEmpty() ? sender : chat;
  }
}
