package dev.baton.cli.demo;

import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.SessionKey;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's messages carry their owner and sequence in their text ({@code [u17#5] ...}), so any text seen
 * in the wrong session — in a turn, in session state, in the transcript, in a reply — is caught (P1).
 */
final class DemoMessages {

  static final String CHANNEL = "demo";
  private static final Pattern TAG = Pattern.compile("\\[(u\\d+)#(\\d+)]");

  private DemoMessages() {}

  static String user(int index) {
    return "u" + index;
  }

  static String id(String user, long seq) {
    return user + "-" + seq;
  }

  static String text(String user, long seq) {
    return "[" + user + "#" + seq + "] hello from " + user + ", message " + seq;
  }

  static InboundMessage message(String user, long seq, Instant sentAt) {
    return new InboundMessage(CHANNEL, id(user, seq), user, "", OrderKey.sequence(seq), text(user, seq), sentAt,
        Map.of());
  }

  static SessionKey session(String user) {
    return session(user, IdSource.USER_ID);
  }

  /** The session the engine must put {@code user}'s messages in (they carry no chat: the chat is the user). */
  static SessionKey session(String user, IdSource idSource) {
    return SessionKey.derive(InboundMessage.of(CHANNEL, "x", user, "", Instant.EPOCH), idSource);
  }

  /** The owner named by the first tag in {@code text}. */
  static Optional<String> owner(String text) {
    Matcher m = TAG.matcher(text);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** The sequence named by the first tag in {@code text}, or -1. */
  static long seq(String text) {
    Matcher m = TAG.matcher(text);
    return m.find() ? Long.parseLong(m.group(2)) : -1;
  }

  /** Whether every tag in {@code text} names {@code user} (and there is at least one). */
  static boolean onlyOwnedBy(String text, String user) {
    Matcher m = TAG.matcher(text);
    boolean any = false;
    while (m.find()) {
      if (!m.group(1).equals(user)) return false;
      any = true;
    }
    return any;
  }
}
