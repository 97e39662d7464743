package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.Agent;
import dev.baton.config.BatonConfig;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.BatonJson;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/*
 * Overview: one real gateway for the hostile scenario, started in process on 127.0.0.1 (any free port) over its
 * own engine and store, wired as `baton serve` wires them (ReplyRouter -> engine -> gateway), plus the client
 * side of the attackers and honest users: JWT minting (with an optional `chats` membership claim), raw POSTs,
 * long polls, and a per-user mailbox that keeps every reply a user received over the wire.
 *
 * Concurrency: post()/poll() may be called from many threads; a user's Mailbox is only used by one thread at a
 * time (each simulated user is one thread), its received list is synchronized for the final sweep.
 *
 * Failure: a transport error is answered as status -1 (the attack's check then counts it as a violation of
 * "answered with a clear status"), never an exception that stops the scenario.
 */
final class HostileGateway implements AutoCloseable {

  /** The JWT claim listing the chats a user is a member of (issue 10: a chat is a membership). */
  static final String CHATS_CLAIM = "chats";

  private static final ObjectMapper JSON = BatonJson.MAPPER;
  /** Helidon logs through java.util.logging at INFO; kept at WARNING like the other scenarios (held: weak refs). */
  private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

  /** A response as the client saw it: status (-1 = transport error) and the parsed body. */
  record Response(int status, JsonNode body) {
    String describe() {
      String s = body.toString();
      return status + " " + (s.length() <= 160 ? s : s.substring(0, 160) + "...");
    }
  }

  /** A reply as a user received it in one of their polls. */
  record Received(String id, String inReplyTo, String kind, String text, long turn) {
    /** The session part of the reply id ({@code <session>/<outbox seq>}). */
    String session() {
      int slash = id.lastIndexOf('/');
      return slash < 0 ? id : id.substring(0, slash);
    }
  }

  final String name;
  final BatonConfig config;
  private final String secret;
  private final String adminToken;
  private final InProcessNode node;
  private final URI base;
  private final ExecutorService clientThreads = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient client;
  private final Map<String, Mailbox> mailboxes = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicLong> statuses;

  HostileGateway(String name, BatonConfig config, String secret, String adminToken, Agent agent,
      Map<String, java.util.concurrent.atomic.AtomicLong> statuses) {
    this(name, config, secret, adminToken, agent, statuses, java.util.function.UnaryOperator.identity());
  }

