package dev.baton.tools;

import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.GraphSnapshot;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.AskRouter;
import dev.baton.spi.tool.ToolRuntime;
import dev.baton.spi.tool.ToolSpec;
import dev.baton.spi.tool.Tools;
import dev.baton.tools.internal.ToolsAssembly;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The tool runtime: hand it to {@code Baton.builder().tools(...)}.
 *
 * <pre>{@code
 * BatonTools tools = BatonTools.builder().config(config).scheduler(scheduler)
 *     .idempotencyRecords(store.idempotency()).tool(new MyTool()).build();
 * }</pre>
 *
 * <p><b>Concurrency.</b> Thread-safe. {@link #bind} is cheap and may be called by many turns at once; each
 * returned {@link Tools} serves one turn (and that turn's parallel calls). Close it to stop the deadlock
 * sweep (if the runtime created its own graph).
 */
public final class BatonTools implements ToolRuntime, AutoCloseable {
  private final ToolsAssembly parts;

  private BatonTools(ToolsAssembly parts) {
    this.parts = parts;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Tools bind(TurnContext context, SessionState state) {
    return parts.bind(context, state);
  }

  /** Every registered tool's name, description and input schema. */
  public List<ToolSpec> specs() {
    return parts.specs();
  }

  /**
   * The wait-for graph this runtime feeds (the engine feeds the same one with slot, permit and ask waits):
   * the one given to {@link Builder#waitForGraph}, or the runtime's own.
   */
  public WaitGraph waitForGraph() {
    return parts.graph();
  }

  /** The graph now and the recent deadlocks (admin API, dashboard). */
  public GraphSnapshot snapshot() {
    return parts.graph().snapshot();
  }

  public List<DeadlockReport> recentDeadlocks() {
    return parts.graph().recentDeadlocks();
  }

  /** The assembled internals (tests and benchmarks of this module). */
  ToolsAssembly internals() {
    return parts;
  }

  @Override
  public void close() {
    parts.close();
  }

  /** Builds a {@link BatonTools}. Not thread-safe; use once. */
  public static final class Builder {
    private BatonConfig config = BatonConfig.defaults();
    private Scheduler scheduler = Scheduler.system();
    private MeterRegistry meters = new SimpleMeterRegistry();
    private Optional<IdempotencyRecords> records = Optional.empty();
    private Optional<WaitGraph> graph = Optional.empty();
    private AskRouter askRouter = AskRouter.none();
    private final List<Tool> tools = new ArrayList<>();
    private boolean builtIns = true;
    private Optional<ClusterLocks> clusterLocks = Optional.empty();
    private Optional<dev.baton.spi.TimelineObserver> observer = Optional.empty();

    private Builder() {}

    /** Reads {@code agent.tool_call_timeout_ms}, {@code agent.deadlock_detection.*} and {@code tools.*}. */
    public Builder config(BatonConfig c) {
      this.config = Objects.requireNonNull(c);
      return this;
    }

    public Builder scheduler(Scheduler s) {
      this.scheduler = Objects.requireNonNull(s);
      return this;
    }

    public Builder meterRegistry(MeterRegistry m) {
      this.meters = Objects.requireNonNull(m);
      return this;
    }

    /** Where results are kept for idempotency (the store's); in memory when not given. */
    public Builder idempotencyRecords(IdempotencyRecords r) {
      this.records = Optional.of(r);
      return this;
    }

    /**
     * A graph shared with the engine ({@link WaitGraph#create}; its creator starts and closes it); when not
     * given the runtime creates and starts its own, and {@link BatonTools#close} stops it.
     */
    public Builder waitForGraph(WaitGraph g) {
      this.graph = Optional.of(Objects.requireNonNull(g));
      return this;
    }

    /** How {@code ask} reaches other sessions (the engine); without it {@code ask} fails with unknown_peer. */
    public Builder askRouter(AskRouter r) {
      this.askRouter = Objects.requireNonNull(r);
      return this;
    }

    /**
     * Locks that hold across the nodes of a cluster ({@code Store.clusterLocks()} of a shared store, when
     * {@code cluster.enabled}). Each call takes them after its local locks, for the same resources in the same
     * order and by the same deadline, and releases them before its local locks. A call that cannot take them
     * in time fails with {@code timeout}, like a local lock wait. Without them (the default) locks hold within
     * this process only, at no extra cost.
     */
    public Builder clusterLocks(ClusterLocks l) {
      this.clusterLocks = Optional.of(l);
      return this;
    }

    /**
     * Tells {@code o} of every tool call as it starts and ends and of every lock wait that queues (the console's
     * timeline, docs/console.md). None by default: then a call pays one null check for it.
     */
    public Builder observer(dev.baton.spi.TimelineObserver o) {
      this.observer = Optional.of(o);
      return this;
    }

    public Builder tool(Tool t) {
      tools.add(Objects.requireNonNull(t));
      return this;
    }

    /** Whether the built-in tools (workspace.*, kv.*, shared.*, ask) are registered (default true). */
    public Builder builtIns(boolean on) {
      this.builtIns = on;
      return this;
    }

    /** @throws IllegalArgumentException if two tools share a name or a name or schema is invalid */
    public BatonTools build() {
      ToolsAssembly parts = new ToolsAssembly(config, scheduler, meters, records, graph, askRouter, tools, builtIns,
          clusterLocks);
      observer.ifPresent(parts::observer);
      return new BatonTools(parts);
    }
  }
}
