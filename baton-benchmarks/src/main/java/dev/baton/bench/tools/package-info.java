/** JMH benchmarks (tools); BENCHMARKS.md has the commands and results. */
@NullMarked
package dev.baton.bench.tools;

import org.jspecify.annotations.NullMarked;
