package dev.baton.mcp.internal;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/*
 * Overview. A stdio transport for one server process: Baton starts the process (command, args, env, working
 * dir), writes one JSON-RPC message per line to its stdin and reads one per line from its stdout. Unlike the
 * SDK's StdioClientTransport it owns the Process, so it knows when the server died (onExit) and can end it
 * (with its descendants) when it hangs; the connection uses both.
 *
 * Environment. The process gets only ALLOWED_ENV of Baton's environment (those set) plus the server's `env`;
 * with inherit_env all of it. Baton's secrets (admin token, API keys, channel secrets) do not reach a server
 * that does not need them.
 *
 * Bounds. stdout is read as bytes, one message at most max_message_bytes: a longer line ends the server (it is
 * killed, with its descendants, and onOversize runs) rather than being held. stderr is read in fixed chunks;
 * at most STDERR_LINE_CHARS of a line are kept, and lines are logged (DEBUG) through a LogLimiter. Lines that
 * are not JSON-RPC are logged (WARN) through another LogLimiter.
 *
 * Killing. kill() ends the process's descendants first (a `sh -c` or `npx` wrapper's child would otherwise keep
 * the pipe and go on writing after its locks were released), then the process, and waits for both, bounded by
 * KILL_WAIT. A process that already ended by itself leaves orphans Baton can no longer find (the JDK offers no
 * process groups); a wrapper should `exec` the real server.
 *
 * Concurrency. sendMessage may be called from any thread: writes are serialised on the stdin stream's
 * monitor. One virtual thread reads stdout, one reads stderr (logged at DEBUG, never at INFO: a server may
 * print what the model sent it). The exit callback runs once, on the JDK's process reaper.
 *
 * Failure. A write to a dead process fails the Mono; a line that is not JSON-RPC is logged and skipped. A reader
 * that fails unexpectedly (RuntimeException, Error) logs it and kills the process, so the connection sees the
 * exit and fails the calls in flight instead of leaving them waiting.
 */
final class StdioTransport implements McpClientTransport {
  private static final Logger log = LoggerFactory.getLogger(StdioTransport.class);

  /** Of Baton's environment, what a server gets without inherit_env (each only if set). */
  static final List<String> ALLOWED_ENV = List.of("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "JAVA_HOME",
      "SYSTEMROOT");
  static final int STDERR_LINE_CHARS = 1_000;
  static final int LOG_BURST = 20;
  static final Duration KILL_WAIT = Duration.ofSeconds(5);
  private static final int CHUNK = 8_192;

  private final String server;
  private final List<String> command;
  private final Map<String, String> env;
  private final @Nullable Path workingDir;
  private final McpJsonMapper json;
  private final int maxMessageBytes;
  private final Consumer<Process> onExit;
  private final Consumer<String> onOversize;
  private final LogLimiter stderrLog;
  private final LogLimiter junkLog;
  private volatile @Nullable Process process;
  private volatile boolean closing;

  /**
   * @param env the whole environment of the process (see {@link #environment})
   * @param onOversize called (once) with a description when the server wrote a message over the limit; the
   *     process is already being killed
   */
  StdioTransport(String server, List<String> command, Map<String, String> env, @Nullable Path workingDir,
      McpJsonMapper json, int maxMessageBytes, LongSupplier nanos, Consumer<Process> onExit,
      Consumer<String> onOversize) {
    this.server = server;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.workingDir = workingDir;
    this.json = json;
    this.maxMessageBytes = maxMessageBytes;
    this.onExit = onExit;
    this.onOversize = onOversize;
    this.stderrLog = new LogLimiter(LOG_BURST, nanos);
    this.junkLog = new LogLimiter(LOG_BURST, nanos);
  }

  /** A server's environment: ALLOWED_ENV of {@code parent} (or all of it, inheriting), then {@code configured}. */
  static Map<String, String> environment(Map<String, String> parent, boolean inherit, Map<String, String> configured) {
    Map<String, String> out = new LinkedHashMap<>();
    if (inherit) {
      out.putAll(parent);
    } else {
      for (String k : ALLOWED_ENV) {
        String v = parent.get(k);
        if (v != null) out.put(k, v);
      }
    }
    out.putAll(configured);
    return out;
  }

  /** Stdout lines that were not JSON-RPC messages so far. */
  long nonJsonLines() {
    return junkLog.total();
  }

