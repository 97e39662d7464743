package dev.baton.cli;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.AskRouting;
import dev.baton.Baton;
import dev.baton.config.BatonConfig;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigException;
import dev.baton.config.ConfigLoader;
import dev.baton.config.StorageConfig;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreProvider;
import dev.baton.mcp.McpTools;
import dev.baton.tools.BatonTools;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code baton serve [--config FILE] [--port N]}: runs the HTTP gateway on the engine until the process is
 * stopped (Ctrl-C / SIGTERM drain running turns for {@code server.shutdown_drain_ms}, the rest stays
 * journaled). Without {@code --config} it runs the embedded default: a SQLite journal under
 * {@code ./baton-data}, the echo agent, and the HTTP message API with a development secret generated and
 * printed at start, together with a {@code curl} line that sends a first message with a ready-made JWT.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the HTTP gateway (message API, chat platform webhooks, /health, /metrics, admin API).")
public final class ServeCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE", description = "The baton.yaml to run with (default: the "
      + "embedded development setup: sqlite journal in --data, echo agent, generated API secret).")
  Optional<Path> config = Optional.empty();

  @Option(names = "--port", paramLabel = "N", description = "Port to listen on (overrides server.port; 0 = any).")
  Optional<Integer> port = Optional.empty();

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "baton-data",
      description = "Directory of the embedded default's SQLite journal (default: ${DEFAULT-VALUE}).")
  Path data = Path.of("baton-data");

  @Spec CommandSpec spec;

  /** Helidon logs through java.util.logging at INFO; keep it at WARNING like the rest (held: JUL refs are weak). */
  private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

  /** What {@link #start} started; {@link #stop} drains and closes it. */
  public record Running(Gateway gateway, Baton engine, Store store, BatonConfig config, BatonTools tools,
      McpTools mcp, io.opentelemetry.api.OpenTelemetry telemetry) {
    public void stop() {
      gateway.stop(Duration.ofMillis(config.server().shutdownDrainMs()));
      engine.close();
      tools.close();
      mcp.close(); // stops the stdio MCP servers, after the last turn
      store.close();
      Telemetry.close(telemetry); // exports the spans still batched
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    Running running;
    try {
      running = start(out);
    } catch (ConfigException e) {
      PrintWriter err = spec.commandLine().getErr();
      for (ConfigError error : e.errors()) err.println(error);
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.stop();
      stopped.countDown();
    }, "baton-shutdown"));
    stopped.await();
    return 0;
  }

  /** Loads the configuration, opens the store, starts engine and gateway and prints how to reach them. */
  public Running start(PrintWriter out) {
    if (!org.slf4j.LoggerFactory.getLogger(ServeCommand.class).isInfoEnabled()) {
      HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    }
    BatonConfig cfg;
    String devSecret = "";
    if (config.isPresent()) {
      cfg = ConfigLoader.withSystemEnvironment().load(config.get());
      cfg = durableByDefault(cfg, config.get(), data);
    } else {
      devSecret = randomSecret();
      cfg = BatonConfig.defaults()
          .withStorage(StorageConfig.sqlite(data.resolve("baton.db").toString()))
          .withChannels(ChannelsConfig.defaults().withApi(ChannelsConfig.ApiChannelConfig.defaults()
              .withJwt(ChannelsConfig.JwtConfig.hs256(devSecret))));
    }
    if (port.isPresent()) cfg = cfg.withServer(cfg.server().withPort(port.get()));
    Scheduler scheduler = Scheduler.system();
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Store store = openStore(cfg, scheduler);
    // telemetry.otlp.endpoint and the OTEL_* variables (docs/tracing.md); noop when neither asks for tracing
    io.opentelemetry.api.OpenTelemetry otel = Telemetry.open(cfg.telemetry(), System.getenv());
    Baton engine = null;
    BatonTools tools = null;
    McpTools mcp = McpTools.none();
    try {
      // tools.mcp.servers: started (stdio) or connected (HTTP) before the runtime, whose registry lists their
      // tools as <server>.<tool> next to the built-ins; every call goes through the runtime (docs/tools.md, MCP).
      mcp = McpTools.start(cfg.tools().mcp(), scheduler);
      ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
      // The tool runtime (built-in tools; results kept in the store for idempotency, P6) that agents such as
      // agent.type: openai offer to the model. `ask` reaches the peers named in tools.ask_peers (P1, P8).
      AskRouting asks = AskRouting.forPeers(cfg.tools().askPeers());
      BatonTools.Builder toolsBuilder = BatonTools.builder().config(cfg).scheduler(scheduler).meterRegistry(meters)
          .idempotencyRecords(store.idempotency()).askRouter(asks);
      clusterLocks(cfg, store).ifPresent(toolsBuilder::clusterLocks); // tool locks across nodes (cluster mode)
      // admin.token: the console's timeline is told of each turn, tool call and lock wait (docs/console.md)
      router.consoleObserver().ifPresent(toolsBuilder::observer);
      tools = mcp.addTo(toolsBuilder).build();
      Baton.Builder engineBuilder = Baton.builder().config(cfg).store(store).scheduler(scheduler)
          .meterRegistry(meters).replies(router).tools(tools).asks(asks, tools.waitForGraph()).openTelemetry(otel);
      router.consoleObserver().ifPresent(engineBuilder::observer);
      engine = engineBuilder.build();
      BatonTools runtime = tools;
      Gateway gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
          .openTelemetry(otel)
          .replies(router).adminView("wait-for-graph", runtime::snapshot)
          .adminView("deadlocks", runtime::recentDeadlocks).build().start();
      String base = "http://" + cfg.server().host() + ":" + gateway.port();
      out.println("Baton is listening on " + base + " (storage: "
          + cfg.storage().backend().name().toLowerCase(java.util.Locale.ROOT)
          + (cfg.storage().backend() == StorageConfig.Backend.SQLITE ? " " + cfg.storage().path() : "")
          + ", agent: " + cfg.agent().type() + ")");
      if (cfg.storage().backend() == StorageConfig.Backend.MEMORY) {
        out.println("Warning: storage.backend is memory: everything acknowledged is lost when this process stops.");
      }
      if (config.isPresent()) {
        for (var w : ChannelWarnings.of(config.get())) {
          out.println(ChannelWarnings.format(w));
          org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn("{}", w);
        }
      }
      if (!devSecret.isEmpty()) {
        String jwt = devToken(devSecret, "dev-user", scheduler);
        out.println("Development API secret (channels.api.jwt.hs256_secret, new at every start): " + devSecret);
        out.println("Send a first message:");
        out.println("  curl -s -X POST " + base + "/v1/messages -H 'Authorization: Bearer " + jwt + "'"
            + " -H 'Content-Type: application/json' -d '{\"id\":\"m-1\",\"text\":\"hello\"}'");
        out.println("Read the reply:");
        out.println("  curl -s '" + base + "/v1/replies?wait_ms=5000' -H 'Authorization: Bearer " + jwt + "'");
      }
      out.println("Stop with Ctrl-C (running turns drain for up to " + cfg.server().shutdownDrainMs() + " ms).");
      out.flush();
      return new Running(gateway, engine, store, cfg, tools, mcp, otel);
    } catch (RuntimeException e) {
      if (engine != null) engine.close();
      if (tools != null) tools.close();
      mcp.close();
      store.close();
      Telemetry.close(otel);
      throw e;
    }
  }

  /**
   * {@code serve} is durable unless told otherwise: a file that does not name {@code storage.backend} runs on
   * SQLite, at its {@code storage.path} when it gives one and in {@code --data} otherwise (the memory store's
   * default would lose every acknowledged message on a restart). {@code storage.backend: memory} still works.
   */
  static BatonConfig durableByDefault(BatonConfig cfg, Path file, Path data) {
    if (ConfigLoader.declares(file, "storage", "backend")) return cfg;
    StorageConfig s = cfg.storage();
    String path = ConfigLoader.declares(file, "storage", "path") ? s.path() : data.resolve("baton.db").toString();
    return cfg.withStorage(s.withBackend(StorageConfig.Backend.SQLITE, path));
  }

  /**
   * The store's cross-node tool locks when this node is one of a cluster ({@code cluster.enabled}), else none:
   * a single node needs only its own lock manager.
   */
  static Optional<ClusterLocks> clusterLocks(BatonConfig cfg, Store store) {
    if (!cfg.cluster().enabled()) return Optional.empty();
    Optional<ClusterLocks> locks = store.clusterLocks();
    if (locks.isEmpty()) {
      org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn("cluster.enabled, but storage.backend {} offers no"
          + " cross-node tool locks: a tool's resource locks hold within each node only",
          cfg.storage().backend().name().toLowerCase(java.util.Locale.ROOT));
    }
    return locks;
  }

  /** The store of {@code storage.backend}, found with ServiceLoader (baton-jdbc for sqlite and postgres). */
  public static Store openStore(BatonConfig cfg, Scheduler scheduler) {
    for (StoreProvider p : ServiceLoader.load(StoreProvider.class)) {
      if (p.backend() == cfg.storage().backend()) return p.open(cfg, scheduler);
    }
    throw new IllegalStateException("storage backend " + cfg.storage().backend() + " is not available");
  }

  static String randomSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** A 24-hour HS256 token for the development user. */
  static String devToken(String secret, String sub, Scheduler scheduler) {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(sub)
        .issueTime(Date.from(scheduler.now()))
        .expirationTime(Date.from(scheduler.now().plus(Duration.ofHours(24)))).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign the development token", e);
    }
    return jwt.serialize();
  }
}
