package dev.baton.spi;

import dev.baton.Agent;
import dev.baton.config.BatonConfig;

/**
 * Makes the agent named by {@code agent.type}. Found with {@link java.util.ServiceLoader}; {@code echo} is built
 * in, {@code openai} comes with {@code baton-agents}.
 */
public interface AgentProvider {

  /** The {@code agent.type} this provider answers to. */
  String type();

  Agent create(BatonConfig config);

  /**
   * Makes the agent with the engine's clock, meters, wait-for graph and cluster services (what a provider
   * rate limiter needs to be shared by every session and node). The default ignores {@code env}.
   */
  default Agent create(BatonConfig config, AgentEnvironment env) {
    return create(config);
  }
}
