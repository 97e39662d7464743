package dev.baton.mcp;

import dev.baton.config.McpConfig;
import dev.baton.spi.Scheduler;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Tool;
import dev.baton.mcp.internal.ServerConnection;
import dev.baton.mcp.internal.ToolCatalog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tools of the MCP servers in {@code tools.mcp.servers}, as ordinary Baton {@link Tool}s named
 * {@code <server>.<tool>}: register them with {@link #addTo} (or {@link BatonTools.Builder#tool} each) and every
 * agent that sees the tool runtime — the openai and LangChain4j agents, any agent on {@code turn.tools()} —
 * is offered them, and every call goes through the runtime's locks, idempotency, timeouts and deadlock
 * detection.
 *
 * <pre>{@code
 * try (McpTools mcp = McpTools.start(config.tools().mcp(), scheduler)) {
 *   BatonTools tools = mcp.addTo(BatonTools.builder().config(config).scheduler(scheduler)).build();
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Concurrency.</b> Thread-safe. {@link #start} blocks until every server answered {@code initialize}
 * and {@code tools/list} (each within its {@code connect_timeout_ms}). A server that dies or hangs later is
 * restarted in the background with backoff (timed by the given {@link Scheduler}).
 */
public final class McpTools implements AutoCloseable {
  private final Map<String, ServerConnection> servers;
  private final List<Tool> tools;

  private McpTools(Map<String, ServerConnection> servers, List<Tool> tools) {
    this.servers = servers;
    this.tools = tools;
  }

  /**
   * Starts (stdio) or connects (HTTP) every configured server and lists its tools.
   *
   * @throws IllegalStateException naming the server, if one does not start, or if a lock rule names a tool the
   *     server does not offer; the servers started so far are stopped
   */
  public static McpTools start(McpConfig config, Scheduler scheduler) {
    Map<String, ServerConnection> servers = new LinkedHashMap<>();
    List<Tool> tools = new ArrayList<>();
    try {
      for (Map.Entry<String, McpConfig.Server> e : new java.util.TreeMap<>(config.servers()).entrySet()) {
        ServerConnection c = new ServerConnection(e.getKey(), e.getValue(), scheduler);
        servers.put(e.getKey(), c);
        c.start();
        tools.addAll(ToolCatalog.of(c));
      }
    } catch (RuntimeException e) {
      servers.values().forEach(ServerConnection::close);
      throw e;
    }
    return new McpTools(Map.copyOf(servers), List.copyOf(tools));
  }

  /** No servers, no tools. */
  public static McpTools none() {
    return new McpTools(Map.of(), List.of());
  }

  /** The Baton tools of all servers, as listed at start. */
  public List<Tool> tools() {
    return tools;
  }

  /** Registers every tool with {@code b}; returns {@code b}. */
  public BatonTools.Builder addTo(BatonTools.Builder b) {
    tools.forEach(b::tool);
    return b;
  }

  /** A server's connection by its configured name (status: running, restarts, pid). */
  public Optional<McpServerStatus> server(String name) {
    return Optional.ofNullable(servers.get(name));
  }

  @Override
  public void close() {
    servers.values().forEach(ServerConnection::close);
  }
}
