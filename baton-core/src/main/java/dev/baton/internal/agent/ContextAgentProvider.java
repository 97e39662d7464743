package dev.baton.internal.agent;

import dev.baton.Agent;
import dev.baton.config.BatonConfig;
import dev.baton.spi.AgentProvider;

/** {@code agent.type: context}. */
public final class ContextAgentProvider implements AgentProvider {

  @Override
  public String type() {
    return "context";
  }

  @Override
  public Agent create(BatonConfig config) {
    return new ContextAgent();
  }
}
