package dev.baton.agents;

import dev.baton.Agent;
import dev.baton.config.BatonConfig;
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
    return OpenAiAgent.create(config.agent().openai(), Scheduler.system());
  }
}
