/**
 * The wait-for graph's shared vocabulary (P8): who waits ({@link dev.baton.deadlock.Party}), for what
 * ({@link dev.baton.deadlock.WaitKind}, {@link dev.baton.deadlock.Need}), and what an operator reads back
 * ({@link dev.baton.deadlock.GraphSnapshot}, {@link dev.baton.deadlock.DeadlockReport}). The graph itself and
 * its cycle search are the engine's; docs/concurrency.md describes them.
 */
@NullMarked
package dev.baton.deadlock;

import org.jspecify.annotations.NullMarked;
