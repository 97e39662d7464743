package dev.baton.mcp.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.McpConfig;
import dev.baton.spi.Scheduler;
import dev.baton.tools.ToolException;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/*
 * Overview. One configured MCP server: its live session (client + transport + the tools it listed), the calls in
 * flight on it, and its restarts.
 *   - A call registers in the session's in-flight map under a tag it also sends in the request's _meta; the
 *     transport wrapper (Tracking) notes the JSON-RPC id the SDK gives that request, so a call that Baton's
 *     runtime interrupts (its timeout, a cancelled turn) sends `notifications/cancelled` with that id — the SDK
 *     itself only drops the pending response.
 *   - A call that timed out makes the connection ping the server; no answer within ping_timeout_ms (on the
 *     injected Scheduler) means the server hangs: it is stopped (stdio: killed) and handled as dead.
 *   - Death (the stdio process exits, or the hang check above): the session is marked dead once, every call in
 *     flight on it ends with a retriable ToolException `unavailable` naming the server (the outcome is unknown,
 *     so nothing is recorded for idempotency and a retry runs again), and a restart is scheduled after
 *     restart_initial_backoff_ms * 2^(n-1), capped at restart_max_backoff_ms, n = failed starts since the last
 *     session that stayed up at least restart_max_backoff_ms. Each restart lists the tools again.
 *   - Calls while no session is live fail at once with `unavailable` (retriable).
 *
 * Concurrency. Thread-safe. `mu` guards live/failures/closed/pendingRestart; no I/O and no callback runs under
 * it. Session fields are final or volatile; in-flight entries are completed exactly once (CompletableFuture).
 * Connecting blocks (at most connect_timeout_ms) on the thread that starts or restarts the server: the caller
 * of start(), or a virtual thread the Scheduler's timer spawns.
 *
 * Failure. Nothing the server sends reaches the model as a stack trace: errors become ToolExceptions with
 * messages written here (a JSON-RPC error's own message is passed on, cut to 300 characters).
 */
