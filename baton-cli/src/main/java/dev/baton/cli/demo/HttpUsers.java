package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.Agent;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ServerConfig;
import dev.baton.spi.BatonJson;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the HTTP transport of the demo. It starts the real gateway on 127.0.0.1 (any free port) over the
 * engine and store, mints one HS256 JWT per simulated user, sends each delivery as POST /v1/messages with the
 * JDK HttpClient (HTTP/1.1) and, for each user, long-polls GET /v1/replies with that user's token. What the
 * client sees — statuses, answer bodies, the replies in each user's polls — goes to the PromiseChecker, so
 * P1/P2/P9 are judged on what reached each user over the wire.
 *
 * Concurrency: deliver() is called from many user threads; at most MAX_IN_FLIGHT POSTs are in flight (a
 * semaphore); the client runs on virtual threads. One poller virtual thread per user, started by poll().
 * close() stops the pollers (each poll waits at most POLL_WAIT_MS), then the gateway, engine and store.
 *
 * Failure: a transport error or an unexpected status is a violation of the HTTP tally, never an exception
 * that stops the run; a poller gives up after three failures in a row (its user's messages then show as P4).
 */
final class HttpUsers implements AutoCloseable {

  static final int MAX_IN_FLIGHT = 64;
  static final long POLL_WAIT_MS = 250;
  private static final ObjectMapper JSON = BatonJson.MAPPER;
  /** Helidon logs through java.util.logging at INFO; the demo keeps it at WARNING (held: JUL refs are weak). */
  private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

  private final InProcessNode node;
  private final URI base;
  private final String secret;
  private final PromiseChecker checker;
  private final boolean expectTurns;
  private final HttpFigures figures;
  private final ExecutorService clientThreads = Executors.newVirtualThreadPerTaskExecutor();
  private final ExecutorService pollers = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient client;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private volatile boolean stopping;

  /**
   * Opens the configured store and starts engine and gateway on 127.0.0.1, port 0, with the message API on.
   *
   * @param expectTurns whether every {@code reply} must carry {@code turn} (the echo agent gives one)
   * @param replyPath what the engine hands its replies to, given the gateway's router (tests plant faults here)
   */
  HttpUsers(BatonConfig config, Agent agent, MeterRegistry meters, PromiseChecker checker, boolean expectTurns,
      UnaryOperator<ReplyHandler> replyPath) {
    HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    this.checker = checker;
    this.expectTurns = expectTurns;
    this.secret = randomSecret();
    ServerConfig s = config.server();
    BatonConfig cfg = config
        .withServer(new ServerConfig("127.0.0.1", 0, s.maxBodyBytes(), s.maxHeaderBytes(), s.requestTimeoutMs(),
            s.idleTimeoutMs(), s.shutdownDrainMs()))
        .withChannels(config.channels().withApi(new ChannelsConfig.ApiChannelConfig(true,
            ChannelsConfig.JwtConfig.hs256(secret), Math.max(1000, config.channels().api().replyBuffer()),
            config.channels().api().chats())));
    Scheduler scheduler = Scheduler.system();
    this.node = InProcessNode.start(cfg, agent, scheduler, meters, replyPath);
    this.base = URI.create("http://127.0.0.1:" + node.port());
    this.figures = new HttpFigures(base.getAuthority(), cfg.storage().backend().name().toLowerCase(Locale.ROOT));
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Sends {@code user}'s message {@code seq} as {@code POST /v1/messages} and tells the checker the answer. */
  void deliver(String user, long seq) throws InterruptedException {
    String id = DemoMessages.id(user, seq);
    String body = JSON.createObjectNode().put("id", id).put("text", DemoMessages.text(user, seq)).put("seq", seq)
        .toString();
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/messages")).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token(user)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    inFlight.acquire();
    long called = System.nanoTime();
    try {
      HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      long returned = System.nanoTime();
      figures.post(res.statusCode(), returned - called);
      JsonNode answer = parse(res.body());
      checker.deliveredOverHttp(id, res.statusCode(),
          answer.path("status").asText(answer.path("error").path("message").asText("")),
          answer.path("id").asText(""), called, returned);
    } catch (IOException e) {
      figures.post(-1, System.nanoTime() - called);
      checker.deliveredOverHttp(id, -1, e.getClass().getSimpleName(), "", called, System.nanoTime());
    } finally {
      inFlight.release();
    }
  }

  /** Starts {@code user}'s poller; it stops once {@code done} holds after a poll, or at {@link #close}. */
  void poll(String user, BooleanSupplier done) {
    pollers.submit(() -> {
      String cursor = "";
      int failuresInARow = 0;
      while (!stopping && failuresInARow < 3) {
        String next = pollOnce(user, cursor);
        if (next == null) {
          failuresInARow++;
        } else {
          failuresInARow = 0;
          cursor = next;
        }
        if (done.getAsBoolean()) break;
      }
      return null;
    });
  }

  /** One long poll; hands every reply to the checker. Returns the next cursor, or null when the poll failed. */
  private @Nullable String pollOnce(String user, String cursor) throws InterruptedException {
    URI uri = base.resolve("/v1/replies?wait_ms=" + POLL_WAIT_MS
        + (cursor.isEmpty() ? "" : "&after=" + java.net.URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token(user)).GET().build();
    HttpResponse<String> res;
    try {
      res = client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      figures.poll(-1);
      if (!stopping) checker.httpFailed("GET /v1/replies of " + user + " failed: " + e.getClass().getSimpleName());
      return null;
    }
    figures.poll(res.statusCode());
    JsonNode page = parse(res.body());
    if (res.statusCode() != 200 || !page.path("replies").isArray() || !page.path("next").isTextual()) {
      checker.httpFailed("GET /v1/replies of " + user + " was answered " + res.statusCode() + " "
          + page.path("error").path("message").asText("without a reply list"));
      return null;
    }
    checker.httpOk();
    for (JsonNode r : page.path("replies")) {
      figures.reply();
      Reply reply = toReply(user, r);
      if (reply != null) checker.replied(reply);
    }
    return page.path("next").asText();
  }

  /** A reply as the user received it: its {@code chat} is the user whose poll returned it. */
  private @Nullable Reply toReply(String user, JsonNode r) {
    String id = r.path("id").asText("");
    int slash = id.lastIndexOf('/');
    Reply.Kind kind;
    long outboxSeq;
    try {
      kind = Reply.Kind.valueOf(r.path("kind").asText("").toUpperCase(Locale.ROOT));
      outboxSeq = Long.parseLong(id.substring(slash + 1));
      if (slash < 1 || !r.path("in_reply_to").isTextual() || !r.path("text").isTextual()) throw new IllegalArgumentException();
    } catch (IllegalArgumentException e) {
      checker.httpFailed("the poll of " + user + " returned a malformed reply: " + abbreviate(r.toString()));
      return null;
    }
    OptionalLong turn = r.path("turn").isIntegralNumber() ? OptionalLong.of(r.path("turn").asLong()) : OptionalLong.empty();
    if (expectTurns && kind == Reply.Kind.REPLY) {
      if (turn.isEmpty()) checker.httpFailed("reply " + id + " in the poll of " + user + " carried no turn");
      else checker.httpOk();
    }
    return new Reply(new SessionKey(id.substring(0, slash)), outboxSeq, "api", user, r.path("in_reply_to").asText(),
        kind, r.path("text").asText(), turn, Map.of());
  }

  Map<String, Object> figures() {
    return figures.report();
  }

  /** Stops the pollers, then drains and closes gateway, engine and store. */
  @Override
  public void close() throws InterruptedException {
    stopping = true;
    pollers.shutdown();
    pollers.awaitTermination(POLL_WAIT_MS + 35_000, TimeUnit.MILLISECONDS);
    pollers.shutdownNow();
    try {
      node.close();
    } finally {
      client.close();
      clientThreads.shutdownNow();
    }
  }

  private String token(String user) {
    return tokens.computeIfAbsent(user, u -> sign(secret, u));
  }

  /** An HS256 token for {@code sub}, valid for an hour. */
  static String sign(String secret, String sub) {
    Date now = new Date();
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(sub).issueTime(now)
        .expirationTime(new Date(now.getTime() + 3_600_000)).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a demo token", e);
    }
    return jwt.serialize();
  }

  private static JsonNode parse(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      var root = JSON.createObjectNode();
      root.putObject("error").put("message", "unparseable body " + abbreviate(body));
      return root;
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 160 ? s : s.substring(0, 160) + "...";
  }

  private static String randomSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

}
