package dev.baton.spring.boot;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * Actuator endpoint {@code baton} ({@code /actuator/baton}, expose it with
 * {@code management.endpoints.web.exposure.include: health,baton}): the admin views of the gateway's
 * {@code /v1/admin} — {@code engine} (sessions, queues, running turns), {@code store} (store statistics),
 * {@code wait-for-graph}, {@code deadlocks} — and {@code draining}; {@code /actuator/baton/{view}} gives one.
 * Read-only; message texts are not part of any view. Secure it as the application secures Actuator.
 */
@Endpoint(id = "baton")
public final class BatonEndpoint {

  private final BatonRuntime runtime;

  public BatonEndpoint(BatonRuntime runtime) {
    this.runtime = runtime;
  }

  @ReadOperation
  public Map<String, Object> views() {
    return BatonAutoConfiguration.views(runtime);
  }

  @ReadOperation
  public @Nullable Object view(@Selector String name) {
    return BatonAutoConfiguration.views(runtime).get(name);
  }
}
