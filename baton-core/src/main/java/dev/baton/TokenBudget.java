package dev.baton;

/**
 * The daily model-token budget of the user a turn works for ({@code agent.rate_limits.tokens_per_user_per_day}),
 * as the agent sees it: bound to that user, so nothing here takes a user or session id (P1). An agent that
 * calls a model checks {@link #spent()} before each call and reports the provider's usage with
 * {@link #record} after it; the built-in {@code openai} agent does both. The engine itself checks before it
 * starts a turn: a user whose budget is spent gets {@link #message()} as the turn's reply and no agent call.
 *
 * <p><b>Concurrency.</b> Thread-safe and non-blocking; counts are kept per process (per node in cluster mode).
 * The check comes before a call and the count after it, so a user may overshoot the budget by the tokens of
 * the calls that were already under way.
 */
public interface TokenBudget {

  /** Whether the user has no tokens left today (UTC): make no model call. */
  boolean spent();

  /** Adds the tokens one model call used (the provider's {@code usage.total_tokens}); ignored if not positive. */
  void record(long totalTokens);

  /** The text to answer with when {@link #spent()} ({@code agent.rate_limits.budget_message}). */
  String message();

  /** A budget that is never spent and counts nothing (no budget configured, turns outside the engine). */
  static TokenBudget unlimited() {
    return Unlimited.INSTANCE;
  }

  /** The budget of {@link #unlimited()}. */
  enum Unlimited implements TokenBudget {
    INSTANCE;

    @Override
    public boolean spent() {
      return false;
    }

    @Override
    public void record(long totalTokens) {}

    @Override
    public String message() {
      return dev.baton.config.RateLimitsConfig.DEFAULT_BUDGET_MESSAGE;
    }
  }
}
