/**
 * The wait-for graph's implementation (P8): {@link dev.baton.internal.deadlock.WaitForGraph} (edges, detection
 * at the closing edge and by sweep, victim choice), {@link dev.baton.internal.deadlock.CycleSearch} (graph
 * reduction and cycle extraction) and the stuck-call watchdog. Other modules use the published view,
 * {@link dev.baton.deadlock.WaitGraph}; nothing outside baton-core imports this package.
 */
@NullMarked
package dev.baton.internal.deadlock;

import org.jspecify.annotations.NullMarked;
