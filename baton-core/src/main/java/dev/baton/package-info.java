/**
 * Baton's public API: embed the engine ({@link dev.baton.Baton}), feed it {@link dev.baton.InboundMessage}s,
 * write an {@link dev.baton.Agent}. Everything under {@code dev.baton.internal} is an implementation detail.
 */
@NullMarked
package dev.baton;

import org.jspecify.annotations.NullMarked;
