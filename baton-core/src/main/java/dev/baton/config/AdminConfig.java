package dev.baton.config;

import java.util.Objects;

/** {@code admin:} the admin API under {@code /v1/admin}. */
public record AdminConfig(
    @Secret @Doc("Bearer token of the admin API; empty = admin API off. Use `${ENV_NAME}`.") String token) {

  public AdminConfig {
    Objects.requireNonNull(token, "token");
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
