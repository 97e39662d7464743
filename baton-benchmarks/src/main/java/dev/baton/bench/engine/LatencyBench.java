package dev.baton.bench.engine;

import dev.baton.Turn;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The latency Baton adds to one message — from {@code submit} to the agent starting its turn — while a background
 * thread keeps the engine at {@code rate} messages/s over {@code sessions} sessions (set it to half of the
 * throughput {@link EngineThroughputBench} measured). JMH's sample mode gives p50/p99.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
public class LatencyBench {

  @Param("10000")
  int sessions;

  /** Background load in messages per second. */
  @Param("250000")
  int rate;

  final AtomicLong probesSeen = new AtomicLong();
  EngineHarness harness;
  Thread load;
  volatile boolean running;
  long probes;

  @Setup(Level.Trial)
  public void setUp() {
    harness = new EngineHarness(sessions, (Turn turn) -> {
      if (turn.context().user().equals("probe")) probesSeen.incrementAndGet();
    });
    running = true;
    load = Thread.ofPlatform().name("load").daemon().start(this::load);
  }

  private void load() {
    long start = System.nanoTime();
    long sent = 0;
    int cursor = 0;
    while (running) {
      long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
      while (sent < due && running) {
        harness.submit(cursor);
        if (++cursor == sessions) cursor = 0;
        sent++;
      }
      LockSupport.parkNanos(50_000);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    running = false;
    load.join();
    harness.close();
  }

  @Benchmark
  public void submitToTurnStart() {
    long target = ++probes;
    harness.submit("probe");
    while (probesSeen.get() < target) Thread.onSpinWait();
  }
}
