package dev.baton.examples.mcpfiles;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A small stdio MCP server (the MCP Java SDK's server side) with file tools on one folder, and hooks to test a
 * client against a server that overlaps, hangs, freezes or dies. Start: {@code java -cp ... McpFileServer <dir>}.
 *
 * <p>Tools: {@code write_file(path, content)}, {@code read_file(path)}, {@code copy_file(from, to)}, {@code append_line(path, line, delay_ms)}
 * (writes "begin line", waits, writes "end line": two calls on one file that overlap interleave their lines, and
 * the server counts the overlap), {@code bump(name)} (a counter per name, for idempotency), {@code stats}
 * (counters: bumps, overlaps, cancellations received), {@code pid}, {@code hang} (one call that never ends),
 * {@code freeze} (the whole server stops reading its input: a hung server), {@code exit(code)} (dies at
 * once), {@code big(size)} (a result of {@code size} characters: one huge stdout line), {@code spawn} (starts a
 * child {@code sleep 600}, returns its pid) and {@code env(name)} (an environment variable's value, or
 * {@code <unset>}). Every {@code notifications/cancelled} the server receives is appended to {@code <dir>/.events}, as is
 * each start ({@code started <pid>}).
 *
 * <p>Paths are relative to the folder; one that leaves it is refused. Nothing is written to stdout but
 * protocol messages.
 */
public final class McpFileServer {
  private static final McpJsonMapper JSON = new JacksonMcpJsonMapper(new ObjectMapper());

  private final Path dir;
  private final Map<String, AtomicInteger> bumps = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> inside = new ConcurrentHashMap<>();
  private final AtomicInteger overlaps = new AtomicInteger();
  private final AtomicInteger cancellations = new AtomicInteger();
  private final CountDownLatch frozen = new CountDownLatch(1);
  private volatile boolean freeze;

  private McpFileServer(Path dir) {
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    // stdout is the protocol: whatever logging backend the class path has (a test's logback writes to stdout),
    // the SDK's log lines must not reach it. No logging unless a provider is chosen explicitly.
    if (System.getProperty("slf4j.provider") == null) {
      System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
    }
    if (args.length != 1) {
      System.err.println("usage: McpFileServer <folder>");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).toAbsolutePath().normalize();
    Files.createDirectories(dir);
    McpFileServer s = new McpFileServer(dir);
    s.event("started " + ProcessHandle.current().pid());
    McpSyncServer server = s.start(s.new Watched(System.in));
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    Thread.currentThread().join(); // the transport's threads serve until stdin ends or the process is stopped
  }

  private McpSyncServer start(InputStream in) {
    StdioServerTransportProvider transport = new StdioServerTransportProvider(JSON, in, System.out);
    return McpServer.sync(transport)
        .serverInfo("baton-mcp-file-server", "1.0")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(List.of(
            tool("write_file", "Writes a file (replaces it).", props("path", "content"), this::write),
            tool("read_file", "Reads a file.", props("path"), this::read),
            tool("copy_file", "Copies file `from` to file `to`.", props("from", "to"), this::copy),
            tool("append_line", "Appends `begin <line>`, waits delay_ms, appends `end <line>`.",
                props("path", "line", "delay_ms"), this::append),
            tool("bump", "Adds one to the counter `name` and returns it.", props("name"), this::bump),
            tool("stats", "The server's counters.", props(), (x, r) -> ok(stats())),
            tool("pid", "The server's process id.", props(), (x, r) -> ok("" + ProcessHandle.current().pid())),
            tool("hang", "Never returns.", props(), this::hang),
            tool("big", "Returns a text of `size` characters (x) in one message.", props("size"),
                (x, r) -> ok("x".repeat(num(r, "size", 0)))),
            tool("spawn", "Starts a child process `sleep 600` and returns its pid.", props(), this::spawn),
            tool("env", "The value of environment variable `name`, or <unset>.", props("name"), (x, r) -> {
              String v = System.getenv(str(r, "name"));
              return ok(v == null ? "<unset>" : v);
            }),
            tool("freeze", "Stops the server reading its input.", props(), (x, r) -> {
              freeze = true;
              return ok("frozen");
            }),
            tool("exit", "Ends the server process at once with `code`.", props("code"), (x, r) -> {
              Runtime.getRuntime().halt(num(r, "code", 1));
              return ok("unreachable");
            })))
        .build();
  }

  private static SyncToolSpecification tool(String name, String description, Map<String, Object> schema,
      BiFunction<io.modelcontextprotocol.server.McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
    return SyncToolSpecification.builder()
        .tool(McpSchema.Tool.builder(name).description(description).inputSchema(schema).build())
        .callHandler(handler)
        .build();
  }

  private static Map<String, Object> props(String... names) {
    Map<String, Object> p = new java.util.LinkedHashMap<>();
    for (String n : names) p.put(n, Map.of("type", n.endsWith("_ms") || n.equals("code") || n.equals("size") ? "integer" : "string"));
    return Map.of("type", "object", "properties", p);
  }

  private CallToolResult write(Object x, CallToolRequest r) {
    try {
      Path p = file(str(r, "path"));
      Files.createDirectories(p.getParent());
      Files.writeString(p, str(r, "content"));
      return ok("wrote " + str(r, "path"));
    } catch (IOException | IllegalArgumentException e) {
      return error(e.getMessage());
    }
  }

  private CallToolResult read(Object x, CallToolRequest r) {
    try {
      return ok(Files.readString(file(str(r, "path"))));
    } catch (IOException | IllegalArgumentException e) {
      return error("cannot read " + str(r, "path"));
    }
  }

  private CallToolResult copy(Object x, CallToolRequest r) {
    try {
      Path to = file(str(r, "to"));
      Files.createDirectories(to.getParent());
      Files.copy(file(str(r, "from")), to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return ok("copied");
    } catch (IOException | IllegalArgumentException e) {
      return error("cannot copy " + str(r, "from"));
    }
  }

  private CallToolResult append(Object x, CallToolRequest r) {
    String path = str(r, "path");
    AtomicInteger in = inside.computeIfAbsent(path, k -> new AtomicInteger());
    if (in.incrementAndGet() > 1) overlaps.incrementAndGet();
    try {
      Path p = file(path);
      Files.createDirectories(p.getParent());
      line(p, "begin " + str(r, "line"));
      Thread.sleep(num(r, "delay_ms", 0)); // the work in between that a concurrent writer must not interleave
      line(p, "end " + str(r, "line"));
      return ok("appended");
    } catch (IOException | IllegalArgumentException e) {
      return error(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error("interrupted");
    } finally {
      in.decrementAndGet();
    }
  }

  private CallToolResult bump(Object x, CallToolRequest r) {
    return ok("" + bumps.computeIfAbsent(str(r, "name"), k -> new AtomicInteger()).incrementAndGet());
  }

  private CallToolResult spawn(Object x, CallToolRequest r) {
    try {
      Process child = new ProcessBuilder("sleep", "600").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return ok("" + child.pid());
    } catch (IOException e) {
      return error("cannot start a child: " + e.getMessage());
    }
  }

  private CallToolResult hang(Object x, CallToolRequest r) {
    event("hang started");
    try {
      new CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return error("hang ended");
  }

  private String stats() {
    Map<String, Integer> b = new java.util.TreeMap<>();
    bumps.forEach((k, v) -> b.put(k, v.get()));
    return "{\"overlaps\":" + overlaps.get() + ",\"cancellations\":" + cancellations.get() + ",\"bumps\":"
        + b.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue())
            .collect(java.util.stream.Collectors.joining(",", "{", "}")) + "}";
  }

  private Path file(String relative) {
    Path p = dir.resolve(relative).normalize();
    if (!p.startsWith(dir) || p.equals(dir)) throw new IllegalArgumentException("path leaves the folder: " + relative);
    return p;
  }

  private static void line(Path p, String text) throws IOException {
    Files.writeString(p, text + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private synchronized void event(String e) {
    try {
      line(dir.resolve(".events"), e);
    } catch (IOException ignored) {
      // the events file is a test aid
    }
  }

  private static String str(CallToolRequest r, String name) {
    Object v = r.arguments() == null ? null : r.arguments().get(name);
    return v == null ? "" : v.toString();
  }

  private static int num(CallToolRequest r, String name, int dflt) {
    Object v = r.arguments() == null ? null : r.arguments().get(name);
    return v instanceof Number n ? n.intValue() : v == null ? dflt : Integer.parseInt(v.toString());
  }

  private static CallToolResult ok(String text) {
    return CallToolResult.builder().addTextContent(text).isError(false).build();
  }

  private static CallToolResult error(String text) {
    return CallToolResult.builder().addTextContent(text).isError(true).build();
  }

  /** stdin as the transport reads it: each line is looked at (cancellations noted), and `freeze` stops it. */
  private final class Watched extends FilterInputStream {
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();

    Watched(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (freeze) awaitForever();
      int n = super.read(b, off, len);
      if (freeze) awaitForever(); // a read that was waiting when `freeze` ran: its message is never seen
      for (int i = 0; i < n; i++) {
        if (b[off + i] == '\n') {
          String line = current.toString(StandardCharsets.UTF_8);
          current.reset();
          if (line.contains("\"notifications/cancelled\"")) {
            cancellations.incrementAndGet();
            event("cancelled " + line);
          }
        } else {
          current.write(b[off + i]);
        }
      }
      return n;
    }

    private void awaitForever() throws IOException {
      try {
        frozen.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
  }
}
