package dev.baton;

import dev.baton.config.BatonConfig;
import dev.baton.deadlock.WaitGraph;
import dev.baton.internal.engine.Engine;
import dev.baton.internal.engine.EngineAskRouter;
import dev.baton.internal.engine.EngineSettings;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.tool.ToolRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The Baton engine: takes verified inbound messages, admits each at most once, orders them per session, runs
 * turns of the agent under the configured limits, and hands replies to the {@link ReplyHandler}.
 *
 * <pre>{@code
 * try (Baton baton = Baton.builder().agent(myAgent).replies(reply -> send(reply)).build()) {
 *   Admission a = baton.submit(InboundMessage.of("api", "m-1", "alice", "hello", Instant.now()));
 * }
 * }</pre>
 *
 * <p><b>Concurrency.</b> {@link #submit} is thread-safe and may be called from any number of threads; it
 * returns once the message is journaled (durably, with a durable store) and never waits for the turn. Of
 * concurrent submissions of one dedup key exactly one is {@link Admission.Accepted}.
 */
public interface Baton extends AutoCloseable {

  static Builder builder() {
    return new Builder();
  }

  /** Admits one delivery of a message (dedup + journal in one step), then queues it for its session. */
  Admission submit(InboundMessage message);

  /**
   * Cancels the running turn of {@code session} (P10): its thread is interrupted (provider stream and tool calls
   * included), its tool locks are released, its stream ends with a {@code cancelled} status, and its messages
   * are completed with one reply of kind {@link Reply.Kind#CANCELLED}. Tool calls it completed stay journaled
   * (P6); its staged state and transcript changes are dropped (a turn happened or it did not). With
   * {@code dropQueued} the session's queued messages are completed too, without a turn and without a reply.
   * Thread-safe, non-blocking: the turn ends on its own thread once its blocking call answers the interrupt.
   *
   * @return what was cancelled (nothing for a session without a running turn or queued message)
   */
  Cancelled cancel(SessionKey session, boolean dropQueued);

  /**
   * The outcome of {@link #cancel}.
   *
   * @param turns running turns cancelled (0 or 1 unless {@code max_concurrent_per_session > 1})
   * @param dropped queued messages completed without a turn
   */
  record Cancelled(int turns, int dropped) {
    public boolean any() {
      return turns > 0 || dropped > 0;
    }
  }

  /** A point-in-time view of sessions, queues and running turns (for the admin API). */
  EngineSnapshot snapshot();

  /** The configuration this engine runs with. */
  BatonConfig config();

  /**
   * Stops intake, lets running turns finish until {@code drainDeadline}, then cancels the rest; queued
   * messages stay journaled and run after a restart.
   *
   * @return whether every running turn finished before the deadline
   */
  boolean shutdown(Duration drainDeadline) throws InterruptedException;

  /** {@link #shutdown} with a 10 s drain. */
  @Override
  void close();

  /**
   * Builds a {@link Baton}. Not thread-safe. {@link #build} hands the engine an immutable copy of the
   * settings, so a builder may be changed and built again.
   */
  final class Builder {
    private BatonConfig config = BatonConfig.defaults();
    private Optional<Agent> agent = Optional.empty();
    private Optional<Store> store = Optional.empty();
    private Scheduler scheduler = Scheduler.system();
    private MeterRegistry meters = new SimpleMeterRegistry();
    private Optional<ReplyHandler> replies = Optional.empty();
    private ToolRuntime tools = ToolRuntime.none();
    private Optional<EngineAskRouter.Wiring> asks = Optional.empty();
    private io.opentelemetry.api.OpenTelemetry telemetry = io.opentelemetry.api.OpenTelemetry.noop();
    private dev.baton.spi.@org.jspecify.annotations.Nullable TimelineObserver observer;

    Builder() {}

    public Builder config(BatonConfig c) {
      this.config = Objects.requireNonNull(c);
      return this;
    }

    /** The agent; when not given, the one named by {@code agent.type} (default {@code echo}). */
    public Builder agent(Agent a) {
      this.agent = Optional.of(a);
      return this;
    }

    /** The store; when not given, the one named by {@code storage.backend}. */
    public Builder store(Store s) {
      this.store = Optional.of(s);
      return this;
    }

    public Builder scheduler(Scheduler s) {
      this.scheduler = Objects.requireNonNull(s);
      return this;
    }

    public Builder meterRegistry(MeterRegistry r) {
      this.meters = Objects.requireNonNull(r);
      return this;
    }

    /**
     * The handler committed replies go to. It delivers them and marks each {@linkplain Store#markDelivered
     * delivered} itself (or through what it hands them to); the engine never marks a reply it handed to a
     * handler, so one that neither delivers nor marks leaves its replies in the outbox to be offered again
     * after a restart. That holds for any handler, also one that wraps or decorates another.
     */
    public Builder replies(ReplyHandler h) {
      this.replies = Optional.of(Objects.requireNonNull(h));
      return this;
    }

    /**
     * Nobody delivers replies (the default): the engine marks each committed reply delivered as soon as it
     * is committed, so the store's outbox does not grow. Undoes {@link #replies}.
     */
    public Builder discardReplies() {
      this.replies = Optional.empty();
      return this;
    }

    /**
     * Traces the message path with {@code otel} (docs/tracing.md): journal insert, queue wait, turn, and, through
     * the turn's context, the agent's model calls, the tool calls and the reply deliveries. The default,
     * {@link io.opentelemetry.api.OpenTelemetry#noop()}, traces nothing; {@code GlobalOpenTelemetry} is never read.
     */
    public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry otel) {
      this.telemetry = Objects.requireNonNull(otel);
      return this;
    }

    /**
     * Tells {@code o} of every turn as it starts and ends (the console's timeline, docs/console.md). None by
     * default: then a turn pays one null check for it.
     */
    public Builder observer(dev.baton.spi.TimelineObserver o) {
      this.observer = Objects.requireNonNull(o);
      return this;
    }

    public Builder tools(ToolRuntime t) {
      this.tools = Objects.requireNonNull(t);
      return this;
    }

    /**
     * The ask channel: questions that the tool runtime's {@code ask} sends through {@code routing} run as
     * messages of this engine's sessions, and their edges go to {@code graph} (the graph the tool runtime
     * feeds, {@code BatonTools.waitForGraph()}), so an ask cycle is a cycle of that graph (P8). One routing
     * serves one engine.
     */
    public Builder asks(AskRouting routing, WaitGraph graph) {
      this.asks = Optional.of(new EngineAskRouter.Wiring(routing.router(), graph));
      return this;
    }

    /**
     * Builds and starts the engine (recovering unfinished messages from the store).
     *
     * @throws IllegalStateException if the agent type or storage backend is unknown, or the ask routing is
     *     bound to another engine already
     */
    public Baton build() {
      return Engine.start(new EngineSettings(config, agent, store, scheduler, meters, replies, tools, asks), telemetry,
          observer);
    }
  }
}
