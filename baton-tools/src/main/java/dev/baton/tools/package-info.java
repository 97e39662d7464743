/**
 * The tool runtime (P4, P5, P6, P8): write a {@link dev.baton.tools.Tool}, register it with
 * {@link dev.baton.tools.BatonTools#builder()}, hand the result to {@code Baton.builder().tools(...)}.
 * Everything under {@code dev.baton.tools.internal} is an implementation detail.
 */
@NullMarked
package dev.baton.tools;

import org.jspecify.annotations.NullMarked;
