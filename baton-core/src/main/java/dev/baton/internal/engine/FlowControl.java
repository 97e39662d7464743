package dev.baton.internal.engine;

import dev.baton.InboundMessage;
import dev.baton.TokenBudget;
import dev.baton.config.RateLimitsConfig;
import dev.baton.internal.flow.DailyBudgets;
import dev.baton.internal.flow.UserRateLimiter;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The engine's flow control per user (agent.rate_limits; docs/concurrency.md, "Flow control"), one seam
 *   whatever is configured: the engine asks it, and a limit that is off answers "yes" here, nowhere else.
 *   - admits(): the per-user token bucket (per_user.messages_per_minute, burst), asked by submit after the
 *     dedup insert (a redelivery is a Duplicate before it could cost a token) and under the session's
 *     ownership, before the message reaches its actor. A refusal is Busy with per_user.busy_message.
 *   - budget(): the daily token budget of a turn's user (tokens_per_user_per_day), checked by the turn before
 *     the agent is called and handed to the agent as Turn.budget() to check before each model call and to
 *     report the provider's usage after it.
 *   A user is one channel's authenticated sender (Bounds.Owner). Questions between sessions (ask) are no
 *   user's messages and are not rate limited.
 *
 * Concurrency
 *   Thread-safe and lock-free (UserRateLimiter, DailyBudgets); time from the injected Scheduler.
 */
/** Per-user rate limits and daily token budgets. Thread-safe. */
final class FlowControl {

  private final Scheduler clock;
  private final @Nullable UserRateLimiter<Bounds.Owner> rates;
  private final @Nullable DailyBudgets<Bounds.Owner> budgets;
  final String busyMessage;
  private final String budgetMessage;
  /** Messages refused by the per-user rate ({@code baton.bounds.refused{bound=rate_per_user}}). */
  final Counter refusedRate;
  /** Turns answered with the budget message instead of an agent call. */
  final Counter budgetRefused;
  private final Counter tokens;

  FlowControl(RateLimitsConfig c, Scheduler clock, MeterRegistry r) {
    this.clock = clock;
    RateLimitsConfig.PerUserConfig u = c.perUser();
    this.rates = u.enabled()
        ? new UserRateLimiter<>(u.messagesPerMinute(), u.effectiveBurst(), u.maxTrackedUsers(), clock.nanoTime())
        : null;
    this.budgets = c.tokensPerUserPerDay() > 0 ? new DailyBudgets<>(c.tokensPerUserPerDay(), u.maxTrackedUsers()) : null;
    this.busyMessage = u.busyMessage();
    this.budgetMessage = c.budgetMessage();
    this.refusedRate = r.counter("baton.bounds.refused", "bound", "rate_per_user");
    this.budgetRefused = r.counter("baton.budget.refused");
    this.tokens = r.counter("baton.budget.tokens");
  }

  /** Takes one of the sender's tokens for a fresh message; false when the sender is over the rate. */
  boolean admits(InboundMessage m) {
    UserRateLimiter<Bounds.Owner> l = rates;
    if (l == null || m.channel().equals(EngineAskRouter.CHANNEL)) return true;
    return l.tryAcquire(Bounds.Owner.of(m), clock.nanoTime());
  }

  /** Gives back the token {@link #admits} took, for a message then refused by another bound (queue full, ...). */
  void giveBack(InboundMessage m) {
    UserRateLimiter<Bounds.Owner> l = rates;
    if (l != null && !m.channel().equals(EngineAskRouter.CHANNEL)) l.giveBack(Bounds.Owner.of(m));
  }

  /** The budget of {@code channel}'s sender {@code user}, for one turn. */
  TokenBudget budget(String channel, String user) {
    DailyBudgets<Bounds.Owner> b = budgets;
    if (b == null || channel.equals(EngineAskRouter.CHANNEL)) return TokenBudget.unlimited();
    return new UserBudget(b, new Bounds.Owner(channel, user));
  }

  /** Buckets kept now (tests). */
  int trackedUsers() {
    UserRateLimiter<Bounds.Owner> l = rates;
    return l == null ? 0 : l.tracked();
  }

  private final class UserBudget implements TokenBudget {
    private final DailyBudgets<Bounds.Owner> budgets;
    private final Bounds.Owner owner;

    UserBudget(DailyBudgets<Bounds.Owner> budgets, Bounds.Owner owner) {
      this.budgets = budgets;
      this.owner = owner;
    }

    @Override
    public boolean spent() {
      return budgets.spent(owner, clock.now());
    }

    @Override
    public void record(long totalTokens) {
      if (totalTokens <= 0) return;
      tokens.increment((double) totalTokens);
      budgets.record(owner, totalTokens, clock.now());
    }

    @Override
    public String message() {
      return budgetMessage;
    }
  }
}
