package dev.baton.spring.boot;

import dev.baton.Agent;
import dev.baton.AskRouting;
import dev.baton.Baton;
import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreProvider;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Tool;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;

/*
 * Overview: the wiring of `baton serve` (ServeCommand.start), from Spring beans: config from the Environment's
 * baton.* keys (EnvironmentConfig), the store of storage.backend (ServiceLoader, baton-jdbc), the tool runtime
 * with every dev.baton.tools.Tool bean registered (so a tool from any source, an MCP client's included, is one
 * bean away), the engine with the Agent bean when there is one (else agent.type), and the gateway on Baton's own
 * Helidon server at baton.server.port. Meters go to the application's MeterRegistry when it has one.
 *
 * Each bean is @ConditionalOnMissingBean, so an application can replace any of them (its own Store, Scheduler,
 * BatonConfig).
 */
/** Auto-configuration of Baton from {@code application.yaml}'s {@code baton.*} keys; see docs/spring.md. */
@AutoConfiguration(afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration"})
public class BatonAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public BatonConfig batonConfig(ConfigurableEnvironment environment) {
    BatonConfig cfg = EnvironmentConfig.bind(environment);
    // Durable unless told otherwise, as `baton serve` with a file: no storage.backend means SQLite.
    if (environment.getProperty(EnvironmentConfig.PREFIX + ".storage.backend") == null) {
      StorageConfig s = cfg.storage();
      String path = environment.getProperty(EnvironmentConfig.PREFIX + ".storage.path") != null ? s.path()
          : "baton-data/baton.db";
      cfg = cfg.withStorage(s.withBackend(StorageConfig.Backend.SQLITE, path));
    }
    return cfg;
  }

  @Bean
  @ConditionalOnMissingBean
  public Scheduler batonScheduler() {
    return Scheduler.system();
  }

  @Bean(destroyMethod = "") // closed by BatonRuntime, after the drain
  @ConditionalOnMissingBean
  public Store batonStore(BatonConfig cfg, Scheduler scheduler) {
    for (StoreProvider p : ServiceLoader.load(StoreProvider.class)) {
      if (p.backend() == cfg.storage().backend()) return p.open(cfg, scheduler);
    }
    throw new IllegalStateException("storage backend " + cfg.storage().backend() + " is not available");
  }

  @Bean
  @ConditionalOnMissingBean
  public AskRouting batonAskRouting(BatonConfig cfg) {
    return AskRouting.forPeers(cfg.tools().askPeers());
  }

  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean
  public BatonTools batonTools(BatonConfig cfg, Scheduler scheduler, Store store, AskRouting asks,
      ObjectProvider<MeterRegistry> meters, ObjectProvider<Tool> tools) {
    BatonTools.Builder b = BatonTools.builder().config(cfg).scheduler(scheduler).meterRegistry(meters(meters))
        .idempotencyRecords(store.idempotency()).askRouter(asks);
    clusterLocks(cfg, store).ifPresent(b::clusterLocks);
    tools.orderedStream().forEach(b::tool);
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean
  public ReplyRouter batonReplyRouter(BatonConfig cfg, Store store, Scheduler scheduler,
      ObjectProvider<MeterRegistry> meters) {
    return ReplyRouter.create(cfg, store, scheduler, meters(meters));
  }

  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean
  public Baton batonEngine(BatonConfig cfg, Store store, Scheduler scheduler, ReplyRouter router, BatonTools tools,
      AskRouting asks, ObjectProvider<MeterRegistry> meters, ObjectProvider<Agent> agent) {
    Baton.Builder b = Baton.builder().config(cfg).store(store).scheduler(scheduler).meterRegistry(meters(meters))
        .replies(router).tools(tools).asks(asks, tools.waitForGraph());
    Agent a = agent.getIfUnique();
    if (a != null) b.agent(a);
    return b.build();
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public BatonRuntime batonRuntime(BatonConfig cfg, Baton engine, Store store, BatonTools tools, Scheduler scheduler,
      ReplyRouter router, ObjectProvider<MeterRegistry> meters) {
    Gateway gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler)
        .meterRegistry(meters(meters)).replies(router).adminView("wait-for-graph", tools::snapshot)
        .adminView("deadlocks", tools::recentDeadlocks).build();
    return new BatonRuntime(cfg, engine, store, tools, gateway);
  }

  /** The admin views of the gateway's {@code /v1/admin}, for the Actuator endpoint. */
  static Map<String, Object> views(BatonRuntime rt) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("engine", rt.engine().snapshot());
    v.put("store", rt.store().stats());
    v.put("wait-for-graph", rt.tools().snapshot());
    v.put("deadlocks", rt.tools().recentDeadlocks());
    v.put("draining", rt.draining());
    return v;
  }

  private static Optional<ClusterLocks> clusterLocks(BatonConfig cfg, Store store) {
    if (!cfg.cluster().enabled()) return Optional.empty();
    Optional<ClusterLocks> locks = store.clusterLocks();
    if (locks.isEmpty()) {
      LoggerFactory.getLogger(BatonAutoConfiguration.class).warn("cluster.enabled, but storage.backend {} offers no"
          + " cross-node tool locks: a tool's resource locks hold within each node only",
          cfg.storage().backend().name().toLowerCase(Locale.ROOT));
    }
    return locks;
  }

  /** One per context: where Baton's meters go when the application has no MeterRegistry. */
  private final MeterRegistry fallback = new SimpleMeterRegistry();

  /** The application's registry, or this context's private one when it has none. */
  private MeterRegistry meters(ObjectProvider<MeterRegistry> meters) {
    MeterRegistry r = meters.getIfUnique();
    return r != null ? r : fallback;
  }

  /** The Actuator health contributor: UP while the store answers and Baton is not draining. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class Health {
    @Bean
    @ConditionalOnMissingBean(name = "batonHealthIndicator")
    BatonHealthIndicator batonHealthIndicator(BatonRuntime runtime) {
      return new BatonHealthIndicator(runtime);
    }
  }

  /** The Actuator endpoint {@code baton}: the admin views. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
  static class Endpoint {
    @Bean
    @ConditionalOnMissingBean
    BatonEndpoint batonEndpoint(BatonRuntime runtime) {
      return new BatonEndpoint(runtime);
    }
  }
}
