package dev.baton.spi;

import dev.baton.deadlock.WaitGraph;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.Optional;

/**
 * What the engine hands an {@link AgentProvider} beside the configuration: its clock, its meters, the
 * process's wait-for graph when there is one, and the store's cluster-wide provider quota when this node is one
 * of a cluster on a store that offers it.
 */
public record AgentEnvironment(Scheduler scheduler, MeterRegistry meters, Optional<WaitGraph> waitGraph,
    Optional<ProviderQuota> providerQuota) {

  public AgentEnvironment {
    Objects.requireNonNull(scheduler, "scheduler");
    Objects.requireNonNull(meters, "meters");
    Objects.requireNonNull(waitGraph, "waitGraph");
    Objects.requireNonNull(providerQuota, "providerQuota");
  }

  /** The real clock, meters that go nowhere, no graph, no cluster share. */
  public static AgentEnvironment standalone() {
    return new AgentEnvironment(Scheduler.system(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
        Optional.empty(), Optional.empty());
  }
}
