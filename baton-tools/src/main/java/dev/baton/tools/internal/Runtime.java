package dev.baton.tools.internal;

import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.internal.deadlock.WaitForGraph;
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

/** The assembled runtime behind {@link dev.baton.tools.BatonTools}. Thread-safe once built. */
public final class Runtime implements AutoCloseable {
  private final CallRunner runner;
  private final WaitForGraph graph;
  private final boolean ownsGraph;

  public Runtime(BatonConfig config, Scheduler scheduler, MeterRegistry meters,
      Optional<IdempotencyRecords> records, Optional<WaitForGraph> sharedGraph, AskRouter askRouter,
      List<Tool> custom, boolean builtIns) {
    this(config, scheduler, meters, records, sharedGraph, askRouter, custom, builtIns, Optional.empty());
  }

  /** @param clusterLocks cross-node locks taken after each call's local locks (cluster mode) */
  public Runtime(BatonConfig config, Scheduler scheduler, MeterRegistry meters,
      Optional<IdempotencyRecords> records, Optional<WaitForGraph> sharedGraph, AskRouter askRouter,
      List<Tool> custom, boolean builtIns, Optional<ClusterLocks> clusterLocks) {
    this.ownsGraph = sharedGraph.isEmpty();
    this.graph = sharedGraph.orElseGet(() -> new WaitForGraph(config.agent().deadlockDetection(), scheduler, meters));
    LockManager locks = new LockManager(graph, scheduler, meters);
    CallRunner.Settings settings = new CallRunner.Settings(Duration.ofMillis(config.agent().toolCallTimeoutMs()),
        Duration.ofMillis(config.tools().idempotencyRetentionMs()),
        Path.of(config.tools().workspaceRoot()).toAbsolutePath());
    List<Tool> all = new ArrayList<>();
    this.runner = new CallRunner(locks, graph, records.orElseGet(dev.baton.internal.store.MemoryIdempotency::new), scheduler,
        meters, settings, clusterLocks.orElse(null));
    if (builtIns) {
      all.addAll(FileTools.all(runner));
      all.addAll(StateTools.all(runner));
      all.addAll(SharedTools.all(runner));
      all.add(new AskTool(askRouter, graph, scheduler));
    }
    all.addAll(custom);
    runner.install(new Registry(all));
    if (ownsGraph) graph.start();
  }

  public Tools bind(TurnContext context, SessionState state) {
    return new SessionTools(runner, context, state);
  }

  public List<ToolSpec> specs() {
    return runner.registry().specs();
  }

  public WaitForGraph graph() {
    return graph;
  }

  /** The lock manager (tests, benchmarks). */
  public LockManager locks() {
    return runner.locks();
  }

  @Override
  public void close() {
    if (ownsGraph) graph.close();
  }
}
