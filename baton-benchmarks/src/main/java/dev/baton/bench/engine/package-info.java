/** JMH benchmarks (engine); BENCHMARKS.md has the commands and results. */
@NullMarked
package dev.baton.bench.engine;

import org.jspecify.annotations.NullMarked;
