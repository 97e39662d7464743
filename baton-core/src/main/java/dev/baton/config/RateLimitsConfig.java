package dev.baton.config;

import java.util.Objects;

/** {@code agent.rate_limits:} — flow control of model calls (docs/concurrency.md, "Flow control"). */
public record RateLimitsConfig(
    @Doc("Limits of the model provider (requests and tokens per minute).") ProviderLimitsConfig provider) {

  public RateLimitsConfig {
    Objects.requireNonNull(provider, "provider");
  }

  /** Every limit off. */
  public static RateLimitsConfig defaults() {
    return new RateLimitsConfig(ProviderLimitsConfig.defaults());
  }
}
