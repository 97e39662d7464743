package dev.baton.config;

import java.util.Objects;

/**
 * {@code agent.rate_limits:} flow control (docs/concurrency.md, "Flow control"): how fast one user may send
 * messages, how many model tokens one user may spend per UTC day, and how many requests and tokens per minute
 * reach the model provider.
 */
public record RateLimitsConfig(
    @Doc("Messages per minute one user (channel and authenticated sender) may send, as a token bucket.")
        PerUserConfig perUser,
    @Doc("Model tokens (the provider's reported `total_tokens`) one user may spend per UTC day; past it the"
        + " user's messages are answered with `budget_message` and no model is called. 0 = no budget. Counted"
        + " per process (per node in cluster mode).") long tokensPerUserPerDay,
    @Doc("The reply to a message of a user whose daily token budget is spent.") String budgetMessage,
    @Doc("Limits of the model provider (requests and tokens per minute), shared by every session of the process"
        + " (requests: by every node in cluster mode).") ProviderLimitsConfig provider) {

  public static final String DEFAULT_BUDGET_MESSAGE =
      "You have used up today's allowance for this assistant. It resets at midnight UTC.";

  public RateLimitsConfig {
    Objects.requireNonNull(perUser, "per_user");
    Objects.requireNonNull(budgetMessage, "budget_message");
    Objects.requireNonNull(provider, "provider");
    Checks.nonNegative("tokens_per_user_per_day", tokensPerUserPerDay);
    if (budgetMessage.isBlank()) throw new IllegalArgumentException("budget_message must not be blank");
  }

  /** Only the provider's limits; every per-user limit off. */
  public RateLimitsConfig(ProviderLimitsConfig provider) {
    this(PerUserConfig.defaults(), 0, DEFAULT_BUDGET_MESSAGE, provider);
  }

  /** Every limit off. */
  public static RateLimitsConfig defaults() {
    return new RateLimitsConfig(PerUserConfig.defaults(), 0, DEFAULT_BUDGET_MESSAGE, ProviderLimitsConfig.defaults());
  }

  public RateLimitsConfig withPerUser(PerUserConfig p) {
    return new RateLimitsConfig(p, tokensPerUserPerDay, budgetMessage, provider);
  }

  public RateLimitsConfig withTokensPerUserPerDay(long n) {
    return new RateLimitsConfig(perUser, n, budgetMessage, provider);
  }

  public RateLimitsConfig withBudgetMessage(String text) {
    return new RateLimitsConfig(perUser, tokensPerUserPerDay, text, provider);
  }

  public RateLimitsConfig withProvider(ProviderLimitsConfig p) {
    return new RateLimitsConfig(perUser, tokensPerUserPerDay, budgetMessage, p);
  }

  /** {@code agent.rate_limits.per_user:} a token bucket per user. */
  public record PerUserConfig(
      @Doc("Messages per minute one user may send on average (the bucket's refill: one every 60/N s). 0 = no"
          + " limit.") int messagesPerMinute,
      @Doc("Messages one user may send at once before the rate applies (the bucket's size). 0 = the same as"
          + " `messages_per_minute`.") int burst,
      @Doc("The answer to a message beyond the user's rate (API: 429 with this text; a platform webhook: 503,"
          + " so the platform delivers it again later). Nothing is stored for it.") String busyMessage,
      @Doc("Most users whose buckets and daily token counts are kept (P11). A user idle long enough for the"
          + " bucket to refill is forgotten first; past the bound the least recently seen are forgotten (they"
          + " start again with a full bucket).") int maxTrackedUsers) {

    public static final String DEFAULT_BUSY_MESSAGE =
        "You are sending messages faster than I can read them; please wait a moment.";
    public static final int DEFAULT_MAX_TRACKED_USERS = 100_000;

    public PerUserConfig {
      Objects.requireNonNull(busyMessage, "busy_message");
      Checks.nonNegative("messages_per_minute", messagesPerMinute);
      Checks.nonNegative("burst", burst);
      Checks.positive("max_tracked_users", maxTrackedUsers);
      if (busyMessage.isBlank()) throw new IllegalArgumentException("busy_message must not be blank");
    }

    /** {@code messages_per_minute} and {@code burst}, the rest at their defaults. */
    public PerUserConfig(int messagesPerMinute, int burst) {
      this(messagesPerMinute, burst, DEFAULT_BUSY_MESSAGE, DEFAULT_MAX_TRACKED_USERS);
    }

    public static PerUserConfig defaults() {
      return new PerUserConfig(0, 0);
    }

    /** Whether the limit is on. */
    public boolean enabled() {
      return messagesPerMinute > 0;
    }

    /** The bucket's size: {@code burst}, or {@code messages_per_minute} when burst is 0. */
    public int effectiveBurst() {
      return burst > 0 ? burst : messagesPerMinute;
    }
  }
}
