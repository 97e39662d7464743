/**
 * The tool runtime's implementation behind {@link dev.baton.tools.BatonTools}: the lock manager (P5), the
 * call pipeline ({@code CallRunner}), its idempotency ({@code IdempotentCalls}, P6) and holder threads
 * ({@code CallThreads}, P4, P7), the workspace paths ({@link dev.baton.tools.internal.SafePaths}) and the
 * built-in tools. Not an API: only this module's tests and benchmarks reach in.
 */
@NullMarked
package dev.baton.tools.internal;

import org.jspecify.annotations.NullMarked;
