package dev.baton.spring.boot;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Actuator health of Baton: {@code UP} while the store answers a ping and Baton is not draining; {@code DOWN}
 * with {@code store: unreachable} or {@code draining: true} otherwise (so a load balancer stops sending while
 * running turns finish).
 *
 * <p><b>Concurrency.</b> Thread-safe; called on Actuator's threads.
 */
public final class BatonHealthIndicator implements HealthIndicator {

  private final BatonRuntime runtime;

  public BatonHealthIndicator(BatonRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  public Health health() {
    boolean draining = runtime.draining();
    boolean store;
    try {
      store = runtime.store().ping();
    } catch (RuntimeException e) {
      store = false;
    }
    Health.Builder b = store && !draining ? Health.up() : Health.down();
    return b.withDetail("store", store ? "reachable" : "unreachable").withDetail("draining", draining).build();
  }
}
