package dev.baton.tools.internal;

import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.testing.ManualScheduler;
import dev.baton.tools.Access;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.BooleanGen;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jspecify.annotations.Nullable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the lock manager, with the wait-for graph behind it: requests, withdrawals, releases and
 * observations from three tool calls, each call's operations on its own thread (a call runs on one thread), by
 * model checking (every interleaving up to the bound) and by stress. The sequential specification is the lock
 * manager itself run sequentially, so any outcome (grant, queue, deadlock victim, holders) that no serial
 * order explains fails the test.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:1")
@Param(name = "exclusive", gen = BooleanGen.class)
public class LockManagerLincheckTest {

  private final LockManager lm;
  private final LockManager.@Nullable Request[] pending = new LockManager.Request[3];

  public LockManagerLincheckTest() {
    ManualScheduler clock = new ManualScheduler();
    WaitGraph graph = WaitGraph.create(DeadlockDetectionConfig.defaults(), clock, new SimpleMeterRegistry());
    lm = new LockManager(graph, clock, new SimpleMeterRegistry());
  }

  // Each wrapper operation is exactly one lock manager call (or none); per-call state is confined to the
  // call's thread (nonParallelGroup), as in the runtime where one call runs on one thread.
  private String request(int owner, int key, boolean exclusive) {
    LockManager.Request p = pending[owner];
    if (p != null && !p.future().isDone()) return "blocked";
    if (p != null && p.future().isCompletedExceptionally()) return "victim: must withdraw first";
    LockManager.Request r = lm.request(party(owner), "k" + key, exclusive ? Access.EXCLUSIVE : Access.SHARED);
    pending[owner] = r;
    return status(r);
  }

  private String withdraw(int owner) {
    LockManager.Request p = pending[owner];
    if (p == null) return "none";
    String s = status(p);
    lm.cancel(p); // releases the grant once if it was granted
    pending[owner] = null;
    return s;
  }

  private String end(int owner) {
    if (pending[owner] != null && !pending[owner].future().isDone()) return "blocked";
    lm.releaseAll(party(owner));
    return "ended";
  }

  private static String status(LockManager.Request r) {
    if (!r.future().isDone()) return "queued";
    return r.future().isCompletedExceptionally() ? "victim" : "granted";
  }

  private static Party party(int owner) {
    return Party.call(owner, "");
  }

  @Operation(nonParallelGroup = "c0")
  public String request0(@Param(name = "key") int key, @Param(name = "exclusive") boolean exclusive) {
    return request(0, key, exclusive);
  }

  @Operation(nonParallelGroup = "c0")
  public String withdraw0() {
    return withdraw(0);
  }

  @Operation(nonParallelGroup = "c0")
  public String end0() {
    return end(0);
  }

  @Operation(nonParallelGroup = "c1")
  public String request1(@Param(name = "key") int key, @Param(name = "exclusive") boolean exclusive) {
    return request(1, key, exclusive);
  }

  @Operation(nonParallelGroup = "c1")
  public String withdraw1() {
    return withdraw(1);
  }

  @Operation(nonParallelGroup = "c1")
  public String end1() {
    return end(1);
  }

  @Operation(nonParallelGroup = "c2")
  public String request2(@Param(name = "key") int key, @Param(name = "exclusive") boolean exclusive) {
    return request(2, key, exclusive);
  }

  @Operation(nonParallelGroup = "c2")
  public String withdraw2() {
    return withdraw(2);
  }

  @Operation(nonParallelGroup = "c2")
  public String end2() {
    return end(2);
  }

  @Operation
  public String holders(@Param(name = "key") int key) {
    return String.join(",", lm.holders("k" + key));
  }

  /**
   * Default suite: 3 threads x 2 operations, 8 scenarios x 100 interleavings (Lincheck 3 explores every
   * switch point of the lock manager and graph, so 30 x 500 x 3 ops took ~8 minutes on 2 cores).
   */
  @Test
  void modelChecking() {
    LinChecker.check(LockManagerLincheckTest.class,
        new ModelCheckingOptions().iterations(8).invocationsPerIteration(100).threads(3).actorsPerThread(2));
  }

  /** The wide search, for {@code -Pslow}. */
  @Test
  @Tag("slow")
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void modelCheckingLong() {
    LinChecker.check(LockManagerLincheckTest.class,
        new ModelCheckingOptions().iterations(30).invocationsPerIteration(500).threads(3).actorsPerThread(3));
  }

  @Test
  void stress() {
    LinChecker.check(LockManagerLincheckTest.class,
        new StressOptions().iterations(15).invocationsPerIteration(500).threads(3).actorsPerThread(3));
  }
}
