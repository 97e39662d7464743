package dev.baton.tools;

import static org.assertj.core.api.Assertions.assertThat;
import dev.baton.testing.MapSessionState;

import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.AgentConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.testing.ManualScheduler;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import dev.baton.testing.TestThreads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/** Shared test setup: a runtime on a ManualScheduler and a temp folder, turns, threads that must not fail. */
final class Fixture implements AutoCloseable {
  static final long CALL_TIMEOUT_MS = 30_000;
  static final long CHECK_MS = 5_000;
  static final Duration REAL_TIME_LIMIT = Duration.ofSeconds(20);

  final ManualScheduler clock = new ManualScheduler();
  final BatonTools tools;
  final Path root;
  final TestThreads threads = new TestThreads();
  private final AtomicLong turnSeq = new AtomicLong(100);

  Fixture(Path root, BatonTools.Builder b) {
    this(root, b, DeadlockDetectionConfig.OnDeadlock.KILL_OLDEST_WAITER);
  }

  Fixture(Path root, BatonTools.Builder b, DeadlockDetectionConfig.OnDeadlock policy) {
    this(root, clock -> b, policy);
  }

  /** {@code b} gets the fixture's clock, to build a graph or router on the same time. */
  Fixture(Path root, java.util.function.Function<ManualScheduler, BatonTools.Builder> builder,
      DeadlockDetectionConfig.OnDeadlock policy) {
    this(root, builder, policy, java.util.Map.of());
  }

  /** With {@code tools.limits}. */
  Fixture(Path root, BatonTools.Builder b, java.util.Map<String, ToolsConfig.ToolLimit> limits) {
    this(root, clock -> b, DeadlockDetectionConfig.OnDeadlock.KILL_OLDEST_WAITER, limits);
  }

  Fixture(Path root, java.util.function.Function<ManualScheduler, BatonTools.Builder> builder,
      DeadlockDetectionConfig.OnDeadlock policy, java.util.Map<String, ToolsConfig.ToolLimit> limits) {
    this.root = root;
    BatonTools.Builder b = builder.apply(clock);
    BatonConfig c = BatonConfig.defaults();
    AgentConfig a = c.agent();
    c = c.withAgent(new AgentConfig(a.type(), a.turnTimeoutMs(), a.concurrency(), CALL_TIMEOUT_MS,
        new DeadlockDetectionConfig(true, CHECK_MS, policy), a.openai()));
    c = c.withTools(new ToolsConfig(root.toString(), 3_600_000).withLimits(limits));
    this.tools = b.config(c).scheduler(clock).build();
  }

  TurnContext turn(String session) {
    return turn(session, Duration.ofHours(1));
  }

  TurnContext turn(String session, Duration left) {
    return new TurnContext((session.indexOf(':') > 0 ? SessionKey.parse(session) : SessionKey.user("api", session)), session, List.of("m"), "trace", turnSeq.incrementAndGet(),
        clock.now().plus(left));
  }

  Tools bind(String session) {
    return tools.bind(turn(session), new MapSessionState());
  }

  static ToolCall call(String tool, String json) {
    return ToolCall.of(tool, json);
  }

  static ToolCall keyed(String tool, String json, String key) {
    return new ToolCall(tool, json, Optional.of(key));
  }

  static String code(ToolResult r) {
    return r instanceof ToolResult.Failed f ? f.code() : "ok";
  }

  static String json(ToolResult r) {
    assertThat(r).isInstanceOf(ToolResult.Ok.class);
    return ((ToolResult.Ok) r).json();
  }

  /** Starts a virtual thread whose failure fails the test (checked in {@link #close}). */
  Thread spawn(String name, TestThreads.Body r) {
    return threads.spawn(name, r);
  }

  /** Waits (in real time, bounded) for a condition other threads make true; no sleeping. */
  void until(String what, BooleanSupplier cond) {
    long end = System.nanoTime() + REAL_TIME_LIMIT.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("timed out waiting for: " + what);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  long waits(String kind) {
    return tools.snapshot().waits().stream().filter(w -> w.waitsFor().startsWith(kind)).count();
  }

  @Override
  public void close() throws InterruptedException {
    try {
      threads.joinAll(REAL_TIME_LIMIT);
    } finally {
      tools.close();
    }
  }

}
