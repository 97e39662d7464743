package dev.baton.gateway.bench;

import dev.baton.Baton;
import dev.baton.config.BatonConfig;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ServerConfig;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.gateway.support.Tokens;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The gateway over the real engine (echo agent) for the loopback load test (baton-gateway/bench/run.sh):
 * {@code LoadServer <port> <users> <tokens-file> [store-class]}. Writes one long-lived JWT per user to the
 * tokens file and serves until killed. Not a test; compiled with the tests so it needs no extra module.
 */
public final class LoadServer {

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int users = Integer.parseInt(args[1]);
    Path tokens = Path.of(args[2]);
    String mode = args.length > 3 ? args[3] : "memory";
    // "memory" / "sqlite": the real engine on that store; "gateway-only": a fake engine that only deduplicates
    // (isolates the HTTP + JWT + parse cost).
    Scheduler scheduler = Scheduler.system();
    Store store = mode.equals("sqlite")
        ? dev.baton.jdbc.SqliteStore.open(dev.baton.config.StorageConfig.sqlite(
            Files.createTempDirectory("baton-bench").resolve("baton.db").toString()), Duration.ofHours(1), scheduler)
        : new MemoryStore();
    BatonConfig config = BatonConfig.defaults()
        .withServer(new ServerConfig("127.0.0.1", port, 64 * 1024, 16 * 1024, 10_000, 60_000, 5_000))
        .withChannels(ChannelsConfig.defaults().withApi(new ChannelsConfig.ApiChannelConfig(true,
            ChannelsConfig.JwtConfig.hs256(Tokens.SECRET), 100, java.util.Map.of())));
    // BATON_BENCH_ADMIN_TOKEN: the admin API and the console on (run.sh with BATON_BENCH_CONSOLE=1 opens a page).
    String admin = System.getenv().getOrDefault("BATON_BENCH_ADMIN_TOKEN", "");
    if (!admin.isEmpty()) config = config.withAdmin(new dev.baton.config.AdminConfig(admin));
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ReplyRouter router = ReplyRouter.create(config, store, scheduler, meters);
    Baton engine = mode.equals("gateway-only") ? new dev.baton.gateway.support.FakeEngine(config, router)
        : Baton.builder().config(config).store(store).scheduler(scheduler).meterRegistry(meters).replies(router)
            .build();
    if (engine instanceof dev.baton.gateway.support.FakeEngine fake) {
      fake.emitReplies = false;
      fake.recordAccepted = false;
    }
    Gateway gateway = Gateway.builder(config).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
        .replies(router).build().start();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      lines.add(Tokens.hs256(Tokens.SECRET, "user-" + i, scheduler.now().plus(Duration.ofDays(1))));
    }
    Files.write(tokens, lines);
    System.out.println("listening on " + gateway.port());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> gateway.stop(Duration.ofSeconds(2))));
    new CountDownLatch(1).await();
  }
}
