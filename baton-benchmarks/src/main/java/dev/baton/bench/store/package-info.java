/** JMH benchmarks (store); BENCHMARKS.md has the commands and results. */
@NullMarked
package dev.baton.bench.store;

import org.jspecify.annotations.NullMarked;
