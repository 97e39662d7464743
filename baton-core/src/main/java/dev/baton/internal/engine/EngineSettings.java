package dev.baton.internal.engine;

import dev.baton.Agent;
import dev.baton.config.BatonConfig;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.tool.ToolRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code Baton.Builder} hands the engine: an immutable snapshot of its settings (the builder has no
 * getters). Not an API: public only because the builder lives in {@code dev.baton}.
 *
 * @param agent empty: the one named by {@code agent.type}
 * @param store empty: the one named by {@code storage.backend} (then the engine closes it)
 * @param replies empty: nobody delivers; the engine marks each reply delivered itself
 * @param asks the ask channel the tool runtime's {@code ask} uses, if any
 */
public record EngineSettings(BatonConfig config, Optional<Agent> agent, Optional<Store> store, Scheduler scheduler,
    MeterRegistry meters, Optional<ReplyHandler> replies, ToolRuntime tools, Optional<EngineAskRouter.Wiring> asks) {

  public EngineSettings {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(scheduler, "scheduler");
    Objects.requireNonNull(meters, "meters");
    Objects.requireNonNull(replies, "replies");
    Objects.requireNonNull(tools, "tools");
    Objects.requireNonNull(asks, "asks");
  }
}
