package dev.baton.config;

import java.util.Objects;

/** {@code admin:} the admin API under {@code /v1/admin} and the operator console under {@code /console}. */
public record AdminConfig(
    @Secret @Doc("Bearer token of the admin API, at least 32 bytes; empty = admin API and console off. Use"
        + " `${ENV_NAME}`.") String token,
    @Doc("Whether the console (`/console`) shows message and reply text; off by default, so an operator sees"
        + " sizes and ids but not what users wrote.") boolean showText,
    @Doc("A console login expires after this many milliseconds without a request (default 8 hours).")
        long consoleIdleMs,
    @Doc("Most console logins kept at once; one more evicts the least recently used.") int consoleMaxSessions,
    @Doc("Most console pages with an open live stream at once; one more gets 429.") int consoleMaxStreams) {

  public AdminConfig {
    Objects.requireNonNull(token, "token");
    if (!token.isEmpty() && token.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
      throw new IllegalArgumentException("admin.token must be at least 32 bytes long (a guessable admin token"
          + " opens every session's data); generate one, e.g. with `openssl rand -hex 32`");
    }
    Checks.positive("admin.console_idle_ms", consoleIdleMs);
    Checks.positive("admin.console_max_sessions", consoleMaxSessions);
    Checks.positive("admin.console_max_streams", consoleMaxStreams);
  }

  /** The defaults with this token. */
  public AdminConfig(String token) {
    this(token, false, 8 * 3600_000L, 32, 16);
  }

  public static AdminConfig defaults() {
    return new AdminConfig("");
  }

  public AdminConfig withShowText(boolean show) {
    return new AdminConfig(token, show, consoleIdleMs, consoleMaxSessions, consoleMaxStreams);
  }

  public boolean enabled() {
    return !token.isEmpty();
  }

  @Override
  public String toString() {
    return "AdminConfig[token=" + Secrets.mask(token) + ", showText=" + showText + ", consoleIdleMs="
        + consoleIdleMs + ", consoleMaxSessions=" + consoleMaxSessions + ", consoleMaxStreams=" + consoleMaxStreams
        + "]";
  }
}
