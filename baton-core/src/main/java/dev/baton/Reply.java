package dev.baton;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A message from Baton back to a user. Replies of one session are numbered by {@code outboxSeq} in the order
 * they were committed and are delivered in that order (DESIGN §1 step 8).
 *
 * @param session the session the reply belongs to
 * @param outboxSeq position in the session's outbox (1, 2, 3, ...)
 * @param channel the channel to deliver it on
 * @param chat the chat (or sender) to deliver it to
 * @param inReplyTo the message id this answers (the last message of the turn)
 * @param kind reply, busy or error
 * @param text the text
 * @param turn the agent's turn number, when it gives one (the echo agent does)
 * @param routing the routing data of the message it answers
 * @param streamId the {@link ReplyStream} it was written through ("" for a reply that was not streamed): a
 *     channel that showed the stream's preview edits that message into this text instead of sending another
 * @param covers every message the turn answered, in order, ending with {@code inReplyTo} (several in queue modes
 *     {@code collect}, {@code interrupt} and {@code steer})
 */
public record Reply(
    SessionKey session,
    long outboxSeq,
    String channel,
    String chat,
    String inReplyTo,
    Kind kind,
    String text,
    OptionalLong turn,
    Map<String, String> routing,
    String streamId,
    List<String> covers) {

  /**
   * REPLY: the agent's answer. BUSY: refused by a bound or the queue ({@code busy_message}). ERROR: the turn failed
   * or timed out. CANCELLED: the turn was cancelled (its text is what it had streamed, or a short notice).
   */
  public enum Kind { REPLY, BUSY, ERROR, CANCELLED }

  /** A reply that was not streamed and answers only {@code inReplyTo}. */
  public Reply(SessionKey session, long outboxSeq, String channel, String chat, String inReplyTo, Kind kind,
      String text, OptionalLong turn, Map<String, String> routing) {
    this(session, outboxSeq, channel, chat, inReplyTo, kind, text, turn, routing, "", List.of(inReplyTo));
  }

  /** This reply with its place in the outbox. */
  public Reply withOutboxSeq(long seq) {
    return new Reply(session, seq, channel, chat, inReplyTo, kind, text, turn, routing, streamId, covers);
  }

  public Reply {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(chat, "chat");
    Objects.requireNonNull(inReplyTo, "inReplyTo");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(turn, "turn");
    routing = Map.copyOf(routing);
    Objects.requireNonNull(streamId, "streamId");
    covers = List.copyOf(covers);
    if (covers.isEmpty()) covers = List.of(inReplyTo);
  }
}
