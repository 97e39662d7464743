package dev.baton.internal.agent;

import dev.baton.Agent;
import dev.baton.config.BatonConfig;
import dev.baton.spi.AgentProvider;

/** {@code agent.type: echo}. */
public final class EchoAgentProvider implements AgentProvider {

  @Override
  public String type() {
    return "echo";
  }

  @Override
  public Agent create(BatonConfig config) {
    return new EchoAgent();
  }
}
