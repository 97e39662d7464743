package dev.baton.mcp.internal;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/*
 * Overview. A stdio transport for one server process: Baton starts the process (command, args, env, working
 * dir), writes one JSON-RPC message per line to its stdin and reads one per line from its stdout. Unlike the
 * SDK's StdioClientTransport it owns the Process, so it knows when the server died (onExit) and can end it
 * (destroyForcibly) when it hangs; the connection uses both.
 *
 * Concurrency. sendMessage may be called from any thread: writes are serialised on the stdin stream's
 * monitor. One virtual thread reads stdout, one reads stderr (logged at DEBUG, never at INFO: a server may
 * print what the model sent it). The exit callback runs once, on the JDK's process reaper.
 *
 * Failure. A write to a dead process fails the Mono; a line that is not JSON-RPC is logged and skipped.
 */
final class StdioTransport implements McpClientTransport {
  private static final Logger log = LoggerFactory.getLogger(StdioTransport.class);

  private final String server;
  private final List<String> command;
  private final Map<String, String> env;
  private final @Nullable Path workingDir;
  private final McpJsonMapper json;
  private final Consumer<Process> onExit;
  private volatile @Nullable Process process;
  private volatile boolean closing;

  StdioTransport(String server, List<String> command, Map<String, String> env, @Nullable Path workingDir,
      McpJsonMapper json, Consumer<Process> onExit) {
    this.server = server;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.workingDir = workingDir;
    this.json = json;
    this.onExit = onExit;
  }

  @Override
  public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    return Mono.fromRunnable(() -> {
      ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
      pb.environment().putAll(env);
      if (workingDir != null) pb.directory(workingDir.toFile());
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new IllegalStateException("MCP server '" + server + "' could not be started: " + e.getMessage(), e);
      }
      this.process = p;
      Thread.ofVirtual().name("mcp-" + server + "-out").start(() -> readOut(p, handler));
      Thread.ofVirtual().name("mcp-" + server + "-err").start(() -> readErr(p));
      var unused = p.onExit().thenAccept(onExit); // runs once, when the process has ended
    });
  }

  private void readOut(Process p, Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        McpSchema.JSONRPCMessage m;
        try {
          m = McpSchema.deserializeJsonRpcMessage(json, line);
        } catch (IOException | RuntimeException e) {
          log.warn("MCP server '{}' wrote a line that is not a JSON-RPC message ({} chars); skipped", server,
              line.length());
          continue;
        }
        handler.apply(Mono.just(m)).subscribe(ignored -> {}, e -> log.debug("MCP server '{}': handler failed", server, e));
      }
    } catch (IOException e) {
      if (!closing) log.debug("MCP server '{}': stdout ended: {}", server, e.toString());
    }
  }

  private void readErr(Process p) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) log.debug("MCP server '{}' stderr: {}", server, line);
    } catch (IOException e) {
      // the process ended
    }
  }

  @Override
  public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
    return Mono.fromRunnable(() -> {
      Process p = process;
      if (p == null || !p.isAlive()) throw new IllegalStateException("MCP server '" + server + "' is not running");
      try {
        String line = json.writeValueAsString(message).replace("\r", "\\r").replace("\n", "\\n");
        OutputStream out = p.getOutputStream();
        synchronized (out) {
          out.write(line.getBytes(StandardCharsets.UTF_8));
          out.write('\n');
          out.flush();
        }
      } catch (IOException e) {
        throw new IllegalStateException("MCP server '" + server + "' did not take the message: " + e.getMessage(), e);
      }
    });
  }

  /** The running process, if any. */
  @Nullable Process process() {
    return process;
  }

  /** Ends the process at once (a hung or replaced server). */
  void kill() {
    closing = true;
    Process p = process;
    if (p != null) p.destroyForcibly();
  }

  @Override
  public Mono<Void> closeGracefully() {
    return Mono.fromRunnable(() -> {
      closing = true;
      Process p = process;
      if (p == null) return;
      try {
        p.getOutputStream().close(); // a stdio server ends when its input ends
      } catch (IOException ignored) {
        // already gone
      }
      try {
        if (!p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    });
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return json.convertValue(data, typeRef);
  }
}
