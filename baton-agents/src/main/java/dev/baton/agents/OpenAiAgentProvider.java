package dev.baton.agents;

import dev.baton.Agent;
import dev.baton.config.BatonConfig;
import dev.baton.spi.AgentEnvironment;
import dev.baton.spi.AgentProvider;
import dev.baton.spi.Scheduler;

/** {@code agent.type: openai}, found by {@link java.util.ServiceLoader}. */
public final class OpenAiAgentProvider implements AgentProvider {

  @Override
  public String type() {
    return "openai";
  }

  @Override
  public Agent create(BatonConfig config) {
    return create(config, new AgentEnvironment(Scheduler.system(),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), java.util.Optional.empty(),
        java.util.Optional.empty()));
  }

  /** With the engine's clock, meters, wait-for graph and cluster quota: the limiter of agent.rate_limits.provider. */
  @Override
  public Agent create(BatonConfig config, AgentEnvironment env) {
    return OpenAiAgent.create(config.agent().openai(), config.agent().rateLimits().provider(), env);
  }
}
