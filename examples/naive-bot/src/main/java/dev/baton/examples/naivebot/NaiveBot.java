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
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.ParseException;
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

/**
 * A deliberately naive chat bot: a small HTTP server speaking a subset of Baton's message API,
 * written without Baton, that a {@link Fault} switches into one of the concurrency mistakes a
 * guide on agent concurrency warns about. {@link Fault#NONE} is the correct version. It exists to
 * prove that {@code baton probe} detects each mistake (and stays quiet on the correct bot).
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

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Fault fault;
  private final int workMs;
  private final byte[] secret;
  private final HttpServer server;
  private final ExecutorService httpExecutor;
  private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

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
  private volatile Current current = new Current("", "");

  private record Current(String key, String sub) {}

  private record Msg(String sub, String id, String text, String key) {}

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

  private NaiveBot(int port, String jwtSecret, Fault fault, int workMs) throws IOException {
    this.fault = fault;
    this.workMs = Math.max(0, workMs);
    this.secret = jwtSecret.getBytes(StandardCharsets.UTF_8);
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
    return new NaiveBot(port, jwtSecret, fault, workMs);
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

  private void postMessage(HttpExchange ex) throws IOException {
    JWTClaimsSet claims = authenticate(ex);
    if (claims == null) {
      return;
    }
    String sub = claims.getSubject();
    JsonNode body;
    try (InputStream in = ex.getRequestBody()) {
      body = JSON.readTree(in);
    } catch (IOException e) {
      error(ex, 400, "bad_request", "body is not JSON");
      return;
    }
    if (body == null || !body.isObject()) {
      error(ex, 400, "bad_request", "body must be a JSON object");
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
    accept(new Msg(sub, id, text, key));
    out.put("status", "accepted");
    send(ex, 202, out);
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

  private static String text(JsonNode body, String field) {
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
    inbox(m.sub()).add(m.id(), answer(m.text(), now));
  }

  /** INTERLEAVE: "the current conversation" lives in a shared field, read again after the work. */
  private void processInterleave(Msg m) throws InterruptedException {
    current = new Current(m.key(), m.sub());
    ledgerTool(m.text());
    sleep(workMs);
    Current cur = current; // may be another message's by now
    Conversation c = conversation(cur.key());
    List<String> now;
    synchronized (c) {
      now = with(c.nonces, nonce(m.text()));
      c.nonces = now;
    }
    inbox(cur.sub()).add(m.id(), answer(m.text(), now));
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
    inbox(m.sub()).add(m.id(), answer(m.text(), List.copyOf(copy)));
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
      inbox(m.sub()).add(m.id(), answer(m.text(), now));
    }
  }

  // ---------------------------------------------------------------- main

  public static void main(String[] args) throws Exception {
    int port = 0;
    String secret = null;
    Fault fault = Fault.NONE;
    int workMs = 2;
    PrintStream err = System.err;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--port" -> port = Integer.parseInt(need(a, v));
        case "--jwt-secret" -> secret = need(a, v);
        case "--fault" -> fault = Fault.parse(need(a, v));
        case "--work-ms" -> workMs = Integer.parseInt(need(a, v));
        case "-h", "--help" -> {
          System.out.println("usage: naive-bot --port P --jwt-secret S [--fault none|shared-state|duplicates"
              + "|tool-race|deadlock|interleave|reorder] [--work-ms N]");
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
    NaiveBot bot = start(port, secret, fault, workMs);
    Runtime.getRuntime().addShutdownHook(new Thread(bot::close));
    System.out.println("naive-bot listening on http://127.0.0.1:" + bot.port() + " fault=" + fault.label());
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
