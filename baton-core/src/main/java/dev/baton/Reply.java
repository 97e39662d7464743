package dev.baton;

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
    Map<String, String> routing) {

  public enum Kind { REPLY, BUSY, ERROR }

  public Reply {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(chat, "chat");
    Objects.requireNonNull(inReplyTo, "inReplyTo");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(turn, "turn");
    routing = Map.copyOf(routing);
  }
}
