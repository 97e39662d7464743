package dev.baton.bench.flow;

import dev.baton.config.ProviderLimitsConfig;
import dev.baton.flow.ProviderLimitException;
import dev.baton.flow.ProviderLimiter;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * What the provider limiter costs a model call when it does not make it wait: {@code acquire} (and, with a
 * token limit, {@code Permit.used}) on one thread and on 4 threads.
 *
 * <ul>
 *   <li>{@code off*}: no limit configured (the default): the shared-pause check only.
 *   <li>{@code requests*}: {@code requests_per_minute} on: one reservation in the sliding window under the lock.
 *   <li>{@code requestsAndTokens}: both windows, and the usage correction after the call.
 * </ul>
 *
 * The limits are far above what the benchmark can reach, so nobody waits. The clock is the real one run 1,000
 * times faster (System.nanoTime() × 1000, no shared state): the window then holds the starts of the last 60 ms
 * of real time, which bounds its memory, as a real limit's window is bounded by the limit itself.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProviderLimiterBench {

  static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");

  ProviderLimiter off;
  ProviderLimiter requests;
  ProviderLimiter both;

  /** Real time, 1,000 times faster; timers are never needed (nobody waits). */
  static final class FastClock implements Scheduler {
    private final long origin = System.nanoTime();
    private final Instant epoch = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public long nanoTime() {
      return (System.nanoTime() - origin) * 1000;
    }

    @Override
    public Instant now() {
      return epoch.plusNanos(nanoTime());
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      throw new IllegalStateException("the benchmark's limits are never reached");
    }
  }

  @Setup
  public void setUp() {
    FastClock clock = new FastClock();
    off = ProviderLimiter.create("off", ProviderLimitsConfig.defaults(), clock, new SimpleMeterRegistry(),
        Optional.empty(), Optional.empty());
    requests = ProviderLimiter.create("requests", new ProviderLimitsConfig(1_000_000_000, 0), clock,
        new SimpleMeterRegistry(), Optional.empty(), Optional.empty());
    both = ProviderLimiter.create("both", new ProviderLimitsConfig(1_000_000_000, Long.MAX_VALUE / 4), clock,
        new SimpleMeterRegistry(), Optional.empty(), Optional.empty());
  }

  @Benchmark
  public Object offUncontended() throws InterruptedException, ProviderLimitException {
    return off.acquire(100, FAR);
  }

  @Benchmark
  @Threads(4)
  public Object off4Threads() throws InterruptedException, ProviderLimitException {
    return off.acquire(100, FAR);
  }

  @Benchmark
  public Object requestsUncontended() throws InterruptedException, ProviderLimitException {
    return requests.acquire(100, FAR);
  }

  @Benchmark
  @Threads(4)
  public Object requests4Threads() throws InterruptedException, ProviderLimitException {
    return requests.acquire(100, FAR);
  }

  @Benchmark
  public void requestsAndTokensUncontended() throws InterruptedException, ProviderLimitException {
    both.acquire(100, FAR).used(120);
  }

  @Benchmark
  @Threads(4)
  public void requestsAndTokens4Threads() throws InterruptedException, ProviderLimitException {
    both.acquire(100, FAR).used(120);
  }
}
