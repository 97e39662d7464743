package dev.baton.bench.engine;

import java.util.concurrent.TimeUnit;
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
 * End-to-end throughput: messages submitted round-robin over {@code sessions} sessions until the no-op agent has
 * run a turn for each. One operation = one message. Compare with {@link PekkoThroughputBench} in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
public class EngineThroughputBench {

  static final int BATCH = 20_000;

  @Param("10000")
  int sessions;

  EngineHarness harness;
  long submitted;
  int cursor;

  @Setup(Level.Trial)
  public void setUp() {
    harness = new EngineHarness(sessions, null);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    harness.close();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void messages() {
    for (int i = 0; i < BATCH; i++) {
      harness.submit(cursor);
      if (++cursor == sessions) cursor = 0;
    }
    submitted += BATCH;
    harness.awaitProcessed(submitted);
  }
}
