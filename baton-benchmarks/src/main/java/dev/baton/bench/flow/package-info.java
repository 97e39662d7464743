/** JMH: what the provider limiter ({@link dev.baton.flow.ProviderLimiter}) costs a model call. */
@NullMarked
package dev.baton.bench.flow;

import org.jspecify.annotations.NullMarked;
