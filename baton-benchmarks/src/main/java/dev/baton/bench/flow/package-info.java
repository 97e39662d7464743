/** Flow control: the per-user rate limiter's cost per message. */
@NullMarked
package dev.baton.bench.flow;

import org.jspecify.annotations.NullMarked;
