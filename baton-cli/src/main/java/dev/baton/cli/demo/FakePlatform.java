package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/*
 * Overview: a stand-in for the platforms' APIs (Telegram Bot API, Slack Web API, WhatsApp Graph API) on 127.0.0.1 (any free port), so
 * the hostile scenario sees what the gateway sends to each chat: every sendMessage / chat.postMessage / messages body is kept
 * and answered {"ok":true}.
 * Concurrency: the JDK HttpServer's handler runs on virtual threads; the queue is thread-safe.
 */
final class FakePlatform implements AutoCloseable {

  private final HttpServer server;
  private final LinkedBlockingQueue<JsonNode> sent = new LinkedBlockingQueue<>();
  private final List<JsonNode> seen = new ArrayList<>();

  FakePlatform() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", ex -> {
      try (InputStream in = ex.getRequestBody(); OutputStream out = ex.getResponseBody()) {
        String path = ex.getRequestURI().getPath();
        if (path.endsWith("/sendMessage") || path.endsWith("/chat.postMessage") || path.endsWith("/messages")) {
          sent.add(HostileGateway.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        byte[] ok = "{\"ok\":true,\"result\":{}}".getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, ok.length);
        out.write(ok);
      }
    });
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next message sent whose {@code field} is {@code chatId}, waiting at most {@code timeout}. */
  synchronized Optional<JsonNode> await(String field, String chatId, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (int i = 0; i < seen.size(); i++) {
        if (seen.get(i).path(field).asText().equals(chatId)) return Optional.of(seen.remove(i));
      }
      JsonNode n = sent.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (n == null) return Optional.empty();
      seen.add(n);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