public final class ServerConnection implements dev.baton.mcp.McpServerStatus, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);
  static final String TAG = "dev.baton/call";
  static final McpJsonMapper JSON = new JacksonMcpJsonMapper(new ObjectMapper());

  private final String name;
  private final McpConfig.Server config;
  private final Scheduler scheduler;
  private final Object mu = new Object();
  private final AtomicLong generations = new AtomicLong();
  private final AtomicLong restarts = new AtomicLong();
  // Guarded by mu.
  private @Nullable Session live;
  private int failures;
  private boolean closed;
  private Scheduler.@Nullable Cancellable pendingRestart;

  private final Map<String, String> parentEnv;

  public ServerConnection(String name, McpConfig.Server config, Scheduler scheduler) {
    this(name, config, scheduler, System.getenv());
  }

  /** With the environment a stdio server's is drawn from (Baton's own, or a test's). */
  ServerConnection(String name, McpConfig.Server config, Scheduler scheduler, Map<String, String> parentEnv) {
    this.name = name;
    this.config = config;
    this.scheduler = scheduler;
    this.parentEnv = Map.copyOf(parentEnv);
  }

  @Override
  public String name() {
    return name;
  }

  McpConfig.Server config() {
    return config;
  }

  /** Connects for the first time; throws with a clear message when the server does not start. */
  public void start() {
    Session s = connect();
    synchronized (mu) {
      if (!s.dead) live = s; // a server that died right after it started: died() already scheduled a restart
    }
  }

  /** The tools the live session listed (empty while none is live). */
  public List<McpSchema.Tool> tools() {
    Session s = current();
    return s == null ? List.of() : List.copyOf(s.tools.values());
  }

  /** Restarts so far (tests, admin). */
  @Override
  public long restarts() {
    return restarts.get();
  }

  /** Whether a session is live. */
  @Override
  public boolean checking() {
    Session s = current();
    return s != null && s.pinging.get();
  }

  @Override
  public boolean running() {
    return current() != null;
  }

  private @Nullable Session current() {
    synchronized (mu) {
      return live;
    }
  }

  /**
   * Calls {@code tool} and waits for its result. Interruptible: interrupted (Baton's timeout), it cancels the
   * request at the server and rethrows.
   */
  McpSchema.CallToolResult call(String tool, Map<String, Object> arguments) throws InterruptedException {
    Session s = current();
    if (s == null) {
      throw new ToolException("unavailable", "MCP server '" + name + "' is restarting; try again shortly", true);
    }
    if (!s.tools.containsKey(tool)) {
      throw new ToolException("unavailable", "MCP server '" + name + "' no longer offers tool '" + tool + "'", true);
    }
    String tag = UUID.randomUUID().toString();
    InFlight f = new InFlight();
    s.inflight.put(tag, f);
    try {
      if (s.dead) throw s.deathError();
      McpSchema.CallToolRequest req = McpSchema.CallToolRequest.builder(tool).arguments(arguments)
          .meta(Map.of(TAG, tag)).build();
      f.subscription = s.client.callTool(req).subscribe(f.result::complete, f.result::completeExceptionally);
      try {
        return f.result.get();
      } catch (InterruptedException e) {
        log.debug("MCP server '{}': call of {} interrupted; cancelling it (request id {})", name, tool, f.requestId);
        cancel(s, f);
        checkAlive(s);
        throw e;
      } catch (ExecutionException e) {
        throw translate(s, e.getCause());
      }
    } finally {
      s.inflight.remove(tag);
    }
  }

  private ToolException translate(Session s, @Nullable Throwable e) {
    if (e instanceof ToolException t) return t;
    if (e instanceof McpError m) {
      String msg = m.getMessage() == null ? "an error" : m.getMessage();
      if (msg.length() > 300) msg = msg.substring(0, 300) + "...";
      return new ToolException("mcp_error", "MCP server '" + name + "' answered with an error: " + msg);
    }
    checkAlive(s);
    return new ToolException("unavailable", "MCP server '" + name + "' did not complete the call ("
        + (e == null ? "no reason" : e.getClass().getSimpleName()) + "); try again", true);
  }

  /** Drops the pending response and tells the server: notifications/cancelled with the request's id. */
  private void cancel(Session s, InFlight f) {
    Disposable d = f.subscription;
    if (d != null) d.dispose();
    Object id = f.requestId;
    if (id == null || s.dead) return;
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("requestId", id);
    params.put("reason", "cancelled by Baton (the call's timeout or its turn ended)");
    s.transport.sendMessage(new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION,
        "notifications/cancelled", params))
        .subscribe(ignored -> {}, e -> log.debug("MCP server '{}': cancellation not sent: {}", name, e.toString()));
  }

  /** After a timeout or a transport error: the server must answer a ping within ping_timeout_ms. */
  private void checkAlive(Session s) {
    log.debug("MCP server '{}': checking it is alive (dead {}, pinging {})", name, s.dead, s.pinging.get());
    if (s.dead || !s.pinging.compareAndSet(false, true)) return;
    CompletableFuture<Object> pong = s.client.ping().toFuture();
    Scheduler.Cancellable timer = scheduler.schedule(Duration.ofMillis(config.pingTimeoutMs()), () -> {
      if (pong.isDone()) return;
      log.warn("MCP server '{}' did not answer a ping within {} ms after a call failed; it is taken as hung,"
          + " stopped and restarted", name, config.pingTimeoutMs());
      died(s, "hung (no answer to a ping within " + config.pingTimeoutMs() + " ms)");
    });
    pong.whenComplete((v, e) -> {
      log.debug("MCP server '{}': ping after a failed call answered ({})", name, e == null ? "ok" : e.toString());
      timer.cancel();
      s.pinging.set(false);
      if (e != null) died(s, "stopped answering (" + e.getClass().getSimpleName() + ")");
    });
  }

  /** The session ended (process exit, hang, transport failure): end its calls, schedule a restart. Once. */
  private void died(Session s, String how) {
    synchronized (mu) {
      if (s.dead) return;
      s.dead = true;
      s.how = how;
      if (live == s) live = null;
      if (scheduler.nanoTime() - s.startedNanos >= Duration.ofMillis(config.restartMaxBackoffMs()).toNanos()) {
        failures = 0;
      }
    }
    ToolException err = s.deathError();
    for (InFlight f : s.inflight.values()) f.result.completeExceptionally(err);
    s.shutdown();
    log.warn("MCP server '{}' {}; its calls in flight failed; restarting it", name, how);
    scheduleRestart();
  }

  private void scheduleRestart() {
    long delay;
    synchronized (mu) {
      if (closed) return;
      failures++;
      delay = backoffMs(failures, config.restartInitialBackoffMs(), config.restartMaxBackoffMs());
      pendingRestart = scheduler.schedule(Duration.ofMillis(delay),
          () -> Thread.ofVirtual().name("mcp-" + name + "-restart").start(this::restart));
    }
    log.info("MCP server '{}': restart attempt {} in {} ms", name, failures, delay);
  }

  /** initial * 2^(attempt-1), capped at max. */
  public static long backoffMs(int attempt, long initial, long max) {
    int shift = Math.min(attempt - 1, 40);
    long d = initial << shift;
    return d <= 0 || d > max || (d >> shift) != initial ? max : d;
  }

  private void restart() {
    synchronized (mu) {
      if (closed) return;
      pendingRestart = null;
    }
    Session s;
    try {
      s = connect();
    } catch (RuntimeException e) {
      log.warn("MCP server '{}': restart failed: {}", name, e.getMessage());
      scheduleRestart();
      return;
    }
    boolean keep;
    synchronized (mu) {
      keep = !closed && !s.dead; // dead already: died() ran (and scheduled the next restart)
      if (keep) live = s;
    }
    if (!keep) {
      if (!s.dead) s.shutdown();
      return;
    }
    restarts.incrementAndGet();
    log.info("MCP server '{}' restarted; it offers {} tools", name, s.tools.size());
  }

  private Session connect() {
    long gen = generations.incrementAndGet();
    Session[] self = new Session[1];
    McpClientTransport raw;
    if (!config.command().isEmpty()) {
      List<String> cmd = new ArrayList<>();
      cmd.add(config.command());
      cmd.addAll(config.args());
      raw = new StdioTransport(name, cmd, StdioTransport.environment(parentEnv, config.inheritEnv(), config.env()),
          config.workingDir().isEmpty() ? null : Path.of(config.workingDir()), JSON,
          (int) config.maxMessageBytes(), scheduler::nanoTime, p -> {
            Session s = self[0];
            if (s != null) died(s, "stopped (exit code " + p.exitValue() + ")");
          }, how -> {
            Session s = self[0];
            if (s != null) died(s, how);
          });
    } else {
      URI u = URI.create(config.url());
      String base = u.getScheme() + "://" + u.getRawAuthority();
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      if (u.getRawQuery() != null) path += "?" + u.getRawQuery();
      HttpRequest.Builder rb = HttpRequest.newBuilder();
      config.headers().forEach(rb::header);
      raw = HttpClientStreamableHttpTransport.builder(base).endpoint(path).requestBuilder(rb).jsonMapper(JSON)
          .connectTimeout(Duration.ofMillis(config.connectTimeoutMs())).build();
    }
    Map<String, InFlight> inflight = new ConcurrentHashMap<>();
    Tracking transport = new Tracking(raw, inflight);
    Duration connect = Duration.ofMillis(config.connectTimeoutMs());
    McpAsyncClient client = McpClient.async(transport)
        .clientInfo(McpSchema.Implementation.builder("baton", "0.1").build())
        .initializationTimeout(connect)
        // Baton's runtime times calls out first; this only bounds requests nobody waits for any more.
        .requestTimeout(Duration.ofMillis(Math.max(config.timeoutMs(), config.connectTimeoutMs()) * 2))
        .build();
    Map<String, McpSchema.Tool> tools = new LinkedHashMap<>();
    try {
      client.initialize().block(connect);
      String cursor = null;
      do {
        McpSchema.ListToolsResult page = client.listTools(cursor).block(connect);
        if (page == null) break;
        for (McpSchema.Tool t : page.tools()) tools.put(t.name(), t);
        cursor = page.nextCursor();
      } while (cursor != null);
    } catch (RuntimeException e) {
      quietly(client, raw);
      Throwable c = e.getCause() != null && e.getMessage() != null && e.getMessage().contains("Exception") ? e.getCause() : e;
      throw new IllegalStateException("MCP server '" + name + "' did not start: " + describe(c), e);
    }
    Session s = new Session(gen, client, transport, raw, Map.copyOf(tools), inflight, scheduler.nanoTime());
    self[0] = s;
    if (raw instanceof StdioTransport st && (st.process() == null || !st.process().isAlive())) {
      died(s, "stopped right after it started");
    }
    return s;
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }

  private static void quietly(McpAsyncClient client, McpClientTransport raw) {
    try {
      client.close();
    } catch (RuntimeException ignored) {
      // closing what failed to start
    }
    if (raw instanceof StdioTransport st) st.kill();
  }

  @Override
  public void close() {
    Session s;
    synchronized (mu) {
      closed = true;
      s = live;
      live = null;
      if (pendingRestart != null) pendingRestart.cancel();
    }
    if (s != null) {
      s.dead = true;
      s.how = "was stopped (Baton is shutting down)";
      for (InFlight f : s.inflight.values()) f.result.completeExceptionally(s.deathError());
      s.shutdown();
    }
  }

  /** The process id of a live stdio server (tests). */
  @Override
  public long pid() {
    Session s = current();
    if (s != null && s.raw instanceof StdioTransport st && st.process() != null) return st.process().pid();
    return -1;
  }

  private static final class InFlight {
    final CompletableFuture<McpSchema.CallToolResult> result = new CompletableFuture<>();
    volatile @Nullable Disposable subscription;
    volatile @Nullable Object requestId;
  }

  private final class Session {
    final long generation;
    final McpAsyncClient client;
    final McpClientTransport transport;
    final McpClientTransport raw;
    final Map<String, McpSchema.Tool> tools;
    final Map<String, InFlight> inflight;
    final long startedNanos;
    final java.util.concurrent.atomic.AtomicBoolean pinging = new java.util.concurrent.atomic.AtomicBoolean();
    volatile boolean dead;
    volatile String how = "";

    Session(long generation, McpAsyncClient client, McpClientTransport transport, McpClientTransport raw,
        Map<String, McpSchema.Tool> tools, Map<String, InFlight> inflight, long startedNanos) {
      this.generation = generation;
      this.client = client;
      this.transport = transport;
      this.raw = raw;
      this.tools = tools;
      this.inflight = inflight;
      this.startedNanos = startedNanos;
    }

    ToolException deathError() {
      return new ToolException("unavailable", "MCP server '" + name + "' " + how + " during the call; Baton"
          + " restarts it. The call may or may not have taken effect; retry if it is safe to.", true);
    }

    void shutdown() {
      if (raw instanceof StdioTransport st) st.kill();
      try {
        client.close();
      } catch (RuntimeException e) {
        log.debug("MCP server '{}' (session {}): close failed: {}", name, generation, e.toString());
      }
    }
  }

  /** Notes the JSON-RPC id of each tools/call request by the call's tag, for notifications/cancelled. */
  private static final class Tracking implements McpClientTransport {
    private final McpClientTransport delegate;
    private final Map<String, InFlight> inflight;

    Tracking(McpClientTransport delegate, Map<String, InFlight> inflight) {
      this.delegate = delegate;
      this.inflight = inflight;
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
      return delegate.connect(handler);
    }

    @Override
    public void setExceptionHandler(java.util.function.Consumer<Throwable> handler) {
      delegate.setExceptionHandler(handler);
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
      if (message instanceof McpSchema.JSONRPCRequest r && McpSchema.METHOD_TOOLS_CALL.equals(r.method())
          && r.params() instanceof McpSchema.CallToolRequest c && c.meta() != null
          && c.meta().get(TAG) instanceof String tag) {
        InFlight f = inflight.get(tag);
        if (f != null) f.requestId = r.id();
      }
      return delegate.sendMessage(message);
    }

    @Override
    public Mono<Void> closeGracefully() {
      return delegate.closeGracefully();
    }

    @Override
    public void close() {
      delegate.close();
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
      return delegate.unmarshalFrom(data, typeRef);
    }

    @Override
    public List<String> protocolVersions() {
      return delegate.protocolVersions();
    }
  }
}
