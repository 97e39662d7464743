/** JMH benchmarks (agents); BENCHMARKS.md has the commands and results. */
@NullMarked
package dev.baton.bench.agents;

import org.jspecify.annotations.NullMarked;
