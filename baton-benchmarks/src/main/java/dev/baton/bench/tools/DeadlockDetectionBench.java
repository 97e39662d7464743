package dev.baton.bench.tools;

import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of deadlock detection in a graph of 10,000 waiters (target: a cycle found within 10 ms of the edge
 * that closes it).
 *
 * <ul>
 *   <li>{@code closeCycleInForest}: 10,000 waiters in 1,000 wait trees of 10 (like 1,000 contended locks);
 *       one more wait closes a 2-cycle. The search is local: it visits what the new waiter reaches.
 *   <li>{@code closeCycleThroughChain}: worst case, the 10,000 waiters form one chain and the new edge closes
 *       a cycle through all of them.
 *   <li>{@code sweep}: the periodic sweep over the 10,000 waiters (no cycle) after a change (a sweep with no
 *       change since the last clean one returns at once).
 * </ul>
 * {@code closeCycleInForest} undoes itself inside the measured op (ends the closer's wait, re-adds the
 * victim's): its figure is detect + break + restore. {@code closeCycleThroughChain} restores in a per-invocation
 * setup: its figure is the closing edge alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DeadlockDetectionBench {
  @Param({"10000"})
  int waiters;

  WaitGraph.Owned forest, chain;
  Party forestCloser, forestVictim, chainCloser, chainHead;
  int victims;
  long closes;
  @SuppressWarnings("NullAway.Init") // set by setUp (@Setup), which NullAway treats as an initializer
  WaitGraph.Wait touched;

  @Setup(Level.Trial)
  public void setUp() {
    forest = graph();
    // 1,000 trees: node r*10 runs (the holder), nodes r*10+1..9 wait for it.
    for (int i = 0; i < waiters; i++) {
      int root = i - i % 10;
      if (i != root) touched = forest.await(p(i), WaitKind.LOCK, "k" + root, Need.ALL, List.of(p(root)), e -> victims++);
    }
    // The root of tree 0 now waits for a waiter of tree 0: the 2-cycle root <-> node 1.
    forestCloser = p(0);
    forestVictim = p(1);
    chain = graph();
    for (int i = 0; i < waiters; i++) chainWait(i);
    chainCloser = p(waiters);
    chainHead = p(0);
  }

  int chainVictim = -1;

  /** Chain member i waits for i + 1; if chosen as victim it is remembered, to be put back. */
  private void chainWait(int i) {
    chain.await(p(i), WaitKind.LOCK, "k" + i, Need.ALL, List.of(p(i + 1)), e -> {
      victims++;
      chainVictim = i;
    });
  }

  private static WaitGraph.Owned graph() {
    return WaitGraph.create(DeadlockDetectionConfig.defaults(), Scheduler.system(), new SimpleMeterRegistry());
  }

  private static Party p(int i) {
    return Party.call(i, "");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (closes > 0 && victims < closes) throw new IllegalStateException("no cycle was ever found: the benchmark measures nothing");
    forest.close();
    chain.close();
  }

  @Benchmark
  public int closeCycleInForest() {
    closes++;
    int before = victims;
    // Oldest waiter is node 1 (added first): it is the victim; put its wait back afterwards.
    WaitGraph.Wait w = forest.await(forestCloser, WaitKind.LOCK, "k1", Need.ALL, List.of(forestVictim), e -> victims++);
    forest.end(w);
    forest.await(forestVictim, WaitKind.LOCK, "k0", Need.ALL, List.of(forestCloser), e -> victims++);
    return victims - before;
  }

  WaitGraph.@org.jspecify.annotations.Nullable Wait chainClosing;

  /** Undoes the previous invocation (outside the measurement): the closer stops waiting, the victim waits again. */
  @Setup(Level.Invocation)
  public void restoreChain() {
    if (chainClosing == null) return;
    chain.end(chainClosing);
    chainClosing = null;
    chainWait(chainVictim); // the oldest chain member was the victim: it waits again, now the youngest
  }

  /** Only the closing edge: its search over 10,000 waiters, the report and the victim's kill. */
  @Benchmark
  public int closeCycleThroughChain() {
    closes++;
    int before = victims;
    chainClosing = chain.await(chainCloser, WaitKind.LOCK, "k0", Need.ALL, List.of(chainHead), e -> victims++);
    return victims - before;
  }

  @Benchmark
  public int sweep() {
    forest.update(touched, List.of(p(waiters - 10))); // a change, so the sweep cannot skip its work
    forest.sweep();
    return forest.waitCount();
  }
}
