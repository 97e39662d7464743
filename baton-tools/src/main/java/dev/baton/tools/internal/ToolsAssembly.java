package dev.baton.tools.internal;

import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.AskRouter;
import dev.baton.spi.tool.ToolSpec;
import dev.baton.spi.tool.Tools;
import dev.baton.tools.Tool;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/*
 * Overview. The tool runtime's parts, wired once, behind dev.baton.tools.BatonTools: the wait-for graph (the
 * one given, shared with the engine, or one of its own), the lock manager, the call runner and the registry
 * of built-in and custom tools. It owns the graph only if it created it: then it starts the graph's sweep
 * and closes it.
 *
 * Concurrency. Immutable once built; thread-safe.
 */
public final class ToolsAssembly implements AutoCloseable {
  private final CallRunner runner;
  private final WaitGraph graph;
  /** The graph this assembly created (and so starts and closes), or null when it was given one. */
  private final WaitGraph.@Nullable Owned ownGraph;

  /**
   * @param sharedGraph the engine's graph; when empty the assembly creates, starts and (on close) stops its own
   * @param clusterLocks cross-node locks taken after each call's local locks (cluster mode)
   */
  public ToolsAssembly(BatonConfig config, Scheduler scheduler, MeterRegistry meters,
      Optional<IdempotencyRecords> records, Optional<WaitGraph> sharedGraph, AskRouter askRouter,
      List<Tool> custom, boolean builtIns, Optional<ClusterLocks> clusterLocks) {
    this.ownGraph = sharedGraph.isPresent() ? null
        : WaitGraph.create(config.agent().deadlockDetection(), scheduler, meters);
    this.graph = ownGraph != null ? ownGraph : sharedGraph.orElseThrow();
    LockManager locks = new LockManager(graph, scheduler, meters);
    CallRunner.Settings settings = new CallRunner.Settings(Duration.ofMillis(config.agent().toolCallTimeoutMs()),
        Duration.ofMillis(config.tools().idempotencyRetentionMs()),
        Path.of(config.tools().workspaceRoot()).toAbsolutePath());
    List<Tool> all = new ArrayList<>();
    this.runner = new CallRunner(locks, graph, records.orElseGet(IdempotencyRecords::inMemory), scheduler,
        meters, settings, clusterLocks.orElse(null), new ToolLimits(config.tools().limits(), scheduler, graph, meters));
    if (builtIns) {
      all.addAll(FileTools.all(runner));
      all.addAll(StateTools.all(runner));
      all.addAll(SharedTools.all(runner));
      all.add(new AskTool(askRouter, graph, scheduler));
    }
    all.addAll(custom);
    Registry registry = new Registry(all);
    ToolLimits.check(config.tools().limits(),
        registry.specs().stream().map(dev.baton.spi.tool.ToolSpec::name).collect(java.util.stream.Collectors.toSet()));
    runner.install(registry);
    if (ownGraph != null) ownGraph.start();
  }

  /** Tells {@code o} of each tool call and lock wait (the console's timeline); called before the first call. */
  public void observer(dev.baton.spi.TimelineObserver o) {
    runner.observer(o);
  }

  public Tools bind(TurnContext context, SessionState state) {
    return new SessionTools(runner, context, state);
  }

  public List<ToolSpec> specs() {
    return runner.registry().specs();
  }

  public WaitGraph graph() {
    return graph;
  }

  /** The lock manager (tests, benchmarks). */
  public LockManager locks() {
    return runner.locks();
  }

  @Override
  public void close() {
    if (ownGraph != null) ownGraph.close();
  }
}
