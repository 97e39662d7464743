package dev.baton.bench.flow;

import dev.baton.internal.flow.UserRateLimiter;
import dev.baton.spi.Scheduler;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * What agent.rate_limits.per_user costs each fresh message (Engine.submit asks it once, after the dedup
 * insert): one UserRateLimiter.tryAcquire with the real clock's nanoTime.
 *
 * <ul>
 *   <li>{@code knownUser}: 1,000 users who keep sending (a map hit and one CAS), one thread and four;
 *   <li>{@code oneHotUser}: four threads on one user's bucket (the CAS contended; most takes refused);
 *   <li>{@code freshUserSpray}: a new user id every call (insert, and a generation rotation every 50,000 ids
 *       at max_tracked_users 100,000): the attacker's case;
 *   <li>{@code clockOnly}: the clock read alone, to subtract.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RateLimiterBench {

  static final int USERS = 1_000;
  final Scheduler clock = Scheduler.system();
  /** Generous enough that a known user is always admitted: the cost measured is the admitting path. */
  UserRateLimiter<String> open;
  /** 60 per minute, burst 10: a hot user is refused almost always. */
  UserRateLimiter<String> tight;
  UserRateLimiter<String> spray;
  String[] users;
  final AtomicInteger threadIds = new AtomicInteger();

  @Setup(Level.Trial)
  public void setUp() {
    open = new UserRateLimiter<>(1_000_000_000, 1_000_000_000, 100_000, clock.nanoTime());
    tight = new UserRateLimiter<>(60, 10, 100_000, clock.nanoTime());
    spray = new UserRateLimiter<>(60, 10, 100_000, clock.nanoTime());
    users = new String[USERS * 4];
    for (int i = 0; i < users.length; i++) users[i] = "user-" + i;
  }

  @State(Scope.Thread)
  public static class Caller {
    int offset;
    int i;
    long fresh;

    @Setup(Level.Trial)
    public void setUp(RateLimiterBench b) {
      offset = (b.threadIds.getAndIncrement() & 3) * USERS;
      fresh = (long) offset << 40;
    }
  }

  @Benchmark
  public long clockOnly() {
    return clock.nanoTime();
  }

  @Benchmark
  public boolean knownUser(Caller c) {
    return open.tryAcquire(users[c.offset + (c.i++ % USERS)], clock.nanoTime());
  }

  @Benchmark
  @Threads(4)
  public boolean knownUser4Threads(Caller c) {
    return open.tryAcquire(users[c.offset + (c.i++ % USERS)], clock.nanoTime());
  }

  @Benchmark
  @Threads(4)
  public boolean oneHotUser4Threads() {
    return tight.tryAcquire("hot", clock.nanoTime());
  }

  @Benchmark
  public boolean freshUserSpray(Caller c) {
    return spray.tryAcquire("sprayer-" + c.fresh++, clock.nanoTime());
  }
}
