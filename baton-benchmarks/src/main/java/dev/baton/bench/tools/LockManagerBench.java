package dev.baton.bench.tools;

import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.Scheduler;
import dev.baton.tools.Access;
import dev.baton.tools.internal.LockManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The tool runtime's lock manager: one acquire + release with nobody else around, and throughput of
 * exclusive acquire + release by 4 threads on 4 keys (every thread wants a key someone else may hold, so
 * waits go through the queue, the wait-for graph and a timeout timer).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LockManagerBench {
  WaitGraph.Owned graph;
  LockManager lm;
  final AtomicLong owners = new AtomicLong();

  @Setup(Level.Trial)
  public void setUp() {
    graph = WaitGraph.create(DeadlockDetectionConfig.defaults(), Scheduler.system(), new SimpleMeterRegistry());
    lm = new LockManager(graph, Scheduler.system(), new SimpleMeterRegistry());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    graph.close();
  }

  @State(Scope.Thread)
  public static class Caller {
    Party me;
    int i;

    @Setup(Level.Trial)
    public void setUp(LockManagerBench b) {
      me = Party.call(b.owners.incrementAndGet(), "bench");
    }
  }

  @Benchmark
  public void uncontendedAcquireRelease(Caller c) throws Exception {
    lm.acquire(c.me, "tool:uncontended-" + c.me.id(), Access.EXCLUSIVE, Long.MAX_VALUE);
    lm.releaseAll(c.me);
  }

  @Benchmark
  @Threads(4)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void contendedAcquireRelease(Caller c) throws Exception {
    String key = "tool:hot-" + (c.i++ & 3);
    lm.acquire(c.me, key, Access.EXCLUSIVE, Scheduler.system().nanoTime() + 10_000_000_000L);
    lm.releaseAll(c.me);
  }

  @Benchmark
  @Threads(4)
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public void contendedSharedReaders(Caller c) throws Exception {
    lm.acquire(c.me, "tool:read-mostly", Access.SHARED, Scheduler.system().nanoTime() + 10_000_000_000L);
    lm.releaseAll(c.me);
  }
}