  @Override
  public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    return Mono.fromRunnable(() -> {
      ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
      pb.environment().clear();
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
    try (InputStream in = p.getInputStream()) {
      LineBuffer line = new LineBuffer(Math.min(maxMessageBytes, 64 * 1024));
      byte[] buf = new byte[CHUNK];
      int n;
      while ((n = in.read(buf)) >= 0) {
        int from = 0;
        for (int i = 0; i < n; i++) {
          if (buf[i] != '\n') continue;
          if (!line.append(buf, from, i - from, maxMessageBytes)) {
            oversize(p);
            return;
          }
          deliver(line.takeString(), handler);
          from = i + 1;
        }
        if (!line.append(buf, from, n - from, maxMessageBytes)) {
          oversize(p);
          return;
        }
      }
      if (line.size() > 0) deliver(line.takeString(), handler);
    } catch (IOException e) {
      if (!closing) log.debug("MCP server '{}': stdout ended: {}", server, e.toString());
    } catch (RuntimeException | Error e) {
      log.error("MCP server '{}': reading its stdout failed ({}); stopping it", server, e.toString());
      kill(p);
      if (e instanceof VirtualMachineError v) throw v;
    }
  }

  private void oversize(Process p) {
    log.warn("MCP server '{}' wrote a message longer than max_message_bytes ({} bytes); stopping it", server,
        maxMessageBytes);
    closing = true;
    onOversize.accept("wrote a message longer than max_message_bytes (" + maxMessageBytes + " bytes) and was"
        + " stopped");
    kill(p);
  }

  private void deliver(String raw, Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
    if (line.isBlank()) return;
    McpSchema.JSONRPCMessage m;
    try {
      m = McpSchema.deserializeJsonRpcMessage(json, line);
    } catch (IOException | RuntimeException e) {
      long suppressed = junkLog.admit();
      if (suppressed >= 0) {
        log.warn("MCP server '{}' wrote a line that is not a JSON-RPC message ({} chars); skipped{}", server,
            line.length(), suppressed == 0 ? "" : " (" + suppressed + " more such lines were not logged; "
                + junkLog.total() + " in all)");
      }
      return;
    }
    handler.apply(Mono.just(m)).subscribe(ignored -> {}, e -> log.debug("MCP server '{}': handler failed", server, e));
  }

  private void readErr(Process p) {
    try (InputStream in = p.getErrorStream()) {
      LineBuffer line = new LineBuffer(STDERR_LINE_CHARS);
      boolean cut = false;
      byte[] buf = new byte[CHUNK];
      int n;
      while ((n = in.read(buf)) >= 0) {
        int from = 0;
        for (int i = 0; i <= n; i++) {
          boolean eol = i < n && buf[i] == '\n';
          if (i < n && !eol) continue;
          int len = i - from;
          int room = STDERR_LINE_CHARS - line.size();
          if (len > room) cut = true;
          line.append(buf, from, Math.max(0, Math.min(len, room)), STDERR_LINE_CHARS);
          if (eol) {
            logErr(line.takeString(), cut);
            cut = false;
          }
          from = i + 1;
        }
      }
      if (line.size() > 0) logErr(line.takeString(), cut);
    } catch (IOException e) {
      // the process ended
    } catch (RuntimeException | Error e) {
      log.error("MCP server '{}': reading its stderr failed ({}); stopping it", server, e.toString());
      kill(p);
      if (e instanceof VirtualMachineError v) throw v;
    }
  }

  private void logErr(String line, boolean cut) {
    if (!log.isDebugEnabled()) return;
    long suppressed = stderrLog.admit();
    if (suppressed < 0) return;
    log.debug("MCP server '{}' stderr: {}{}{}", server, line, cut ? "… [cut]" : "",
        suppressed == 0 ? "" : " (" + suppressed + " lines not logged before this one)");
  }

  /** Bytes of one line, growing up to a limit. */
  private static final class LineBuffer {
    private byte[] bytes;
    private int size;

    LineBuffer(int initial) {
      bytes = new byte[Math.max(16, initial)];
    }

    /** Appends; false (nothing appended) if the line would exceed {@code max}. */
    boolean append(byte[] b, int off, int len, int max) {
      if (len <= 0) return true;
      if ((long) size + len > max) return false;
      if (size + len > bytes.length) bytes = Arrays.copyOf(bytes, (int) Math.min(max, Math.max(2L * bytes.length, size + len)));
      System.arraycopy(b, off, bytes, size, len);
      size += len;
      return true;
    }

    int size() {
      return size;
    }

    String takeString() {
      String s = new String(bytes, 0, size, StandardCharsets.UTF_8);
      size = 0;
      return s;
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
    if (p != null) kill(p);
  }

  /** Ends {@code p}'s descendants and {@code p} (forcibly) and waits for them, at most KILL_WAIT. */
  static void kill(Process p) {
    List<ProcessHandle> all = new ArrayList<>(p.descendants().toList()); // before p ends: then they are orphans
    for (ProcessHandle h : all) h.destroyForcibly();
    p.destroyForcibly();
    all.add(p.toHandle());
    long end = System.nanoTime() + KILL_WAIT.toNanos();
    try {
      for (ProcessHandle h : all) {
        long left = end - System.nanoTime();
        if (left <= 0) break;
        h.onExit().get(left, TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("a stopped MCP server's process (or a child of it) did not end within {} ms", KILL_WAIT.toMillis());
    }
  }

  @Override
  public Mono<Void> closeGracefully() {
    return Mono.fromRunnable(() -> {
      closing = true;
      Process p = process;
      if (p == null) return;
      List<ProcessHandle> children = p.descendants().toList(); // while they are still p's
      try {
        p.getOutputStream().close(); // a stdio server ends when its input ends
      } catch (IOException ignored) {
        // already gone
      }
      try {
        if (!p.waitFor(2, TimeUnit.SECONDS)) kill(p);
        children.forEach(ProcessHandle::destroyForcibly);
      } catch (InterruptedException e) {
        kill(p);
        Thread.currentThread().interrupt();
      }
    });
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return json.convertValue(data, typeRef);
  }
}
