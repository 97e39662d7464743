package dev.baton;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The identity of a session: a structured value (channel, kind, parts) with one canonical text form, so that no
 * two different (channel, user, chat) tuples can ever meet in one key (P1). Derived by the engine from the
 * authenticated sender (and chat) of a message and {@code sessions.id_source}; never from a field the client
 * may set freely. Agent code can read its own session key but no API reachable from agent code takes one.
 *
 * <p>The text form is {@code channel:kind:part[:part]}, where each part is escaped: {@code %}, {@code :},
 * {@code /} and control characters become {@code %XX} (upper-case hex), U+2028 and U+2029 {@code %u2028} and
 * {@code %u2029}, nothing else does. The encoding is injective, and
 * {@link #parse} accepts only canonical text, so {@code value()} and the structure determine each other. Kinds:
 * <ul>
 *   <li>{@link Kind#USER} {@code u:user} — a user's own (1:1) session;
 *   <li>{@link Kind#CHAT} {@code c:chat} — a chat shared by its members ({@code id_source: chat_id});
 *   <li>{@link Kind#MEMBER} {@code uc:chat:user} — one user inside one chat ({@code id_source: user_and_chat}).
 * </ul>
 * A message without a chat always goes to the sender's {@code USER} session, whatever the id source: a user's
 * own session can never be reached by naming a chat.
 *
 * <p>Immutable and thread-safe. {@link #compareTo} orders by the text form.
 */
public record SessionKey(String value) implements Comparable<SessionKey> {

  /** What a channel name may be: {@code [a-z0-9][a-z0-9_.-]{0,63}}. */
  public static final String CHANNEL_PATTERN = "[a-z0-9][a-z0-9_.-]{0,63}";

  /** What a session is keyed by. */
  public enum Kind {
    USER("u", 1), CHAT("c", 1), MEMBER("uc", 2);

    final String tag;
    final int parts;

    Kind(String tag, int parts) {
      this.tag = tag;
      this.parts = parts;
    }

    static Kind ofTag(String tag) {
      for (Kind k : values()) if (k.tag.equals(tag)) return k;
      throw new IllegalArgumentException("session key kind must be u, c or uc");
    }
  }

  /** Accepts only the canonical text form; see {@link #parse}. */
  public SessionKey {
    Objects.requireNonNull(value, "value");
    structure(value); // validates
  }

  /** Parses a canonical session key such as {@code api:u:bob}; anything else is an IllegalArgumentException. */
  public static SessionKey parse(String text) {
    return new SessionKey(text);
  }

  /**
   * A key as a store read it back. Text that is not canonical (written before keys were structured, e.g. a
   * {@code user_and_chat} key whose chat held a {@code :}) becomes the session {@code legacy:u:<that text,
   * escaped>}: no message derives a key on the {@code legacy} channel, so such a session can meet no live one,
   * and its leftover work still runs and its replies are still delivered instead of stopping recovery.
   */
  public static SessionKey fromStored(String text) {
    try {
      return new SessionKey(text);
    } catch (IllegalArgumentException e) {
      return user(LEGACY_CHANNEL, text);
    }
  }

  /** The channel of {@link #fromStored} keys that were not canonical. */
  public static final String LEGACY_CHANNEL = "legacy";

  /** The session of {@code user} alone on {@code channel}. */
  public static SessionKey user(String channel, String user) {
    return of(channel, Kind.USER, List.of(user));
  }

  /** The session shared by the members of {@code chat} on {@code channel}. */
  public static SessionKey chat(String channel, String chat) {
    return of(channel, Kind.CHAT, List.of(chat));
  }

  /** The session of {@code user} inside {@code chat} on {@code channel}. */
  public static SessionKey member(String channel, String chat, String user) {
    return of(channel, Kind.MEMBER, List.of(chat, user));
  }

  /** Derives the session key of a message (DESIGN §1 step 2). */
  public static SessionKey derive(InboundMessage m, IdSource source) {
    if (m.chat().isEmpty()) return user(m.channel(), m.sender());
    return switch (source) {
      case USER_ID -> user(m.channel(), m.sender());
      case CHAT_ID -> chat(m.channel(), m.chat());
      case USER_AND_CHAT -> member(m.channel(), m.chat(), m.sender());
    };
  }

  private static SessionKey of(String channel, Kind kind, List<String> parts) {
    if (!validChannel(channel)) {
      throw new IllegalArgumentException("channel name must match " + CHANNEL_PATTERN);
    }
    StringBuilder b = new StringBuilder(channel).append(':').append(kind.tag);
    for (String p : parts) {
      if (p.isEmpty()) throw new IllegalArgumentException("session key parts must not be empty");
      b.append(':');
      escape(p, b);
    }
    return new SessionKey(b.toString());
  }

  /** Whether {@code s} matches {@link #CHANNEL_PATTERN} (by hand: this runs on every message). */
  public static boolean validChannel(String s) {
    if (s.isEmpty() || s.length() > 64) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '.' || c == '-'));
      if (!ok) return false;
    }
    return true;
  }

  /** The channel the session belongs to. */
  public String channel() {
    return value.substring(0, value.indexOf(':'));
  }

  /** What the session is keyed by. */
  public Kind kind() {
    return structure(value).kind;
  }

  /** The user of a {@code USER} or {@code MEMBER} session; empty for a {@code CHAT} session. */
  public java.util.Optional<String> user() {
    Structure s = structure(value);
    return switch (s.kind) {
      case USER -> java.util.Optional.of(s.parts.get(0));
      case MEMBER -> java.util.Optional.of(s.parts.get(1));
      case CHAT -> java.util.Optional.empty();
    };
  }

  /** The chat of a {@code CHAT} or {@code MEMBER} session; empty for a {@code USER} session. */
  public java.util.Optional<String> chatId() {
    Structure s = structure(value);
    return s.kind == Kind.USER ? java.util.Optional.empty() : java.util.Optional.of(s.parts.get(0));
  }

  private record Structure(Kind kind, List<String> parts) {}

  private static Structure structure(String value) {
    String[] f = value.split(":", -1);
    if (f.length < 3 || !validChannel(f[0])) {
      throw new IllegalArgumentException("a session key is channel:kind:part, such as api:u:bob");
    }
    Kind kind = Kind.ofTag(f[1]);
    if (f.length - 2 != kind.parts) {
      throw new IllegalArgumentException("a session key of kind " + kind.tag + " has " + kind.parts + " part(s)");
    }
    String[] parts = new String[kind.parts];
    for (int i = 0; i < parts.length; i++) {
      String raw = f[i + 2];
      String decoded = unescape(raw);
      if (decoded.isEmpty() || !escape(decoded, new StringBuilder()).toString().equals(raw)) {
        throw new IllegalArgumentException("a session key part must be non-empty and escaped canonically");
      }
      parts[i] = decoded;
    }
    return new Structure(kind, List.of(parts));
  }

  /**
   * Appends {@code s} with {@code %}, {@code :}, {@code /} (reply ids and lock names join keys with it) and
   * control characters (C0, DEL, C1) as {@code %XX}, and the line and paragraph separators as {@code %u2028}
   * and {@code %u2029}, so a key can neither be shifted into another nor end a log line.
   */
  static StringBuilder escape(String s, StringBuilder b) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' || c == ':' || c == '/' || c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        b.append('%').append(String.format(Locale.ROOT, "%02X", (int) c));
      } else if (c == '\u2028' || c == '\u2029') {
        b.append("%u").append(String.format(Locale.ROOT, "%04X", (int) c));
      } else {
        b.append(c);
      }
    }
    return b;
  }

  private static String unescape(String s) {
    if (s.indexOf('%') < 0) return s;
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '%') {
        b.append(c);
        continue;
      }
      int width = i + 1 < s.length() && s.charAt(i + 1) == 'u' ? 5 : 2; // %uXXXX or %XX
      if (i + width >= s.length()) {
        throw new IllegalArgumentException("a session key has a truncated % escape");
      }
      try {
        b.append((char) Integer.parseInt(s.substring(i + 1 + (width == 5 ? 1 : 0), i + 1 + width), 16));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("a session key has a bad % escape");
      }
      i += width;
    }
    return b.toString();
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
