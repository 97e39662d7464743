package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.baton.config.ConfigException;
import dev.baton.config.ConfigLoader;
import dev.baton.spi.Scheduler;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code baton serve} with {@code telemetry.otlp.endpoint} exports the trace of a real POST /v1/messages with
 * OTLP/HTTP protobuf to {@code {endpoint}/v1/traces} of a local receiver; a bad endpoint is a config error at its
 * place in the file.
 */
class ServeTelemetryTest {

  static final String SECRET = "0123456789abcdef0123456789abcdef";
  static final String TRACE = "0af7651916cd43dd8448eb211c80319c";

  record Post(String path, String contentType, byte[] body) {}

  @Test
  void serveExportsTheTraceOfAMessageToTheOtlpEndpoint(@TempDir Path dir) throws Exception {
    List<Post> posts = new CopyOnWriteArrayList<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/", ex -> {
      byte[] body = ex.getRequestBody().readAllBytes();
      posts.add(new Post(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Content-Type"), body));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    receiver.start();
    try {
      Path yaml = dir.resolve("baton.yaml");
      Files.writeString(yaml, """
          storage:
            backend: sqlite
            path: %s
          channels:
            api:
              jwt:
                hs256_secret: %s
          telemetry:
            otlp:
              endpoint: http://127.0.0.1:%d
          """.formatted(dir.resolve("baton.db"), SECRET, receiver.getAddress().getPort()));
      ServeCommand cmd = new ServeCommand();
      new CommandLine(cmd).parseArgs("--config", yaml.toString(), "--port", "0");
      ServeCommand.Running running = cmd.start(new PrintWriter(new StringWriter(), true));
      try {
        String base = "http://127.0.0.1:" + running.gateway().port();
        String jwt = ServeCommand.devToken(SECRET, "alice", Scheduler.system());
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
            .header("Authorization", "Bearer " + jwt).header("Content-Type", "application/json")
            .header("traceparent", "00-" + TRACE + "-b7ad6b7169203331-01")
            .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"m-1\",\"text\":\"hello\"}"))
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(202);
        HttpResponse<String> replies = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/replies?wait_ms=20000"))
            .header("Authorization", "Bearer " + jwt).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(replies.body()).contains("hello");
      } finally {
        running.stop(); // flushes the batched spans
      }
    } finally {
      receiver.stop(0);
    }
    assertThat(posts).isNotEmpty().allSatisfy(p -> {
      assertThat(p.path()).isEqualTo("/v1/traces");
      assertThat(p.contentType()).isEqualTo("application/x-protobuf");
    });
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Post p : posts) all.write(p.body());
    byte[] body = all.toByteArray();
    String text = new String(body, StandardCharsets.ISO_8859_1);
    assertThat(text).contains("POST /v1/messages", "baton.journal.insert", "baton.queue.wait", "baton.turn",
        "baton.delivery", "service.name", "baton");
    assertThat(text).contains(new String(HexFormat.of().parseHex(TRACE), StandardCharsets.ISO_8859_1));
    assertThat(text).doesNotContain("alice");
  }

  @Test
  void aBadEndpointIsAConfigErrorAtItsPlace(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("baton.yaml");
    Files.writeString(yaml, """
        telemetry:
          otlp:
            endpoint: ftp://collector:4318
        """);
    assertThatThrownBy(() -> ConfigLoader.withSystemEnvironment().load(yaml))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors().getFirst().toString())
            .startsWith(yaml + ":3:").contains("telemetry.otlp.endpoint", "must be an http:// or https:// base URL"));
  }
}
