package dev.baton;

import java.util.Objects;

/**
 * The identity of a session. Derived by the engine from the authenticated sender (and chat) of a message
 * and {@code sessions.id_source}; never from a field the client may set freely. Agent code can read its
 * own session key but no API reachable from agent code takes one (P1).
 */
public record SessionKey(String value) implements Comparable<SessionKey> {

  public SessionKey {
    Objects.requireNonNull(value, "value");
    if (value.isBlank()) throw new IllegalArgumentException("session key must not be blank");
  }

  /** Derives the session key of a message: {@code channel:u:sender}, {@code channel:c:chat} or both. */
  public static SessionKey derive(InboundMessage m, IdSource source) {
    return new SessionKey(switch (source) {
      case USER_ID -> m.channel() + ":u:" + m.sender();
      case CHAT_ID -> m.channel() + ":c:" + m.effectiveChat();
      case USER_AND_CHAT -> m.channel() + ":uc:" + m.effectiveChat() + ":" + m.sender();
    });
  }

  @Override
  public int compareTo(SessionKey o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
