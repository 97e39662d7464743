package dev.baton.cli;

import dev.baton.spi.Scheduler;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The training run of the JDK's ahead-of-time cache (JEP 483/514): {@code ./baton} runs it once after each
 * build under {@code -XX:AOTCacheOutput}, and every later start maps the classes it loaded and linked, which
 * halves the time to {@code /health} (BENCHMARKS.md, "Start-up"). It does what {@code serve} does at start and
 * on its first messages: loads a configuration, opens a SQLite journal in a temporary directory, starts engine
 * and gateway on a free loopback port, sends messages over HTTP, reads their replies, scrapes {@code /metrics},
 * and stops as Ctrl-C would. Hidden: it is a build step, not a user's command.
 */
@Command(name = "aot-training", hidden = true,
    description = "Exercise serve's start-up path once (the training run of ./baton's AOT cache).")
final class AotTrainingCommand implements Callable<Integer> {

  @Option(names = "--messages", defaultValue = "200", description = "Messages to send (default: ${DEFAULT-VALUE}).")
  int messages = 200;

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("baton-aot-");
    try {
      String secret = ServeCommand.randomSecret();
      Path config = dir.resolve("baton.yaml");
      Files.writeString(config, """
          server:
            host: 127.0.0.1
          channels:
            api:
              jwt:
                hs256_secret: "%s"
          """.formatted(secret));
      ServeCommand serve = new ServeCommand();
      serve.config = Optional.of(config);
      serve.port = Optional.of(0);
      serve.data = dir;
      ServeCommand.Running running = serve.start(new PrintWriter(new StringWriter()));
      try {
        exercise("http://127.0.0.1:" + running.gateway().port(), secret);
      } finally {
        running.stop();
      }
      return 0;
    } finally {
      delete(dir);
    }
  }

  private void exercise(String base, String secret) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    get(http, base + "/health", null);
    for (int u = 0; u < 4; u++) {
      String jwt = ServeCommand.devToken(secret, "trainer-" + u, Scheduler.system());
      for (int i = 0; i < messages / 4; i++) {
        HttpRequest post = HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
            .header("Authorization", "Bearer " + jwt).header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"t-" + i + "\",\"text\":\"hello " + i + "\"}")).build();
        http.send(post, HttpResponse.BodyHandlers.discarding());
      }
      get(http, base + "/v1/replies?wait_ms=2000", jwt);
    }
    get(http, base + "/metrics", null);
  }

  private static void get(HttpClient http, String url, @Nullable String jwt) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
    if (jwt != null) b.header("Authorization", "Bearer " + jwt);
    http.send(b.build(), HttpResponse.BodyHandlers.discarding());
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // a temporary directory left behind is not worth failing the build step for
    }
  }
}
