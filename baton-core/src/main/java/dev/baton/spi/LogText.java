package dev.baton.spi;

/**
 * Client text made safe for a log line (STYLE 15): a user id, a chat, a message id or a resource name that
 * reaches a log must not be able to end the line and forge another. {@link #escape} writes control characters
 * (C0, DEL, C1 and the Unicode line and paragraph separators) as {@code \n}, {@code \r}, {@code \t} or
 * {@code \}{@code uXXXX}, backslashes as {@code \\}, and cuts values longer than {@link #MAX_CHARS}. Stateless
 * and thread-safe.
 */
public final class LogText {

  /** Longest value written whole; longer ones end in {@code …(+N chars)}. */
  public static final int MAX_CHARS = 200;

  private LogText() {}

  /** {@code s} with every control character escaped, at most {@link #MAX_CHARS} of it. */
  public static String escape(String s) {
    return escape(s, MAX_CHARS);
  }

  /** {@code s} with every control character escaped, at most {@code maxChars} of it. */
  public static String escape(String s, int maxChars) {
    int n = Math.min(s.length(), maxChars);
    StringBuilder b = null;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' || c == '\\';
      if (control && b == null) b = new StringBuilder(n + 16).append(s, 0, i);
      if (b == null) continue;
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\\' -> b.append("\\\\");
        default -> {
          if (control) b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    String out = b == null ? s.substring(0, n) : b.toString();
    return s.length() > maxChars ? out + "…(+" + (s.length() - maxChars) + " chars)" : out;
  }
}
