package dev.baton.gateway.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A local HTTP server standing in for a platform's API: records every call and answers with scripted
 * statuses (then 200 with {@link #okBody}).
 */
public final class RecordingServer implements AutoCloseable {

  public record Call(String method, String path, Map<String, List<String>> headers, String body) {
    public String header(String name) {
      for (var e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) return e.getValue().getFirst();
      }
      return null;
    }
  }

  public record Answer(int status, Map<String, String> headers, String body) {}

  public final List<Call> calls = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Call> arrivals = new LinkedBlockingQueue<>();
  private final ConcurrentLinkedQueue<Answer> script = new ConcurrentLinkedQueue<>();
  private final HttpServer server;
  public volatile String okBody = "{\"ok\":true}";

  public RecordingServer() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Call c = new Call(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), Map.copyOf(ex.getRequestHeaders()),
          body);
      // Recorded before answering, so the order of arrivals is the order of requests (a client sends its
      // next request only after this answer).
      calls.add(c);
      arrivals.add(c);
      Answer a = script.poll();
      if (a == null) a = new Answer(200, Map.of(), okBody);
      a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) ex.getResponseBody().write(out);
      ex.close();
    });
    server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    server.start();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public void answer(int status, Map<String, String> headers, String body) {
    script.add(new Answer(status, headers, body));
  }

  /** Waits for the next recorded call (bounded: a missing call fails the test). */
  public Call next() throws InterruptedException {
    Call c = arrivals.poll(10, TimeUnit.SECONDS);
    if (c == null) throw new AssertionError("no call reached the recording server within 10 s");
    return c;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
