package dev.baton.cli.probe;

import dev.baton.Agent;
import dev.baton.config.BatonConfig;
import dev.baton.spi.AgentProvider;
import java.util.ServiceLoader;
import java.util.concurrent.locks.LockSupport;

/**
 * Test agents {@code slow-echo} and {@code slow-context}: the built-in agent of that name, each turn taking 20 ms
 * of simulated work first (a model's latency), so that a burst of one user's messages overflows a small queue.
 */
public abstract class SlowAgentProvider implements AgentProvider {

  static final long WORK_NANOS = 20_000_000L;

  private final String base;

  SlowAgentProvider(String base) {
    this.base = base;
  }

  @Override
  public String type() {
    return "slow-" + base;
  }

  @Override
  public Agent create(BatonConfig config) {
    for (AgentProvider p : ServiceLoader.load(AgentProvider.class)) {
      if (p.type().equals(base)) {
        Agent inner = p.create(config);
        return turn -> {
          LockSupport.parkNanos(WORK_NANOS); // the work of the turn, not a wait for anything
          inner.onTurn(turn);
        };
      }
    }
    throw new IllegalStateException("no agent " + base);
  }

  /** {@code slow-echo}. */
  public static final class Echo extends SlowAgentProvider {
    public Echo() {
      super("echo");
    }
  }

  /** {@code slow-context}. */
  public static final class Context extends SlowAgentProvider {
    public Context() {
      super("context");
    }
  }
}
