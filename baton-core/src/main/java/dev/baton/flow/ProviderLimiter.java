package dev.baton.flow;

import dev.baton.config.ProviderLimitsConfig;
import dev.baton.deadlock.WaitGraph;
import dev.baton.internal.flow.WindowLimiter;
import dev.baton.spi.ProviderQuota;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.Optional;

/**
 * The flow control of one model provider, shared by every session that calls it: a sliding window of
 * {@code requests_per_minute} and {@code tokens_per_minute} (at most that many started in any 60 s), a shared
 * pause after a {@code 429} with {@code Retry-After}, and in cluster mode a {@link ProviderQuota} counter in the
 * shared store.
 *
 * <pre>{@code
 * ProviderLimiter limiter = ProviderLimiter.create("api.openai.com", limits, scheduler, meters, graph, quota);
 * ProviderLimiter.Permit p = limiter.acquire(estimatedTokens, turn.deadline()); // waits, FIFO
 * ChatResponse r = send(request);          // a 429 with Retry-After: limiter.pauseUntil(retryAt)
 * p.used(r.tokenUsage().totalTokenCount()); // corrects the token window
 * }</pre>
 *
 * <p><b>Concurrency.</b> Thread-safe. {@link #acquire} blocks the calling (virtual) thread until its reserved
 * instant: reservations are made in arrival order under one leaf lock (arithmetic only) and each waiter is
 * woken by its own timer of the injected {@link Scheduler} at its own instant, so waiters start in FIFO order and
 * never as a herd. A reservation happens-before the wake-up of its waiter. {@link #pauseUntil} re-reserves every
 * waiter that has not started, in the same order, from the end of the pause; a waiter whose new instant lies past
 * its deadline fails at once. Nothing of the caller's runs under the lock, and no lock is held while waiting.
 */
public interface ProviderLimiter {

  /** The provider's name ({@code provider:<name>} in the wait-for graph, tag {@code provider} of the meters). */
  String name();

  /**
   * Waits until one request of {@code tokens} (estimated; 0 if unknown) may start, or refuses at once.
   *
   * @param deadline the turn's deadline (scheduler time): the wait never goes past it
   * @return the permit, whose {@link Permit#used} corrects the token estimate
   * @throws ProviderLimitException if the capacity would not come before {@code deadline}, at once; also when a
   *     later pause pushes the waiter past it
   * @throws InterruptedException if the thread was interrupted (cancel, timeout); its reservation is given back
   */
  Permit acquire(long tokens, Instant deadline) throws InterruptedException, ProviderLimitException;

  /**
   * The provider said {@code 429} with a time to retry: no request of this provider starts before {@code until}
   * (a later pause extends it, an earlier one is ignored). Calls already waiting move to {@code until}, in order.
   * On by default, whatever the limits.
   */
  void pauseUntil(Instant until);

  /** The end of the current pause, or a past instant. */
  Instant pausedUntil();

  /** How many calls wait now. */
  int waiting();

  /** One granted request. */
  interface Permit {
    /** The provider reported {@code tokens} for the request: the token window is corrected. Idempotent-ish: last wins. */
    void used(long tokens);
  }

  /**
   * A limiter for {@code name} with {@code limits}, timed by {@code scheduler}; meters {@code baton.provider.*}
   * go to {@code meters}; waits are edges of {@code graph}; {@code quota} shares the requests per minute with the
   * other nodes of a cluster.
   */
  static ProviderLimiter create(String name, ProviderLimitsConfig limits, Scheduler scheduler, MeterRegistry meters,
      Optional<WaitGraph> graph, Optional<ProviderQuota> quota) {
    return new WindowLimiter(name, limits, scheduler, meters, graph, quota);
  }
}
