package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import dev.baton.testing.MapSessionState;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code baton serve}: the embedded default answers the curl line it prints; a config file is honoured. */
class ServeCommandTest {

  final HttpClient http = HttpClient.newHttpClient();

  HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void embeddedDefaultPrintsAWorkingCurlLine(@TempDir Path dir) throws Exception {
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--port", "0", "--data", dir.resolve("data").toString());
    StringWriter out = new StringWriter();
    ServeCommand.Running running = cmd.start(new PrintWriter(out, true));
    try {
      String printed = out.toString();
      assertThat(printed).contains("Baton is listening on http://127.0.0.1:", "storage: sqlite", "agent: echo",
          "Development API secret");
      Matcher curl = Pattern.compile("curl -s -X POST (\\S+) -H 'Authorization: Bearer (\\S+)'").matcher(printed);
      assertThat(curl.find()).isTrue();
      String url = curl.group(1);
      String jwt = curl.group(2);
      HttpResponse<String> posted = send(HttpRequest.newBuilder(URI.create(url))
          .header("Authorization", "Bearer " + jwt).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"m-1\",\"text\":\"hello\"}")));
      assertThat(posted.statusCode()).isEqualTo(202);
      HttpResponse<String> replies = send(HttpRequest.newBuilder(URI.create(url.replace("/v1/messages",
          "/v1/replies?wait_ms=10000"))).header("Authorization", "Bearer " + jwt));
      assertThat(replies.body()).contains("\"text\":\"hello (turn 1)\"", "\"in_reply_to\":\"m-1\"");
      assertThat(Files.exists(dir.resolve("data").resolve("baton.db"))).isTrue();
    } finally {
      running.stop();
    }
  }

  /** Issue 10: a file without storage.backend used to run on the memory store and lose all on a restart. */
  @Test
  void aConfigFileWithoutAStorageBackendRunsOnSqliteInTheDataDirectory(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("baton.yaml");
    Files.writeString(file, "channels:\n  api:\n    jwt:\n      hs256_secret: 0123456789abcdef0123456789abcdef\n"
        + "storage:\n  max_outbox_per_session: 77\n");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--config", file.toString(), "--port", "0", "--data", dir.resolve("d").toString());
    StringWriter out = new StringWriter();
    ServeCommand.Running running = cmd.start(new PrintWriter(out, true));
    try {
      assertThat(running.config().storage().backend()).isEqualTo(dev.baton.config.StorageConfig.Backend.SQLITE);
      assertThat(running.config().storage().maxOutboxPerSession()).as("the file's other storage keys").isEqualTo(77);
      assertThat(out.toString()).contains("storage: sqlite " + dir.resolve("d").resolve("baton.db"))
          .doesNotContain("Warning");
      assertThat(Files.exists(dir.resolve("d").resolve("baton.db"))).isTrue();
    } finally {
      running.stop();
    }
  }

  @Test
  void aConfigFileIsUsedAndABadOneIsReportedWithItsLocation(@TempDir Path dir) throws Exception {
    Path good = dir.resolve("baton.yaml");
    Files.writeString(good, "storage:\n  backend: memory\nadmin:\n  token: t0123456789-t0123456789-t0123456789\nchannels:\n  api:\n"
        + "    jwt:\n      hs256_secret: 0123456789abcdef0123456789abcdef\n");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--config", good.toString(), "--port", "0");
    StringWriter out = new StringWriter();
    ServeCommand.Running running = cmd.start(new PrintWriter(out, true));
    try {
      assertThat(out.toString()).contains("storage: memory").contains("Warning: storage.backend is memory")
          .doesNotContain("Development API secret");
      int port = running.gateway().port();
      assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/admin/sessions"))
          .header("Authorization", "Bearer t0123456789-t0123456789-t0123456789")).statusCode()).isEqualTo(200);
      HttpResponse<String> graph = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/admin/wait-for-graph")).header("Authorization", "Bearer t0123456789-t0123456789-t0123456789"));
      assertThat(graph.statusCode()).isEqualTo(200);
      assertThat(graph.body()).contains("\"takenAt\":\"", "\"waits\":[]", "\"recentDeadlocks\":[]");
      HttpResponse<String> deadlocks = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/admin/deadlocks")).header("Authorization", "Bearer t0123456789-t0123456789-t0123456789"));
      assertThat(deadlocks.statusCode()).isEqualTo(200);
      assertThat(deadlocks.body()).isEqualTo("[]");
    } finally {
      running.stop();
    }
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "server:\n  port: -3\n");
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    cl.setOut(new PrintWriter(new StringWriter(), true));
    assertThat(cl.execute("serve", "--config", bad.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("bad.yaml:2:").contains("port");
  }

  @Test
  void askReachesTheConfiguredPeersThroughTheEngine(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("baton.yaml");
    Files.writeString(conf, "storage:\n  backend: memory\nchannels:\n  api:\n    jwt:\n"
        + "      hs256_secret: 0123456789abcdef0123456789abcdef\ntools:\n  workspace_root: \"" + dir.resolve("ws")
        + "\"\n  ask_peers:\n    bob: \"api:u:bob\"\n");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--config", conf.toString(), "--port", "0");
    ServeCommand.Running running = cmd.start(new PrintWriter(new StringWriter(), true));
    try {
      // A turn of alice's, as the agent would see it: `ask` goes to bob's session, whose echo agent answers.
      dev.baton.TurnContext alice = new dev.baton.TurnContext(new dev.baton.SessionKey("api:u:alice"), "alice",
          java.util.List.of("m"), "trace", 1_000_000, java.time.Instant.now().plusSeconds(60));
      dev.baton.spi.tool.Tools tools = running.tools().bind(alice, new MapSessionState());
      dev.baton.spi.tool.ToolResult r = tools.call(dev.baton.spi.tool.ToolCall.of("ask",
          "{\"to\":\"bob\",\"question\":\"hi bob\"}"));
      assertThat(r).isInstanceOf(dev.baton.spi.tool.ToolResult.Ok.class);
      assertThat(((dev.baton.spi.tool.ToolResult.Ok) r).json()).contains("\"from\":\"bob\"", "\"reply\":\"hi bob");
      dev.baton.spi.tool.ToolResult unknown = tools.call(dev.baton.spi.tool.ToolCall.of("ask",
          "{\"to\":\"api:u:bob\",\"question\":\"x\"}"));
      assertThat(unknown).isEqualTo(new dev.baton.spi.tool.ToolResult.Failed("unknown_peer",
          "no peer named 'api:u:bob'; known peers: bob"));
    } finally {
      running.stop();
    }
  }


  /** tools.mcp.servers: serve starts the stdio server, offers its tools next to the built-ins, stops it at stop. */
  @Test
  void theConfiguredMcpServersAreStartedAndTheirToolsOffered(@TempDir Path dir) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path file = dir.resolve("baton.yaml");
    Files.writeString(file, "channels:\n  api:\n    jwt:\n      hs256_secret: 0123456789abcdef0123456789abcdef\n"
        + "tools:\n  mcp:\n    servers:\n      files:\n        command: " + javaBin + "\n"
        + "        args: [\"-cp\", \"" + System.getProperty("java.class.path")
        + "\", \"dev.baton.examples.mcpfiles.McpFileServer\", \"" + dir.resolve("files") + "\"]\n"
        + "        resources:\n          - {tool: write_file, lock: \"file:{path}\"}\n");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--config", file.toString(), "--port", "0", "--data", dir.resolve("d").toString());
    ServeCommand.Running running = cmd.start(new PrintWriter(new StringWriter(), true));
    long pid;
    try {
      assertThat(running.tools().specs()).extracting(dev.baton.spi.tool.ToolSpec::name)
          .contains("files.write_file", "files.read_file", "workspace.write");
      pid = running.mcp().server("files").orElseThrow().pid();
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
    } finally {
      running.stop();
    }
    long end = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() > end) throw new AssertionError("the MCP server outlived serve's stop");
      Thread.onSpinWait();
    }
  }
}
