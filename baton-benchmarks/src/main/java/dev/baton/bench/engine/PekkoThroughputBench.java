package dev.baton.bench.engine;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The same workload as {@link EngineThroughputBench} on Apache Pekko typed actors: one actor per session (so turns
 * of a session are serial, as in Baton), a concurrent set in front for dedup (so P2 is paid for too). No ordering,
 * no global cap, no queue timeout: Pekko gives those to nobody for free, so this baseline is generous to Pekko.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class PekkoThroughputBench {

  @Param("10000")
  int sessions;

  record Msg(String id, String text) {}

  final AtomicLong processed = new AtomicLong();
  final ConcurrentHashMap.KeySetView<String, Boolean> seen = ConcurrentHashMap.newKeySet();
  ActorSystem<Void> system;
  ActorRef<Msg>[] actors;
  long submitted;
  long nextId;
  int cursor;

  Behavior<Msg> session() {
    return Behaviors.receive(Msg.class).onMessage(Msg.class, m -> {
      processed.incrementAndGet();
      return Behaviors.same();
    }).build();
  }

  @Setup(Level.Trial)
  @SuppressWarnings("unchecked")
  public void setUp() throws Exception {
    actors = new ActorRef[sessions];
    java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
    system = ActorSystem.create(Behaviors.setup(ctx -> {
      for (int i = 0; i < sessions; i++) actors[i] = ctx.spawn(session(), "session-" + i);
      ready.countDown();
      return Behaviors.empty();
    }), "bench");
    ready.await();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Benchmark
  @OperationsPerInvocation(EngineThroughputBench.BATCH)
  public void messages() {
    for (int i = 0; i < EngineThroughputBench.BATCH; i++) {
      String id = Long.toString(nextId++);
      if (seen.add(id)) actors[cursor].tell(new Msg(id, "hi"));
      if (++cursor == sessions) cursor = 0;
      if (seen.size() > 1_000_000) seen.clear(); // bounded, like Baton's dedup window
    }
    submitted += EngineThroughputBench.BATCH;
    while (processed.get() < submitted) LockSupport.parkNanos(10_000);
  }
}
