package dev.baton.examples.naivebot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * A deliberately naive chat bot: a small HTTP server speaking a subset of Baton's message API,
 * written without Baton, that a {@link Fault} switches into one of the concurrency mistakes a
 * guide on agent concurrency warns about. {@link Fault#NONE} is the correct version. It exists to
 * prove that {@code baton probe} detects each mistake (and stays quiet on the correct bot).
 *
 * <p>With a Telegram Bot API base URL it also serves a Telegram webhook ({@code POST
 * /webhooks/telegram}); its messages go through the very same processing (and faults), and the
 * replies are sent back with {@code sendMessage}.
 */
public final class NaiveBot implements AutoCloseable {

  /** Which naive code is switched on. */
  public enum Fault {
    NONE("none"),
    SHARED_STATE("shared-state"),
    DUPLICATES("duplicates"),
    TOOL_RACE("tool-race"),
    DEADLOCK("deadlock"),
    INTERLEAVE("interleave"),
    REORDER("reorder");

    private final String label;

    Fault(String label) {
      this.label = label;
    }

    /** The command-line name, e.g. {@code "shared-state"}. */
    public String label() {
      return label;
    }

    /** Parses {@code "none"}, {@code "shared-state"}, ... (case-insensitive, '_' accepted for '-'). */
    public static Fault parse(String s) {
      String k = s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
      for (Fault f : values()) {
        if (f.label.equals(k)) {
          return f;
        }
      }
      throw new IllegalArgumentException(
          "unknown fault '" + s + "' (none, shared-state, duplicates, tool-race, deadlock, interleave, reorder)");
    }

    @Override
    public String toString() {
      return label;
    }
  }

  static final Pattern NONCE = Pattern.compile("pn[0-9a-z]{10}");
  static final Pattern LEDGER_ADD = Pattern.compile("ledger add (-?\\d+)");
  static final String LEDGER_TOTAL = "ledger total";
  static final int MAX_REPLIES_PER_USER = 10_000;
  static final int MAX_WAIT_MS = 30_000;
  static final String TELEGRAM_WEBHOOK = "/webhooks/telegram";
  static final String TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";
  static final int TELEGRAM_RETRIES = 3;
  static final String SLACK_WEBHOOK = "/webhooks/slack";
  static final long SLACK_WINDOW_SECONDS = 300;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Fault fault;
  private final int workMs;
  private final byte[] secret;
  private final HttpServer server;
  private final ExecutorService httpExecutor;
  private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  // Telegram: null when the webhook is not served.
  private final @Nullable URI telegramApi;
  private final @Nullable URI sendMessageUri;
  private final byte[] telegramSecret;
  // The client of both platforms' APIs; null when neither webhook is served.
  private final @Nullable HttpClient platformHttp;
  // Telegram dedup on update_id.
  private final ConcurrentHashMap<Long, Boolean> updatesTaken = new ConcurrentHashMap<>();
  // Slack: null when the webhook is not served.
  private final @Nullable URI postMessageUri;
  private final byte[] slackSecret;
  private final String botToken;
  // Slack dedup on channel + ts (the event_id when there is no ts).
  private final ConcurrentHashMap<String, Boolean> eventsTaken = new ConcurrentHashMap<>();

  // Dedup on (sub, id).
  private final ConcurrentHashMap<String, Boolean> taken = new ConcurrentHashMap<>();
  // Per-conversation state (correct modes).
  private final ConcurrentHashMap<String, Conversation> conversations = new ConcurrentHashMap<>();
  // SHARED_STATE: the naive plain map, updated by read-copy-modify-write without synchronization.
  private final Map<String, List<String>> sharedLists = new HashMap<>();
  // Per-user inboxes.
  private final ConcurrentHashMap<String, Inbox> inboxes = new ConcurrentHashMap<>();
  // The one global ledger ("tool" state).
  private final ReentrantLock ledgerLock = new ReentrantLock();
  private final ReentrantLock contextLock = new ReentrantLock();
  private long ledgerBalance; // guarded by ledgerLock, except in TOOL_RACE
  private final AtomicLong deadlockTurn = new AtomicLong();
  // INTERLEAVE: session state leaked into a shared field.
  private volatile Current current = new Current("", "", null);

  /** Where a platform message came from, and so where its reply goes. */
  private sealed interface Dest permits Tg, Sl {}

  /** Where a Telegram message came from: its chat and message id. */
  private record Tg(long chatId, long messageId) implements Dest {}

  /** Where a Slack message came from: its channel and ts. */
  private record Sl(String channel, String ts) implements Dest {}

  /** INTERLEAVE's leaked "current conversation": its key, its user, and its platform chat if any. */
  private record Current(String key, String sub, @Nullable Dest dest) {}

  /**
   * An accepted message; {@code dest} is set for a platform message (its reply goes to sendMessage or
   * chat.postMessage).
   */
  private record Msg(String sub, String id, String text, String key, @Nullable Dest dest) {}

  private record Reply(long n, String inReplyTo, String text) {}

  /** One conversation: its nonce list and (correct modes) its FIFO queue of accepted messages. */
  private static final class Conversation {
    final ArrayDeque<Msg> queue = new ArrayDeque<>();
    boolean draining; // guarded by this
    List<String> nonces = List.of(); // guarded by this
  }

  /** A user's replies; long polls wait on the monitor. */
  private static final class Inbox {
    private final ArrayDeque<Reply> replies = new ArrayDeque<>();
    private long total; // replies ever appended; the n of the last one

    synchronized void add(String inReplyTo, String text) {
      total++;
      replies.addLast(new Reply(total, inReplyTo, text));
      while (replies.size() > MAX_REPLIES_PER_USER) {
        replies.removeFirst();
      }
      notifyAll();
    }

    /** Replies with n > after, waiting up to waitMs for the first. */
    synchronized List<Reply> after(long after, long waitMs) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (total <= after) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return List.of();
        }
        wait(left);
      }
      List<Reply> out = new ArrayList<>();
      for (Reply r : replies) {
        if (r.n() > after) {
          out.add(r);
        }
      }
      return out;
    }
  }

  private NaiveBot(int port, String jwtSecret, Fault fault, int workMs, @Nullable URI telegramApi,
      String telegramSecret, @Nullable URI slackApi, String slackSecret, String botToken) throws IOException {
    if (telegramApi != null && telegramSecret.isEmpty()) {
      throw new IllegalArgumentException("a Telegram secret token is required with a Telegram API URL");
    }
    if (slackApi != null && slackSecret.isEmpty()) {
      throw new IllegalArgumentException("a Slack signing secret is required with a Slack API URL");
    }
    this.botToken = botToken;
    this.slackSecret = slackSecret.getBytes(StandardCharsets.UTF_8);
    this.postMessageUri = slackApi == null ? null : URI.create(trimSlashes(slackApi.toString()) + "/chat.postMessage");
    this.fault = fault;
    this.workMs = Math.max(0, workMs);
    this.secret = jwtSecret.getBytes(StandardCharsets.UTF_8);
    this.telegramApi = telegramApi;
    this.telegramSecret = telegramSecret.getBytes(StandardCharsets.UTF_8);
    if (telegramApi != null) {
      this.sendMessageUri = URI.create(trimSlashes(telegramApi.toString()) + "/bot" + botToken + "/sendMessage");
    } else {
      this.sendMessageUri = null;
    }
    this.platformHttp = telegramApi == null && slackApi == null ? null
        : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.httpExecutor = Executors.newVirtualThreadPerTaskExecutor();
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.setExecutor(httpExecutor);
    server.createContext("/", this::handle);
    server.start();
  }

  public static NaiveBot start(int port, String jwtSecret, Fault fault) throws IOException {
    return start(port, jwtSecret, fault, 2);
  }

  public static NaiveBot start(int port, String jwtSecret, Fault fault, int workMs) throws IOException {
    return start(port, jwtSecret, fault, workMs, null, "", "probe");
  }

  /**
   * Also serves the Telegram webhook when {@code telegramApi} (the Bot API base URL, e.g. {@code
   * http://127.0.0.1:9001}) is given: {@code telegramSecret} (required then) is the webhook's secret
   * token, {@code botToken} the token in {@code {telegramApi}/bot{botToken}/sendMessage}.
   */
  public static NaiveBot start(int port, String jwtSecret, Fault fault, int workMs, @Nullable URI telegramApi,
      String telegramSecret, String botToken) throws IOException {
    return new NaiveBot(port, jwtSecret, fault, workMs, telegramApi, telegramSecret, null, "", botToken);
  }

  /**
   * Also serves the Slack Events API webhook ({@code POST /webhooks/slack}) when {@code slackApi} (the Web API
   * base URL, e.g. {@code http://127.0.0.1:9001/api}) is given: {@code slackSecret} (required then) is the app's
   * signing secret, {@code botToken} the bearer token of {@code {slackApi}/chat.postMessage}.
   * {@code telegramApi} may be null (no Telegram webhook), as may {@code slackApi}.
   */
  public static NaiveBot start(int port, String jwtSecret, Fault fault, int workMs, @Nullable URI telegramApi,
      String telegramSecret, @Nullable URI slackApi, String slackSecret, String botToken) throws IOException {
    return new NaiveBot(port, jwtSecret, fault, workMs, telegramApi, telegramSecret, slackApi, slackSecret,
        botToken);
  }

  private static String trimSlashes(String base) {
    String b = base;
    while (b.endsWith("/")) {
      b = b.substring(0, b.length() - 1);
    }
    return b;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public Fault fault() {
    return fault;
  }

  /** Stops the server and interrupts every worker, including deadlocked ones. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(0);
    httpExecutor.shutdownNow();
    for (Thread t : workers) {
      t.interrupt();
    }
    HttpClient h = platformHttp;
    if (h != null) {
      h.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- HTTP

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (path.equals("/v1/messages")) {
        if (!method.equals("POST")) {
          error(ex, 405, "method_not_allowed", "use POST");
        } else {
          postMessage(ex);
        }
      } else if (path.equals("/v1/replies")) {
        if (!method.equals("GET")) {
          error(ex, 405, "method_not_allowed", "use GET");
        } else {
          getReplies(ex);
        }
      } else if (path.equals(TELEGRAM_WEBHOOK) && telegramApi != null) {
        if (!method.equals("POST")) {
          error(ex, 405, "method_not_allowed", "use POST");
        } else {
          postTelegram(ex);
        }
      } else if (path.equals(SLACK_WEBHOOK) && postMessageUri != null) {
        if (!method.equals("POST")) {
          error(ex, 405, "method_not_allowed", "use POST");
        } else {
          postSlack(ex);
        }
      } else {
        error(ex, 404, "not_found", "no such endpoint");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      try {
        error(ex, 500, "internal", String.valueOf(e));
      } catch (IOException | RuntimeException ignored) {
        // response already started
      }
    }
  }

  /** The request body as a JSON object, or null after answering 400 (not JSON: one message, else {@code notObject}). */
  private static @Nullable JsonNode jsonObject(HttpExchange ex, String notObject) throws IOException {
    JsonNode body;
    try (InputStream in = ex.getRequestBody()) {
      body = JSON.readTree(in);
    } catch (IOException e) {
      error(ex, 400, "bad_request", "body is not JSON");
      return null;
    }
    if (body == null || !body.isObject()) {
      error(ex, 400, "bad_request", notObject);
      return null;
    }
    return body;
  }

  private void postMessage(HttpExchange ex) throws IOException {
    JWTClaimsSet claims = authenticate(ex);
    if (claims == null) {
      return;
    }
    String sub = claims.getSubject();
    JsonNode body = jsonObject(ex, "body must be a JSON object");
    if (body == null) {
      return;
    }
    String id = text(body, "id");
    String text = text(body, "text");
    if (id == null || id.isEmpty() || text == null) {
      error(ex, 400, "bad_request", "id and text are required");
      return;
    }
    String chat = text(body, "chat");
    String key;
    if (chat != null && !chat.isEmpty()) {
      // INTERLEAVE trusts the chat field without a membership check.
      if (fault != Fault.INTERLEAVE && !chats(claims).contains(chat)) {
        error(ex, 403, "forbidden", "not a member of that chat");
        return;
      }
      key = "c:" + chat;
    } else {
      key = "u:" + sub;
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("id", id);
    if (fault != Fault.DUPLICATES && taken.putIfAbsent(sub + '\u0000' + id, Boolean.TRUE) != null) {
      out.put("status", "duplicate");
      send(ex, 200, out);
      return;
    }
    // Queued before the 202 goes out, so a client that sends its next message on the 202 can
    // never have it queued ahead of this one.
    accept(new Msg(sub, id, text, key, null));
    out.put("status", "accepted");
    send(ex, 202, out);
  }

  /**
   * The Telegram webhook: secret token checked (constant time), the Update's message queued exactly
   * like an API message (conversation {@code tg:<chat id>}, sender {@code from.id}), then {@code 200
   * {"ok":true}}. Updates without a text message are acknowledged and ignored.
   */
  private void postTelegram(HttpExchange ex) throws IOException {
    String given = ex.getRequestHeaders().getFirst(TELEGRAM_SECRET_HEADER);
    if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), telegramSecret)) {
      error(ex, 401, "unauthorized", "bad or missing " + TELEGRAM_SECRET_HEADER);
      return;
    }
    JsonNode body = jsonObject(ex, "body must be a JSON object (a Telegram Update)");
    if (body == null) {
      return;
    }
    JsonNode updateId = body.get("update_id");
    if (updateId == null || !updateId.canConvertToLong() || !updateId.isIntegralNumber()) {
      error(ex, 400, "bad_request", "update_id (an integer) is required");
      return;
    }
    ObjectNode ok = JSON.createObjectNode();
    ok.put("ok", true);
    JsonNode message = body.get("message");
    String text = message == null || !message.isObject() ? null : text(message, "text");
    if (message == null || text == null) {
      send(ex, 200, ok); // not a text message: acknowledged, ignored
      return;
    }
    JsonNode chatId = message.path("chat").get("id");
    JsonNode messageId = message.get("message_id");
    if (chatId == null || !chatId.isIntegralNumber() || messageId == null || !messageId.isIntegralNumber()) {
      error(ex, 400, "bad_request", "message.chat.id and message.message_id (integers) are required");
      return;
    }
    JsonNode fromId = message.path("from").get("id");
    String sender = fromId != null && fromId.isIntegralNumber() ? fromId.asText() : chatId.asText();
    if (fault != Fault.DUPLICATES && updatesTaken.putIfAbsent(updateId.asLong(), Boolean.TRUE) != null) {
      send(ex, 200, ok); // a redelivery: already taken
      return;
    }
    Tg tg = new Tg(chatId.asLong(), messageId.asLong());
    // Queued before the 200, like the API's 202.
    accept(new Msg("tg:" + sender, Long.toString(tg.messageId()), text, "tg:" + tg.chatId(), tg));
    send(ex, 200, ok);
  }

  /**
   * The Slack Events API webhook: the request signature checked like Slack says (v0, HMAC-SHA256 of
   * {@code v0:<timestamp>:<body>} with the signing secret, constant-time compare, timestamp within 5 minutes),
   * url_verification answered with its challenge, a user's {@code message} event queued exactly like an API
   * message (conversation {@code sl:<channel>}, sender {@code event.user}), then {@code 200 {"ok":true}}. Retries
   * ({@code X-Slack-Retry-Num}) meet the dedup on channel + ts. Bot messages, subtypes and other events are
   * acknowledged and ignored.
   */
  private void postSlack(HttpExchange ex) throws IOException {
    byte[] raw;
    try (InputStream in = ex.getRequestBody()) {
      raw = in.readNBytes(1 << 20);
    }
    String ts = ex.getRequestHeaders().getFirst("X-Slack-Request-Timestamp");
    String sig = ex.getRequestHeaders().getFirst("X-Slack-Signature");
    long seconds;
    try {
      seconds = ts == null ? Long.MIN_VALUE : Long.parseLong(ts);
    } catch (NumberFormatException e) {
      seconds = Long.MIN_VALUE;
    }
    if (seconds == Long.MIN_VALUE || Math.abs(System.currentTimeMillis() / 1000 - seconds) > SLACK_WINDOW_SECONDS) {
      error(ex, 401, "unauthorized", "missing, bad or stale X-Slack-Request-Timestamp");
      return;
    }
    if (sig == null || !MessageDigest.isEqual(sig.getBytes(StandardCharsets.UTF_8),
        slackSignature(ts, raw).getBytes(StandardCharsets.UTF_8))) {
      error(ex, 401, "unauthorized", "bad or missing X-Slack-Signature");
      return;
    }
    JsonNode body;
    try {
      body = JSON.readTree(raw);
    } catch (IOException e) {
      error(ex, 400, "bad_request", "body is not JSON");
      return;
    }
    if (body == null || !body.isObject()) {
      error(ex, 400, "bad_request", "body must be a JSON object (a Slack event)");
      return;
    }
    ObjectNode ok = JSON.createObjectNode();
    String type = text(body, "type");
    if ("url_verification".equals(type)) {
      ok.put("challenge", String.valueOf(text(body, "challenge")));
      send(ex, 200, ok);
      return;
    }
    ok.put("ok", true);
    JsonNode event = body.get("event");
    if (!"event_callback".equals(type) || event == null || !event.isObject()
        || !"message".equals(text(event, "type")) || event.hasNonNull("bot_id") || event.hasNonNull("subtype")) {
      send(ex, 200, ok); // not a user's message: acknowledged, ignored
      return;
    }
    String user = text(event, "user");
    String channel = text(event, "channel");
    String text = text(event, "text");
    String messageTs = text(event, "ts");
    String eventId = text(body, "event_id");
    if (user == null || channel == null || text == null || (messageTs == null && eventId == null)) {
      error(ex, 400, "bad_request", "event.user, event.channel, event.text and event.ts or event_id are required");
      return;
    }
    String id = messageTs == null ? eventId : channel + ":" + messageTs;
    if (fault != Fault.DUPLICATES && eventsTaken.putIfAbsent(id, Boolean.TRUE) != null) {
      send(ex, 200, ok); // a retry or a second delivery: already taken
      return;
    }
    Sl sl = new Sl(channel, messageTs == null ? "" : messageTs);
    // Queued before the 200, like the API's 202.
    accept(new Msg("sl:" + user, id, text, "sl:" + channel, sl));
    send(ex, 200, ok);
  }

  private String slackSignature(String ts, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(slackSecret, "HmacSHA256"));
      mac.update(("v0:" + ts + ":").getBytes(StandardCharsets.UTF_8));
      return "v0=" + java.util.HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private void getReplies(HttpExchange ex) throws IOException, InterruptedException {
    JWTClaimsSet claims = authenticate(ex);
    if (claims == null) {
      return;
    }
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    long after;
    long waitMs;
    try {
      after = Long.parseLong(q.getOrDefault("after", "0").isEmpty() ? "0" : q.getOrDefault("after", "0"));
      waitMs = Long.parseLong(q.getOrDefault("wait_ms", "0").isEmpty() ? "0" : q.getOrDefault("wait_ms", "0"));
    } catch (NumberFormatException e) {
      error(ex, 400, "bad_request", "after and wait_ms must be integers");
      return;
    }
    if (after < 0 || waitMs < 0) {
      error(ex, 400, "bad_request", "after and wait_ms must not be negative");
      return;
    }
    waitMs = Math.min(waitMs, MAX_WAIT_MS);
    List<Reply> replies = inbox(claims.getSubject()).after(after, waitMs);
    ObjectNode out = JSON.createObjectNode();
    ArrayNode arr = out.putArray("replies");
    long next = after;
    for (Reply r : replies) {
      ObjectNode o = arr.addObject();
      o.put("id", Long.toString(r.n()));
      o.put("in_reply_to", r.inReplyTo());
      o.put("kind", "reply");
      o.put("text", r.text());
      next = r.n();
    }
    out.put("next", Long.toString(next));
    send(ex, 200, out);
  }

  /** The verified claims, or null after answering 401. */
  private JWTClaimsSet authenticate(HttpExchange ex) throws IOException {
    String h = ex.getRequestHeaders().getFirst("Authorization");
    String why = "missing bearer token";
    if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      try {
        SignedJWT jwt = SignedJWT.parse(h.substring(7).trim());
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
          why = "token must be HS256";
        } else if (!verify(jwt)) {
          why = "bad signature";
        } else {
          JWTClaimsSet c = jwt.getJWTClaimsSet();
          Date exp = c.getExpirationTime();
          if (exp == null) {
            why = "token has no exp";
          } else if (!exp.after(new Date())) {
            why = "token expired";
          } else if (c.getSubject() == null || c.getSubject().isEmpty()) {
            why = "token has no sub";
          } else {
            return c;
          }
        }
      } catch (ParseException | JOSEException e) {
        why = "bad token";
      }
    }
    error(ex, 401, "unauthorized", why);
    return null;
  }

  private boolean verify(SignedJWT jwt) throws JOSEException {
    if (secret.length >= 32) {
      return jwt.verify(new MACVerifier(secret));
    }
    // Nimbus refuses HS256 keys under 256 bits; a short secret is still checked, by hand.
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, "HmacSHA256"));
      byte[] expect = mac.doFinal(jwt.getSigningInput());
      return secret.length > 0 && MessageDigest.isEqual(expect, jwt.getSignature().decode());
    } catch (GeneralSecurityException e) {
      throw new JOSEException(e.getMessage(), e);
    }
  }

  private static List<String> chats(JWTClaimsSet claims) {
    try {
      List<String> l = claims.getStringListClaim("chats");
      return l == null ? List.of() : l;
    } catch (ParseException e) {
      return List.of();
    }
  }

  private static @Nullable String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n != null && n.isTextual() ? n.asText() : null;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new LinkedHashMap<>();
    if (raw == null) {
      return m;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      String v = eq < 0 ? "" : part.substring(eq + 1);
      m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return m;
  }

  private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    ObjectNode err = out.putObject("error");
    err.put("code", code);
    err.put("message", message);
    send(ex, status, out);
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  // ---------------------------------------------------------------- processing

  private Inbox inbox(String sub) {
    return inboxes.computeIfAbsent(sub, k -> new Inbox());
  }

  private Conversation conversation(String key) {
    return conversations.computeIfAbsent(key, k -> new Conversation());
  }

  private void spawn(Runnable r) {
    if (closed) {
      return;
    }
    Thread t = Thread.ofVirtual().name("naive-bot-worker").unstarted(() -> {
      try {
        r.run();
      } finally {
        workers.remove(Thread.currentThread());
      }
    });
    workers.add(t);
    t.start();
    if (closed) {
      t.interrupt();
    }
  }

  private void accept(Msg m) {
    switch (fault) {
      case SHARED_STATE -> spawn(() -> runQuietly(() -> processSharedState(m)));
      case REORDER -> spawn(() -> runQuietly(() -> {
        sleep(ThreadLocalRandom.current().nextInt(4 * workMs + 1));
        processReorder(m);
      }));
      default -> enqueue(m);
    }
  }

  /** Per-conversation FIFO: one drainer per conversation at a time, conversations in parallel. */
  private void enqueue(Msg m) {
    Conversation c = conversation(m.key());
    boolean start;
    synchronized (c) {
      c.queue.addLast(m);
      start = !c.draining;
      c.draining = true;
    }
    if (start) {
      spawn(() -> drain(c));
    }
  }

  private void drain(Conversation c) {
    while (true) {
      Msg m;
      synchronized (c) {
        m = c.queue.pollFirst();
        if (m == null) {
          c.draining = false;
          return;
        }
      }
      if (!runQuietly(() -> processOrdered(c, m))) {
        return; // interrupted (closing or deadlocked): this conversation stays stuck
      }
    }
  }

  private interface Step {
    void run() throws InterruptedException;
  }

  /** Runs a step; false when interrupted. Runtime failures are swallowed (the message stays unanswered). */
  private static boolean runQuietly(Step s) {
    try {
      s.run();
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (RuntimeException e) {
      return true;
    }
  }

  private void sleep(long ms) throws InterruptedException {
    if (ms > 0) {
      Thread.sleep(ms);
    }
  }

  private static String nonce(String text) {
    Matcher m = NONCE.matcher(text);
    return m.find() ? m.group() : null;
  }

  private static List<String> with(List<String> list, String nonce) {
    if (nonce == null) {
      return list;
    }
    List<String> l = new ArrayList<>(list.size() + 1);
    l.addAll(list);
    l.add(nonce);
    return List.copyOf(l);
  }

  private static String codes(List<String> list) {
    return "codes: " + String.join(" ", list);
  }

  /** The ledger "tool": read balance, simulated work, write balance (under the lock except in TOOL_RACE). */
  private void ledgerTool(String text) throws InterruptedException {
    Matcher m = LEDGER_ADD.matcher(text);
    if (!m.find()) {
      return;
    }
    long k;
    try {
      k = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return;
    }
    if (fault == Fault.TOOL_RACE) {
      long read = ledgerBalance;
      sleep(workMs);
      ledgerBalance = read + k;
      return;
    }
    ledgerLock.lockInterruptibly();
    try {
      long read = ledgerBalance;
      sleep(workMs);
      ledgerBalance = read + k;
    } finally {
      ledgerLock.unlock();
    }
  }

  private long ledgerTotal() throws InterruptedException {
    if (fault == Fault.TOOL_RACE) {
      return ledgerBalance;
    }
    ledgerLock.lockInterruptibly();
    try {
      return ledgerBalance;
    } finally {
      ledgerLock.unlock();
    }
  }

  private String answer(String text, List<String> list) throws InterruptedException {
    return text.contains(LEDGER_TOTAL) ? "ledger total=" + ledgerTotal() : codes(list);
  }

  /** Modes with per-conversation FIFO: NONE, DUPLICATES, TOOL_RACE, DEADLOCK, INTERLEAVE. */
  private void processOrdered(Conversation c, Msg m) throws InterruptedException {
    if (fault == Fault.DEADLOCK) {
      // Two code paths take the two locks in opposite orders: every other message (in processing
      // order, whatever its id looks like) goes ledger -> context, the others context -> ledger.
      boolean ledgerFirst = (deadlockTurn.getAndIncrement() & 1) == 0;
      ReentrantLock first = ledgerFirst ? ledgerLock : contextLock;
      ReentrantLock second = ledgerFirst ? contextLock : ledgerLock;
      first.lockInterruptibly();
      try {
        sleep(workMs);
        second.lockInterruptibly();
        try {
          processCorrect(c, m);
        } finally {
          second.unlock();
        }
      } finally {
        first.unlock();
      }
    } else if (fault == Fault.INTERLEAVE) {
      processInterleave(m);
    } else {
      processCorrect(c, m);
    }
  }

  private void processCorrect(Conversation c, Msg m) throws InterruptedException {
    List<String> read;
    synchronized (c) {
      read = c.nonces;
    }
    ledgerTool(m.text());
    sleep(workMs);
    List<String> now = with(read, nonce(m.text()));
    synchronized (c) {
      c.nonces = now;
    }
    deliver(m.sub(), m.dest(), m, answer(m.text(), now));
  }

  /** INTERLEAVE: "the current conversation" lives in a shared field, read again after the work. */
  private void processInterleave(Msg m) throws InterruptedException {
    current = new Current(m.key(), m.sub(), m.dest());
    ledgerTool(m.text());
    sleep(workMs);
    Current cur = current; // may be another message's by now
    Conversation c = conversation(cur.key());
    List<String> now;
    synchronized (c) {
      now = with(c.nonces, nonce(m.text()));
      c.nonces = now;
    }
    deliver(cur.sub(), cur.dest(), m, answer(m.text(), now));
  }

  /** SHARED_STATE: plain HashMap, read-copy-modify-write, messages of a conversation in parallel. */
  private void processSharedState(Msg m) throws InterruptedException {
    List<String> read = sharedLists.get(m.key());
    List<String> copy = read == null ? new ArrayList<>() : new ArrayList<>(read);
    ledgerTool(m.text());
    sleep(workMs);
    String n = nonce(m.text());
    if (n != null) {
      copy.add(n);
    }
    sharedLists.put(m.key(), copy);
    deliver(m.sub(), m.dest(), m, answer(m.text(), List.copyOf(copy)));
  }

  /** REORDER: own thread after a random delay; the list is guarded, so only the order is off. */
  private void processReorder(Msg m) throws InterruptedException {
    Conversation c = conversation(m.key());
    ledgerTool(m.text());
    synchronized (c) {
      List<String> read = c.nonces;
      sleep(workMs);
      List<String> now = with(read, nonce(m.text()));
      c.nonces = now;
      deliver(m.sub(), m.dest(), m, answer(m.text(), now));
    }
  }

  /**
   * Delivers a reply to {@code m}: to {@code sub}'s inbox, or, when {@code to} is a Telegram chat,
   * with sendMessage to that chat (from the calling worker, waiting for the answer, so one
   * conversation's replies go out in order).
   */
  private void deliver(String sub, @Nullable Dest to, Msg m, String text) throws InterruptedException {
    Dest own = m.dest();
    switch (to) {
      case null -> inbox(sub).add(m.id(), text);
      case Tg tg -> sendTelegram(tg.chatId(), own instanceof Tg t ? t.messageId() : null, text);
      case Sl sl -> sendSlack(sl.channel(), own instanceof Sl o ? o.ts() : null, text);
    }
  }

  /** POSTs sendMessage; a non-2xx or I/O failure is retried {@value #TELEGRAM_RETRIES} times, then dropped. */
  private void sendTelegram(long chatId, @Nullable Long replyTo, String text) throws InterruptedException {
    HttpClient h = platformHttp;
    URI uri = sendMessageUri;
    if (h == null || uri == null) {
      return;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("chat_id", chatId);
    body.put("text", text);
    if (replyTo != null) {
      body.put("reply_to_message_id", replyTo.longValue());
    }
    HttpRequest req;
    try {
      req = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
          .timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    postWithRetries(h, req, false, "sendMessage to chat " + chatId);
  }

  /**
   * POSTs chat.postMessage {@code {"channel","text","thread_ts"}} with the bot token; a non-2xx, an answer
   * without {@code "ok":true} or an I/O failure is retried {@value #TELEGRAM_RETRIES} times, then dropped.
   */
  private void sendSlack(String channel, @Nullable String threadTs, String text) throws InterruptedException {
    HttpClient h = platformHttp;
    URI uri = postMessageUri;
    if (h == null || uri == null) {
      return;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("channel", channel);
    body.put("text", text);
    if (threadTs != null && !threadTs.isEmpty()) {
      body.put("thread_ts", threadTs);
    }
    HttpRequest req;
    try {
      req = HttpRequest.newBuilder(uri).header("Content-Type", "application/json; charset=utf-8")
          .header("Authorization", "Bearer " + botToken).timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    postWithRetries(h, req, true, "chat.postMessage to channel " + channel);
  }

  /** One platform call, retried after 50, 100, 200 ms; {@code slack}: the answer must also say {@code "ok":true}. */
  private void postWithRetries(HttpClient h, HttpRequest req, boolean slack, String what) throws InterruptedException {
    String why = "";
    for (int attempt = 0; attempt <= TELEGRAM_RETRIES; attempt++) {
      if (attempt > 0) {
        Thread.sleep(50L << (attempt - 1));
      }
      try {
        HttpResponse<byte[]> res = h.send(req, HttpResponse.BodyHandlers.ofByteArray());
        int status = res.statusCode();
        if (status / 100 == 2 && !slack) {
          return;
        }
        if (status / 100 == 2) {
          JsonNode answer = JSON.readTree(res.body());
          if (answer != null && answer.path("ok").asBoolean(false)) {
            return;
          }
          why = "error " + (answer == null ? "(no body)" : answer.path("error").asText("(none)"));
        } else {
          why = "HTTP " + status;
        }
      } catch (IOException e) {
        if (closed) {
          return;
        }
        why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      }
    }
    System.err.println("naive-bot: " + what + " dropped after " + (TELEGRAM_RETRIES + 1) + " attempts: " + why);
  }

  // ---------------------------------------------------------------- main

  public static void main(String[] args) throws Exception {
    int port = 0;
    String secret = null;
    Fault fault = Fault.NONE;
    int workMs = 2;
    URI telegramApi = null;
    String telegramSecret = null;
    URI slackApi = null;
    String slackSecret = null;
    String botToken = "probe";
    PrintStream err = System.err;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--port" -> port = Integer.parseInt(need(a, v));
        case "--jwt-secret" -> secret = need(a, v);
        case "--fault" -> fault = Fault.parse(need(a, v));
        case "--work-ms" -> workMs = Integer.parseInt(need(a, v));
        case "--telegram-api" -> telegramApi = URI.create(need(a, v));
        case "--telegram-secret" -> telegramSecret = need(a, v);
        case "--slack-api" -> slackApi = URI.create(need(a, v));
        case "--slack-secret" -> slackSecret = need(a, v);
        case "--bot-token" -> botToken = need(a, v);
        case "-h", "--help" -> {
          System.out.println("usage: naive-bot --port P --jwt-secret S [--fault none|shared-state|duplicates"
              + "|tool-race|deadlock|interleave|reorder] [--work-ms N]"
              + " [--telegram-api URL --telegram-secret S] [--slack-api URL --slack-secret S] [--bot-token T]");
          return;
        }
        default -> {
          err.println("naive-bot: unknown argument " + a);
          System.exit(2);
        }
      }
      i++;
    }
    if (secret == null) {
      err.println("naive-bot: --jwt-secret is required");
      System.exit(2);
    }
    if (telegramApi != null && (telegramSecret == null || telegramSecret.isEmpty())) {
      err.println("naive-bot: --telegram-secret is required with --telegram-api");
      System.exit(2);
    }
    if (slackApi != null && (slackSecret == null || slackSecret.isEmpty())) {
      err.println("naive-bot: --slack-secret is required with --slack-api");
      System.exit(2);
    }
    NaiveBot bot = start(port, secret, fault, workMs, telegramApi, telegramSecret == null ? "" : telegramSecret,
        slackApi, slackSecret == null ? "" : slackSecret, botToken);
    Runtime.getRuntime().addShutdownHook(new Thread(bot::close));
    System.out.println("naive-bot listening on http://127.0.0.1:" + bot.port() + " fault=" + fault.label()
        + (telegramApi == null ? "" : " telegram-webhook=http://127.0.0.1:" + bot.port() + TELEGRAM_WEBHOOK
            + " telegram-api=" + telegramApi)
        + (slackApi == null ? "" : " slack-webhook=http://127.0.0.1:" + bot.port() + SLACK_WEBHOOK
            + " slack-api=" + slackApi));
    System.out.flush();
    new java.util.concurrent.CountDownLatch(1).await();
  }

  private static String need(String flag, String v) {
    if (v == null) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return v;
  }
}
