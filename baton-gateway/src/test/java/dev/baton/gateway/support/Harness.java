package dev.baton.gateway.support;

import dev.baton.Baton;
import dev.baton.config.AdminConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ServerConfig;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/** A gateway on a free loopback port over a given engine, with an HTTP client. */
public final class Harness implements AutoCloseable {

  public static final String ADMIN_TOKEN = "admin-token-0123456789-0123456789-0123";

  public final BatonConfig config;
  public final Scheduler scheduler;
  public final Store store;
  public final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  public final ReplyRouter router;
  public final Baton engine;
  public final Gateway gateway;
  public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public Harness(Scheduler scheduler, Store store, UnaryOperator<BatonConfig> tweak,
      BiFunction<BatonConfig, ReplyRouter, Baton> engineFactory) {
    BatonConfig base = BatonConfig.defaults()
        .withServer(ServerConfig.defaults().withPort(0))
        .withChannels(ChannelsConfig.defaults().withApi(new ChannelsConfig.ApiChannelConfig(true,
            ChannelsConfig.JwtConfig.hs256(Tokens.SECRET), 1000, java.util.Map.of())))
        .withAdmin(new AdminConfig(ADMIN_TOKEN));
    this.config = tweak.apply(base);
    this.scheduler = scheduler;
    this.store = store;
    this.router = ReplyRouter.create(config, store, scheduler, meters);
    this.engine = engineFactory.apply(config, router);
    this.gateway = Gateway.builder(config).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
        .replies(router).build().start();
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + gateway.port() + path);
  }

  public HttpResponse<String> send(HttpRequest.Builder req) {
    try {
      return http.send(req.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpResponse<String> post(String path, String auth, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (auth != null) b.header("Authorization", auth);
    return send(b);
  }

  public HttpResponse<String> get(String path, String auth) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
    if (auth != null) b.header("Authorization", auth);
    return send(b);
  }

  @Override
  public void close() {
    gateway.stop(Duration.ZERO);
    engine.close();
  }
}
