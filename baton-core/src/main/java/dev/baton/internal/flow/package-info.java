/**
 * Flow control (docs/concurrency.md, "Flow control"): token buckets per user, daily token budgets, and the provider
 * limiter's implementation ({@link dev.baton.internal.flow.WindowLimiter}, its windows
 * {@link dev.baton.internal.flow.SlidingWindow}); other modules use {@link dev.baton.flow.ProviderLimiter}.
 */
@NullMarked
package dev.baton.internal.flow;

import org.jspecify.annotations.NullMarked;
