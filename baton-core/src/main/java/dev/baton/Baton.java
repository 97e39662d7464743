package dev.baton;

import dev.baton.config.BatonConfig;
import dev.baton.internal.engine.Engine;
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

  /** Builds a {@link Baton}. Not thread-safe; use once. */
  final class Builder {
    BatonConfig config = BatonConfig.defaults();
    Optional<Agent> agent = Optional.empty();
    Optional<Store> store = Optional.empty();
    Scheduler scheduler = Scheduler.system();
    MeterRegistry meters = new SimpleMeterRegistry();
    ReplyHandler replies = ReplyHandler.discard();
    ToolRuntime tools = ToolRuntime.none();

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

    public Builder replies(ReplyHandler h) {
      this.replies = Objects.requireNonNull(h);
      return this;
    }

    public Builder tools(ToolRuntime t) {
      this.tools = Objects.requireNonNull(t);
      return this;
    }

    public BatonConfig config() { return config; }
    public Optional<Agent> agent() { return agent; }
    public Optional<Store> store() { return store; }
    public Scheduler scheduler() { return scheduler; }
    public MeterRegistry meterRegistry() { return meters; }
    public ReplyHandler replies() { return replies; }
    public ToolRuntime tools() { return tools; }

    /** Builds and starts the engine (recovering unfinished messages from the store). */
    public Baton build() {
      return Engine.start(this);
    }
  }
}
