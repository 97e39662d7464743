package dev.baton.config;

import java.util.Objects;

/** {@code admin:} (owned by the gateway work; extend here). */
public record AdminConfig(@Secret @Doc("Bearer token of the admin API; empty = admin API off. Use `${ENV_NAME}`.") String token) {

  public AdminConfig {
    Objects.requireNonNull(token, "token");
  }

  public static AdminConfig defaults() {
    return new AdminConfig("");
  }

  @Override
  public String toString() {
    return "AdminConfig[token=" + (token.isEmpty() ? "" : "***") + "]";
  }
}
