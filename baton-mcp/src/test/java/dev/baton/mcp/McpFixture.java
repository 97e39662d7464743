package dev.baton.mcp;

import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.AgentConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.McpConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.examples.mcpfiles.McpFileServer;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.MapSessionState;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * The example MCP file server as a REAL separate process (the current java binary, this test's class path),
 * connected by {@link McpTools} and registered with a {@link BatonTools} on a {@link ManualScheduler}.
 */
final class McpFixture implements AutoCloseable {
  static final long CALL_TIMEOUT_MS = 2_000;
  static final long PING_TIMEOUT_MS = 1_000;
  static final long BACKOFF_MS = 500;
  static final Duration REAL_TIME_LIMIT = Duration.ofSeconds(30);

  final ManualScheduler clock = new ManualScheduler();
  final Path dir;
  final McpTools mcp;
  final BatonTools tools;
  private final AtomicLong turnSeq = new AtomicLong();

  McpFixture(Path dir, List<McpConfig.LockRule> rules, List<Tool> extra) {
    this(dir, s -> s.withResources(rules), extra);
  }

  McpFixture(Path dir, UnaryOperator<McpConfig.Server> server, List<Tool> extra) {
    this(dir, server, extra, false);
  }

  /** With {@code unlocked}: a second server `free` (another process, its own folder) without lock rules. */
  McpFixture(Path dir, UnaryOperator<McpConfig.Server> server, List<Tool> extra, boolean unlocked) {
    this.dir = dir;
    McpConfig.Server s = server.apply(serverConfig(dir.resolve("files")));
    Map<String, McpConfig.Server> servers = new java.util.HashMap<>(Map.of("files", s));
    if (unlocked) servers.put("free", serverConfig(dir.resolve("free")));
    this.mcp = McpTools.start(new McpConfig(servers), clock);
    BatonConfig c = BatonConfig.defaults();
    AgentConfig a = c.agent();
    c = c.withAgent(new AgentConfig(a.type(), a.turnTimeoutMs(), a.concurrency(), 30_000,
        new DeadlockDetectionConfig(true, 5_000, DeadlockDetectionConfig.OnDeadlock.KILL_OLDEST_WAITER), a.openai()));
    c = c.withTools(new ToolsConfig(dir.resolve("ws").toString(), 3_600_000));
    BatonTools.Builder b = BatonTools.builder().config(c).scheduler(clock).builtIns(false);
    extra.forEach(b::tool);
    this.tools = mcp.addTo(b).build();
  }

  /** The example server started by `java -cp <this class path> McpFileServer <dir>`. */
  static McpConfig.Server serverConfig(Path folder) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return McpConfig.Server.stdio(java, List.of("-cp", System.getProperty("java.class.path"),
            McpFileServer.class.getName(), folder.toString()))
        .withTimeouts(CALL_TIMEOUT_MS, PING_TIMEOUT_MS).withBackoff(BACKOFF_MS, 4 * BACKOFF_MS);
  }

  Tools bind(String user) {
    TurnContext t = new TurnContext(SessionKey.user("api", user), user, List.of("m"), "trace",
        turnSeq.incrementAndGet(), clock.now().plus(Duration.ofHours(1)));
    return tools.bind(t, new MapSessionState());
  }

  ServerConnectionView server() {
    return new ServerConnectionView(mcp.server("files").orElseThrow());
  }

  record ServerConnectionView(McpServerStatus c) {
    boolean running() {
      return c.running();
    }

    boolean checking() {
      return c.checking();
    }

    long restarts() {
      return c.restarts();
    }

    long pid() {
      return c.pid();
    }
  }

  String events() throws java.io.IOException {
    Path p = dir.resolve("files").resolve(".events");
    return Files.exists(p) ? Files.readString(p) : "";
  }

  static String code(ToolResult r) {
    return r instanceof ToolResult.Failed f ? f.code() : "ok";
  }

  static String message(ToolResult r) {
    return r instanceof ToolResult.Failed f ? f.message() : ((ToolResult.Ok) r).json();
  }

  static void until(String what, BooleanSupplier cond) {
    long end = System.nanoTime() + REAL_TIME_LIMIT.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("timed out waiting for: " + what);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  long lockWaits() {
    return tools.snapshot().waits().stream().filter(w -> w.waitsFor().startsWith("lock")).count();
  }

  @Override
  public void close() {
    try {
      tools.close();
    } finally {
      mcp.close();
    }
  }
}
