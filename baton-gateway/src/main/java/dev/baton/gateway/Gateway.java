package dev.baton.gateway;

import dev.baton.Baton;
import dev.baton.config.BatonConfig;
import dev.baton.gateway.internal.GatewayServer;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP gateway: the message API ({@code /v1/messages}, {@code /v1/replies}, {@code /v1/events},
 * {@code /v1/cancel}), the platform webhooks ({@code /webhooks/telegram|slack|discord|whatsapp}), {@code /health},
 * {@code /ready}, {@code /metrics}, the admin API ({@code /v1/admin}) and with it the operator console ({@code /console},
 * {@code docs/console.md}), on Helidon SE's WebServer (one virtual thread per request). See
 * {@code docs/http-api.md} and {@code docs/channels.md}; {@link ReplyRouter} shows how it is wired to the engine.
 *
 * <p><b>Concurrency.</b> {@link #start} and {@link #stop} are called by one owner thread; {@link #port} is
 * thread-safe once started. Requests are served concurrently, each on its own virtual thread.
 *
 * <p><b>Shutdown.</b> {@link #stop} stops intake (new messages get 503, so platforms retry), lets the engine
 * drain running turns and the outbound lanes deliver until the deadline (measured by the injected
 * {@link Scheduler}), wakes every long poll, then closes the listener. What did not finish stays journaled
 * (unfinished messages, undelivered replies) and is taken up after a restart.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final BatonConfig config;
  private final Baton engine;
  private final Scheduler scheduler;
  private final ReplyRouter router;
  private final GatewayServer server;
  private boolean started;
  private boolean stopped;

  private Gateway(Builder b) {
    this.config = b.config;
    this.engine = Objects.requireNonNull(b.engine, "engine");
    Store store = Objects.requireNonNull(b.store, "store");
    this.scheduler = b.scheduler;
    this.router = Objects.requireNonNull(b.router, "replies (the ReplyRouter given to the engine)");
    this.server = GatewayServer.create(config, engine, store, scheduler, b.meters, b.views, router.lanes, b.telemetry);
  }

  public static Builder builder(BatonConfig config) {
    return new Builder(config);
  }

  /** Binds the listener and starts serving. */
  public Gateway start() {
    if (started) throw new IllegalStateException("already started");
    started = true;
    server.start();
    log.info("gateway listening on {}:{}", config.server().host(), server.port());
    return this;
  }

  /** The bound port (useful with {@code server.port: 0}). */
  public int port() {
    return server.port();
  }

  /**
   * Stops intake, drains running turns and reply deliveries until {@code deadline} (by the Scheduler's
   * clock), then closes the listener. Blocks the caller until done.
   *
   * @return whether everything finished before the deadline (otherwise the rest stays journaled)
   */
  public boolean stop(Duration deadline) {
    if (stopped) return true;
    stopped = true;
    long start = scheduler.nanoTime();
    server.stopIntake();
    boolean drained;
    try {
      drained = engine.shutdown(deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    Duration left = deadline.minusNanos(scheduler.nanoTime() - start);
    boolean delivered = router.lanes.awaitIdle(left.isNegative() ? Duration.ZERO : left);
    router.lanes.stop();
    if (started) server.stop();
    log.info("gateway stopped (turns drained: {}, replies delivered: {})", drained, delivered);
    return drained && delivered;
  }

  /** {@link #stop} with {@code server.shutdown_drain_ms}. */
  @Override
  public void close() {
    stop(Duration.ofMillis(config.server().shutdownDrainMs()));
  }

  /** Builds a {@link Gateway}. Not thread-safe; use once. */
  public static final class Builder {
    private final BatonConfig config;
    private @Nullable Baton engine;
    private @Nullable Store store;
    private @Nullable ReplyRouter router;
    private Scheduler scheduler = Scheduler.system();
    private MeterRegistry meters = new SimpleMeterRegistry();
    private final Map<String, Supplier<Object>> views = new LinkedHashMap<>();
    private io.opentelemetry.api.OpenTelemetry telemetry = io.opentelemetry.api.OpenTelemetry.noop();

    private Builder(BatonConfig config) {
      this.config = Objects.requireNonNull(config);
    }

    public Builder engine(Baton e) {
      this.engine = Objects.requireNonNull(e);
      return this;
    }

    public Builder store(Store s) {
      this.store = Objects.requireNonNull(s);
      return this;
    }

    /** The router that was given to the engine with {@code Baton.builder().replies(router)}. */
    public Builder replies(ReplyRouter r) {
      this.router = Objects.requireNonNull(r);
      return this;
    }

    /**
     * Traces ingress with {@code otel} (docs/tracing.md): a SERVER span per message-carrying POST, continuing the
     * request's W3C {@code traceparent}. Give the engine the same instance ({@code Baton.builder().openTelemetry}).
     * The default, {@link io.opentelemetry.api.OpenTelemetry#noop()}, traces nothing.
     */
    public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry otel) {
      this.telemetry = Objects.requireNonNull(otel);
      return this;
    }

    public Builder scheduler(Scheduler s) {
      this.scheduler = Objects.requireNonNull(s);
      return this;
    }

    /** The registry for the gateway's meters; {@code /metrics} serves it when it is (or holds) a Prometheus one. */
    public Builder meterRegistry(MeterRegistry r) {
      this.meters = Objects.requireNonNull(r);
      return this;
    }

    /** Adds {@code GET /v1/admin/<name>} (for example {@code wait-for-graph}, {@code deadlocks}). */
    public Builder adminView(String name, AdminView view) {
      if (!name.matches("[a-z0-9-]+") || name.equals("sessions") || name.equals("dedup")) {
        throw new IllegalArgumentException("admin view names are lowercase words with dashes, not sessions/dedup");
      }
      Objects.requireNonNull(view);
      views.put(name, view::snapshot);
      return this;
    }

    public Gateway build() {
      return new Gateway(this);
    }
  }
}
