package dev.baton.gateway.internal;

import dev.baton.Baton;
import dev.baton.config.BatonConfig;
import dev.baton.config.ServerConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http1.Http1Config;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The gateway's Helidon WebServer with its routes: the ops and admin routes always, the message API and each
 *   platform webhook when its channel is enabled, and the error mapping. The public dev.baton.gateway.Gateway
 *   owns one and runs its lifecycle (start, drain, stop). Public only because Gateway, in the public package,
 *   must create it; nothing else in this package is public.
 *
 * Concurrency
 *   Built and started/stopped by one owner thread; port() is thread-safe once started. Requests are served
 *   concurrently, each on its own virtual thread.
 */
/** The gateway's listener and routes. */
public final class GatewayServer {

  private final Ingress ingress;
  private final WebServer server;
  private final @Nullable ConsoleFeed console;

  private GatewayServer(Ingress ingress, WebServer server, @Nullable ConsoleFeed console) {
    this.ingress = ingress;
    this.server = server;
    this.console = console;
  }

  /**
   * Builds (does not start) the server.
   *
   * @param views the extra admin views, by name ({@code GET /v1/admin/<name>})
   */
  public static GatewayServer create(BatonConfig config, Baton engine, Store store, Scheduler scheduler,
      MeterRegistry meters, Map<String, Supplier<Object>> views, ReplyLanes replies) {
    return create(config, engine, store, scheduler, meters, views, replies, io.opentelemetry.api.OpenTelemetry.noop());
  }

  /** {@link #create} with the ingress spans of {@code otel} (docs/tracing.md). */
  public static GatewayServer create(BatonConfig config, Baton engine, Store store, Scheduler scheduler,
      MeterRegistry meters, Map<String, Supplier<Object>> views, ReplyLanes replies,
      io.opentelemetry.api.OpenTelemetry otel) {
    Ingress ingress = new Ingress(engine, meters);
    ServerConfig sc = config.server();
    var channels = config.channels();
    HttpRouting.Builder routing = HttpRouting.builder();
    BodyLimits limits = new BodyLimits(sc.maxBodyBytes(), scheduler, Duration.ofMillis(sc.requestTimeoutMs()));
    ErrorMapping.register(routing);
    io.helidon.webserver.http.Filter traced = new GatewayTracing(otel).ingressFilter();
    if (traced != null) routing.addFilter(traced);
    new OpsRoutes(config.admin(), engine, store, meters, ingress, views, limits).register(routing);
    ConsoleFeed console = null;
    if (config.admin().enabled()) { // the operator console, docs/console.md (404 without admin.token)
      ConsoleTimeline made = replies.timeline(); // made with the lanes (admin.token), told of replies and deliveries
      ConsoleTimeline timeline = made != null ? made : new ConsoleTimeline(scheduler, config.admin().showText());
      ingress.timeline(timeline);
      console = new ConsoleFeed(config, engine, meters, views, scheduler, timeline);
      new ConsoleRoutes(config.admin(), engine, scheduler, limits, new ConsoleAuth(config.admin(), scheduler), console)
          .register(routing);
    }
    if (channels.api().enabled()) {
      new MessageApi(new JwtVerifier(channels.api().jwt(), config.sessions().classClaim(), scheduler), ingress, replies.polls(), replies.inbox(),
          replies.events(), engine, config.sessions().idSource(), scheduler, limits, channels.api()).register(routing);
    }
    if (channels.telegram().enabled()) {
      new TelegramChannel(channels.telegram(), ingress, limits).register(routing);
    }
    if (channels.slack().enabled()) {
      new SlackChannel(channels.slack(), ingress, scheduler, meters, limits).register(routing);
    }
    if (channels.discord().enabled()) {
      new DiscordChannel(channels.discord(), ingress, scheduler, limits).register(routing);
    }
    if (channels.whatsapp().enabled()) {
      new WhatsAppChannel(channels.whatsapp(), ingress, limits, scheduler, meters,
          Duration.ofMillis(config.dedup().windowMs())).register(routing);
    }
    WebServer server = WebServer.builder()
        .host(sc.host())
        .port(sc.port())
        .maxPayloadSize(HelidonIo.transportLimit(sc.maxBodyBytes()))
        .idleConnectionTimeout(Duration.ofMillis(sc.idleTimeoutMs()))
        .idleConnectionPeriod(Duration.ofMillis(Math.max(100, Math.min(sc.idleTimeoutMs() / 4, 10_000))))
        .shutdownGracePeriod(Duration.ofMillis(Math.min(sc.shutdownDrainMs(), 1_000)))
        .addProtocol(Http1Config.builder().maxHeadersSize(sc.maxHeaderBytes()).build())
        .directHandlers(ErrorMapping.directHandlers())
        .addRouting(routing)
        .build();
    return new GatewayServer(ingress, server, console);
  }

  /** Binds the listener and starts serving. */
  public void start() {
    server.start();
    if (console != null) console.start();
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  /** From now on new messages are refused with 503 (so platforms retry) and {@code /ready} says draining. */
  public void stopIntake() {
    ingress.stopIntake();
  }

  /** Closes the listener. */
  public void stop() {
    if (console != null) console.close();
    server.stop();
  }
}