  /** @param replyPath what the engine hands its replies to, given the gateway's router (the live scenario watches) */
  HostileGateway(String name, BatonConfig config, String secret, String adminToken, Agent agent,
      Map<String, java.util.concurrent.atomic.AtomicLong> statuses,
      java.util.function.UnaryOperator<dev.baton.spi.ReplyHandler> replyPath) {
    HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
    this.statuses = statuses;
    this.name = name;
    this.config = config;
    this.secret = secret;
    this.adminToken = adminToken;
    Scheduler scheduler = Scheduler.system();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    this.node = InProcessNode.start(config, agent, scheduler, meters, replyPath);
    this.base = URI.create("http://127.0.0.1:" + node.port());
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  String authority() {
    return base.getAuthority();
  }

  /** A user of this gateway: {@code sub} and the chats its token grants (none: no {@code chats} claim). */
  User user(String sub, List<String> chats) {
    return new User(sub, sign(sub, chats));
  }

  User user(String sub) {
    return new User(sub, sign(sub, null));
  }

  final class User {
    final String sub;
    final String token;

    User(String sub, String token) {
      this.sub = sub;
      this.token = token;
    }

    Mailbox mailbox() {
      return mailboxes.computeIfAbsent(token, t -> new Mailbox(this));
    }
  }

  /** {@code POST /v1/messages} with this body (any JSON, also hostile), as {@code user}. */
  Response post(User user, ObjectNode body) {
    return send(HttpRequest.newBuilder(base.resolve("/v1/messages")).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + user.token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)).build());
  }

  /** {@code POST /v1/cancel} with this body, as {@code user}. */
  Response cancel(User user, ObjectNode body) {
    return send(HttpRequest.newBuilder(base.resolve("/v1/cancel")).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + user.token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)).build());
  }

  /** The body {@code {"id","text"}} plus {@code chat} when not null. */
  static ObjectNode message(String id, String text, @Nullable String chat) {
    ObjectNode o = JSON.createObjectNode().put("id", id).put("text", text);
    if (chat != null) o.put("chat", chat);
    return o;
  }

  /** A long poll, sent without waiting for its answer (the long-poll flood). */
  CompletableFuture<HttpResponse<String>> pollAsync(User user, long waitMs) {
    return client.sendAsync(pollRequest(user, "", waitMs, null), HttpResponse.BodyHandlers.ofString());
  }

  /** A Telegram webhook request ({@code POST /webhooks/telegram}) carrying {@code secretToken}. */
  Response telegram(String secretToken, ObjectNode update) {
    return send(HttpRequest.newBuilder(base.resolve("/webhooks/telegram")).timeout(Duration.ofSeconds(30))
        .header("X-Telegram-Bot-Api-Secret-Token", secretToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(update.toString(), StandardCharsets.UTF_8)).build());
  }

  /** A Slack Events API request ({@code POST /webhooks/slack}) signed with {@code signingSecret} (v0). */
  Response slack(String signingSecret, ObjectNode event) {
    String body = event.toString();
    String ts = Long.toString(System.currentTimeMillis() / 1000);
    String sig = "v0=" + hmacHex(signingSecret, "v0:" + ts + ":" + body);
    return send(HttpRequest.newBuilder(base.resolve("/webhooks/slack")).timeout(Duration.ofSeconds(30))
        .header("X-Slack-Request-Timestamp", ts).header("X-Slack-Signature", sig)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build());
  }

  /** A WhatsApp Cloud API notification ({@code POST /webhooks/whatsapp}) signed with {@code appSecret}. */
  Response whatsapp(String appSecret, ObjectNode notification) {
    String body = notification.toString();
    String sig = "sha256=" + hmacHex(appSecret, body);
    return send(HttpRequest.newBuilder(base.resolve("/webhooks/whatsapp")).timeout(Duration.ofSeconds(30))
        .header("X-Hub-Signature-256", sig).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build());
  }

  private static String hmacHex(String secret, String data) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return java.util.HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a platform request", e);
    }
  }

  /** {@code GET /v1/admin/<view>} with the admin token. */
  Response admin(String view) {
    return send(HttpRequest.newBuilder(base.resolve("/v1/admin/" + view)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + adminToken).GET().build());
  }

  private HttpRequest pollRequest(User user, String cursor, long waitMs, @Nullable String chat) {
    StringBuilder q = new StringBuilder("/v1/replies?wait_ms=").append(waitMs);
    if (!cursor.isEmpty()) q.append("&after=").append(URLEncoder.encode(cursor, StandardCharsets.UTF_8));
    if (chat != null) q.append("&chat=").append(URLEncoder.encode(chat, StandardCharsets.UTF_8));
    return HttpRequest.newBuilder(base.resolve(q.toString())).timeout(Duration.ofSeconds(40))
        .header("Authorization", "Bearer " + user.token).GET().build();
  }

  private Response send(HttpRequest req) {
    try {
      HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      count(req.method() + " " + res.statusCode());
      return new Response(res.statusCode(), parse(res.body()));
    } catch (IOException e) {
      count(req.method() + " error");
      return new Response(-1, JSON.createObjectNode().put("transport_error", e.getClass().getSimpleName()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(-1, JSON.createObjectNode().put("transport_error", "interrupted"));
    }
  }

  /**
   * Everything one user received in their {@code GET /v1/replies} polls, in order; each poll acknowledges the
   * previous page with its cursor, as a real client does.
   */
  final class Mailbox {
    private final User user;
    private final List<Received> received = new ArrayList<>();
    private String cursor = "";

    Mailbox(User user) {
      this.user = user;
    }

    /** Polls until a reply to {@code messageId} arrives or {@code timeout} passes; empty when none came. */
    synchronized java.util.Optional<Received> await(String messageId, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        for (Received r : received) if (r.inReplyTo().equals(messageId)) return java.util.Optional.of(r);
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) return java.util.Optional.empty();
        if (!pollOnce(Math.min(250, left))) return java.util.Optional.empty();
      }
    }

    /** One poll with {@code wait_ms=0} (acknowledging what was received), then every reply received so far. */
    synchronized List<Received> sweep() {
      pollOnce(0);
      pollOnce(0); // the second acknowledges the first's page
      return List.copyOf(received);
    }

    synchronized List<Received> repliesTo(String messageId) {
      return received.stream().filter(r -> r.inReplyTo().equals(messageId)).toList();
    }

    private boolean pollOnce(long waitMs) {
      HttpResponse<String> res;
      try {
        res = client.send(pollRequest(user, cursor, waitMs, null), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      count("GET " + res.statusCode());
      if (res.statusCode() != 200) return false;
      JsonNode page = parse(res.body());
      for (JsonNode r : page.path("replies")) {
        received.add(new Received(r.path("id").asText(""), r.path("in_reply_to").asText(""),
            r.path("kind").asText(""), r.path("text").asText(""), r.path("turn").asLong(-1)));
      }
      if (page.path("next").isTextual()) cursor = page.path("next").asText();
      return true;
    }
  }

  private void count(String key) {
    statuses.computeIfAbsent(key, k -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
  }

  private String sign(String sub, @Nullable List<String> chats) {
    Date now = new Date();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(sub).issueTime(now)
        .expirationTime(new Date(now.getTime() + 3_600_000));
    if (chats != null) claims.claim(CHATS_CLAIM, List.copyOf(chats));
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a demo token", e);
    }
    return jwt.serialize();
  }

  static JsonNode parse(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n == null ? JSON.createObjectNode() : n;
    } catch (IOException e) {
      return JSON.createObjectNode().put("unparseable", body.length() <= 160 ? body : body.substring(0, 160));
    }
  }

  /** Stops the gateway (answering the long polls still parked), engine and store, then the client. */
  @Override
  public void close() {
    try {
      node.close();
    } finally {
      client.close();
      clientThreads.shutdownNow();
    }
  }

}
