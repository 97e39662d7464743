/** JMH, flow control: the per-user rate limiter's cost per message, and the provider limiter's ({@link dev.baton.flow.ProviderLimiter}) per model call. */
@NullMarked
package dev.baton.bench.flow;

import org.jspecify.annotations.NullMarked;
