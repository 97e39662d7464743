/**
 * The wait-for graph (P8) as other modules use it: {@link dev.baton.deadlock.WaitGraph} (report waits, keep
 * their blockers current, read the graph back; {@link dev.baton.deadlock.WaitGraph#create} makes one), who
 * waits ({@link dev.baton.deadlock.Party}), for what ({@link dev.baton.deadlock.WaitKind},
 * {@link dev.baton.deadlock.Need}), and what an operator reads back ({@link dev.baton.deadlock.GraphSnapshot},
 * {@link dev.baton.deadlock.DeadlockReport}). The implementation and its cycle search are baton-core's
 * internals; docs/tools.md and docs/concurrency.md describe them.
 */
@NullMarked
package dev.baton.deadlock;

import org.jspecify.annotations.NullMarked;
