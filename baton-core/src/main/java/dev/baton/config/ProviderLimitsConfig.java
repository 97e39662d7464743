package dev.baton.config;

/**
 * {@code agent.rate_limits.provider:} — the model provider's limits, shared by every session of the process
 * (and by every node in cluster mode on PostgreSQL, for the requests). 0 turns a limit off. The shared pause
 * after a provider's {@code 429} with {@code Retry-After} needs no key: it is always on.
 */
public record ProviderLimitsConfig(
    @Doc("Most model requests that start in any 60 s, across all sessions (and all nodes in cluster mode on"
        + " postgres); a turn waits for capacity within its deadline. 0 = no limit.") int requestsPerMinute,
    @Doc("Most tokens in any 60 s: each request is charged its prompt estimate (characters / 4) before it is sent"
        + " and corrected by the provider's usage after; per node. 0 = no limit.") long tokensPerMinute) {

  public ProviderLimitsConfig {
    Checks.nonNegative("requests_per_minute", requestsPerMinute);
    Checks.nonNegative("tokens_per_minute", tokensPerMinute);
  }

  /** Both limits off. */
  public static ProviderLimitsConfig defaults() {
    return new ProviderLimitsConfig(0, 0);
  }

  /** Whether any limit is on. */
  public boolean limited() {
    return requestsPerMinute > 0 || tokensPerMinute > 0;
  }
}
