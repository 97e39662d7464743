package dev.baton.spring.boot;

import dev.baton.Baton;
import dev.baton.config.BatonConfig;
import dev.baton.gateway.Gateway;
import dev.baton.spi.Store;
import dev.baton.tools.BatonTools;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The running Baton of a Spring application: starts the gateway when the context starts and, when it stops,
 * stops intake and drains running turns and reply deliveries for {@code server.shutdown_drain_ms} (what does
 * not finish stays journaled), then closes engine, tool runtime and store. Its phase is just below Spring's
 * web server's graceful shutdown phase, so Baton stops after the application's own web server stopped taking
 * requests and before the beans it uses are destroyed.
 *
 * <p><b>Concurrency.</b> Spring calls {@link #start} and {@link #stop} on one thread; {@link #draining} and
 * {@link #isRunning} may be read from any thread (health checks).
 */
public final class BatonRuntime implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(BatonRuntime.class);

  /** Below WebServerGracefulShutdownLifecycle's phase (SmartLifecycle.DEFAULT_PHASE - 1024). */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

  private final BatonConfig config;
  private final Baton engine;
  private final Store store;
  private final BatonTools tools;
  private final Gateway gateway;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean drainedInTime = true;

  BatonRuntime(BatonConfig config, Baton engine, Store store, BatonTools tools, Gateway gateway) {
    this.config = config;
    this.engine = engine;
    this.store = store;
    this.tools = tools;
    this.gateway = gateway;
  }

  @Override
  public void start() {
    if (running.compareAndSet(false, true)) {
      gateway.start();
      log.info("Baton gateway listening on {}:{}", config.server().host(), gateway.port());
    }
  }

  @Override
  public void stop() {
    if (!running.get()) return;
    draining.set(true);
    drainedInTime = gateway.stop(Duration.ofMillis(config.server().shutdownDrainMs()));
    running.set(false);
  }

  @Override
  public boolean isRunning() {
    return running.get();
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /** Whether shutdown began: intake is stopped and running turns are draining. */
  public boolean draining() {
    return draining.get();
  }

  /** Whether the last stop finished every turn and delivery before the drain deadline. */
  public boolean drainedInTime() {
    return drainedInTime;
  }

  /** The gateway's bound port (useful with {@code baton.server.port: 0}). */
  public int port() {
    return gateway.port();
  }

  public Baton engine() {
    return engine;
  }

  public Store store() {
    return store;
  }

  public BatonTools tools() {
    return tools;
  }

  /** Closes what {@link #stop} left open (the context's destroy phase); idempotent. */
  void close() {
    if (!closed.compareAndSet(false, true)) return;
    if (running.get()) stop();
    else if (!draining.get()) gateway.stop(Duration.ofMillis(config.server().shutdownDrainMs()));
    engine.close();
    tools.close();
    store.close();
  }
}
