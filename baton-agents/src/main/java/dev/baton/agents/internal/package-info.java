/**
 * What the two agent loops of baton-agents share and nobody else may use: the tool calls' idempotency keys.
 * Everything here is an implementation detail.
 */
@NullMarked
package dev.baton.agents.internal;

import org.jspecify.annotations.NullMarked;
