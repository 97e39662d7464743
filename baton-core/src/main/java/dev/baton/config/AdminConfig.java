package dev.baton.config;

import java.util.Objects;

/** {@code admin:} the admin API under {@code /v1/admin}. */
public record AdminConfig(
    @Secret @Doc("Bearer token of the admin API, at least 32 bytes; empty = admin API off. Use `${ENV_NAME}`.") String token) {

  public AdminConfig {
    Objects.requireNonNull(token, "token");
    if (!token.isEmpty() && token.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
      throw new IllegalArgumentException("admin.token must be at least 32 bytes long (a guessable admin token"
          + " opens every session's data); generate one, e.g. with `openssl rand -hex 32`");
    }
  }

  public static AdminConfig defaults() {
    return new AdminConfig("");
  }

  public boolean enabled() {
    return !token.isEmpty();
  }

  @Override
  public String toString() {
    return "AdminConfig[token=" + Secrets.mask(token) + "]";
  }
}
