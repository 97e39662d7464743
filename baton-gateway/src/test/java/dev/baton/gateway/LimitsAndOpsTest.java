package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.ServerConfig;
import dev.baton.gateway.support.Clocks;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.gateway.support.Tokens;
import dev.baton.testing.ManualScheduler;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Size and time limits, bad HTTP, operations endpoints, admin API and graceful shutdown. */
class LimitsAndOpsTest {

  ManualScheduler clock = new ManualScheduler();
  RecordingStore store = new RecordingStore();
  Harness h;
  String alice;
  ListAppender<ILoggingEvent> logs = new ListAppender<>();
  List<LogRecord> julLogs = new CopyOnWriteArrayList<>();
  Handler jul = new Handler() {
    @Override public void publish(LogRecord r) { julLogs.add(r); }
    @Override public void flush() {}
    @Override public void close() {}
  };

  @BeforeEach
  void start() {
    h = new Harness(clock, store, c -> c.withServer(new ServerConfig("127.0.0.1", 0, 4096, 2048, 500, 60_000, 1000)),
        (c, r) -> new FakeEngine(c, r));
    alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
    logs.start();
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    java.util.logging.Logger.getLogger("").addHandler(jul);
  }

  @AfterEach
  void stop() {
    h.close();
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    java.util.logging.Logger.getLogger("").removeHandler(jul);
    // No log line carries a stack trace or a secret.
    assertThat(logs.list).allSatisfy(e -> {
      assertThat(e.getThrowableProxy()).isNull();
      assertThat(e.getFormattedMessage()).doesNotContain(Tokens.SECRET).doesNotContain(Harness.ADMIN_TOKEN);
    });
    assertThat(julLogs).allSatisfy(r -> {
      assertThat(r.getThrown()).as(r.getMessage()).isNull();
      assertThat(String.valueOf(r.getMessage())).doesNotContain(Tokens.SECRET);
    });
  }

  static String raw(int port, String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return readResponse(s.getInputStream());
    }
  }

  /** One response: its head and Content-Length body, or whatever came before the server closed. */
  static String readResponse(InputStream in) throws Exception {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) != -1) {
      sb.append((char) b);
      int end = sb.indexOf("\r\n\r\n");
      if (end >= 0) {
        var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(sb);
        int len = m.find() ? Integer.parseInt(m.group(1)) : 0;
        while (sb.length() < end + 4 + len && (b = in.read()) != -1) sb.append((char) b);
        return sb.toString();
      }
    }
    return sb.toString();
  }

  @Test
  void oversizedBodiesAre413EvenWhenChunked() throws Exception {
    String big = "{\"id\":\"b\",\"text\":\"" + "y".repeat(5000) + "\"}";
    assertThat(h.post("/v1/messages", alice, big).statusCode()).isEqualTo(413);
    String chunk = Integer.toHexString(big.length());
    String resp = raw(h.gateway.port(), "POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice
        + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunk
        + "\r\n" + big + "\r\n0\r\n\r\n");
    assertThat(resp).startsWith("HTTP/1.1 413").contains("payload_too_large").doesNotContain("at io.helidon");
    assertThat(((FakeEngine) h.engine).accepted).isEmpty();
  }

  @Test
  void oversizedHeadersAreRefusedWithA4xx() throws Exception {
    String resp = raw(h.gateway.port(), "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "z".repeat(4000)
        + "\r\nConnection: close\r\n\r\n");
    int status = Integer.parseInt(resp.substring(9, 12));
    assertThat(status).isBetween(400, 499);
    assertThat(resp).doesNotContain("Exception").doesNotContain("at io.helidon");
  }

  @Test
  void aSlowClientIsCutOffAfterTheRequestTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", h.gateway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice
          + "\r\nContent-Length: 100\r\n\r\n{\"id\":").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Clocks.awaitTimers(clock, 1); // the body read is bounded by request_timeout_ms = 500 on the Scheduler
      clock.advance(Duration.ofMillis(499));
      assertThat(s.getInputStream().available()).isZero();
      clock.advance(Duration.ofMillis(1));
      InputStream in = s.getInputStream();
      byte[] rest = in.readAllBytes(); // EOF: the server closed the connection (a hang would time out in 10 s)
      String text = new String(rest, StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain("Exception");
      if (!text.isEmpty()) assertThat(Integer.parseInt(text.substring(9, 12))).isBetween(400, 499);
    }
    assertThat(((FakeEngine) h.engine).accepted).isEmpty();
  }

  @Test
  void malformedHttpAndUnknownRoutesAre4xxWithoutStackTraces() throws Exception {
    String[] requests = {
        "GARBAGE\r\n\r\n",
        "GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n",
        "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "DELETE /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    };
    for (String req : requests) {
      String resp = raw(h.gateway.port(), req);
      // Either a 4xx, or (for bytes that are not HTTP at all) the connection is closed without an answer.
      if (!resp.isEmpty()) assertThat(resp).as(req).startsWith("HTTP/1.1 4");
      assertThat(resp).doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  @Test
  void healthReadyAndMetrics() throws Exception {
    assertThat(h.get("/health", null).statusCode()).isEqualTo(200);
    assertThat(h.get("/ready", null).statusCode()).isEqualTo(200);
    store.up = false;
    HttpResponse<String> notReady = h.get("/ready", null);
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(notReady.body()).contains("store_unavailable");
    h.post("/v1/messages", alice, "{\"id\":\"m\",\"text\":\"t\"}");
    HttpResponse<String> metrics = h.get("/metrics", null);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("baton_gateway_admissions_total{channel=\"api\",result=\"accepted\"} 1.0");
  }

  @Test
  void adminApiNeedsItsOwnToken() throws Exception {
    for (String auth : new String[] {null, alice, "Bearer wrong", "Bearer " + Harness.ADMIN_TOKEN + "x"}) {
      assertThat(h.get("/v1/admin/sessions", auth).statusCode()).as(String.valueOf(auth)).isEqualTo(401);
    }
    String admin = "Bearer " + Harness.ADMIN_TOKEN;
    var sessions = new ObjectMapper().readTree(h.get("/v1/admin/sessions", admin).body());
    assertThat(sessions.path("running_turns").asInt()).isEqualTo(1);
    assertThat(sessions.path("sessions").get(0).path("session").asText()).isEqualTo("api:u:alice");
    assertThat(sessions.path("sessions").get(0).path("queued").asInt()).isEqualTo(2);
    assertThat(sessions.path("sessions").get(0).path("class").asText()).isEqualTo("standard");
    h.post("/v1/messages", alice, "{\"id\":\"m\",\"text\":\"t\"}");
    h.post("/v1/messages", alice, "{\"id\":\"m\",\"text\":\"t\"}");
    var dedup = new ObjectMapper().readTree(h.get("/v1/admin/dedup", admin).body());
    assertThat(dedup.path("journal_entries").asLong()).isEqualTo(7);
    assertThat(dedup.path("admissions").path("api").path("duplicate").asLong()).isEqualTo(1);
    assertThat(h.get("/v1/admin/nope", admin).statusCode()).isEqualTo(404);
  }

  @Test
  void adminViewsPlugIn() throws Exception {
    var engine = new FakeEngine(h.config, h.router);
    Gateway g = Gateway.builder(h.config).engine(engine).store(store).scheduler(clock).replies(h.router)
        .adminView("wait-for-graph", () -> Map.of("edges", List.of(List.of("a", "b"))))
        .adminView("deadlocks", () -> List.of(new Report(java.time.Instant.parse("2026-01-01T00:00:00Z"),
            Duration.ofMillis(1500), "call#1"))).build().start();
    try {
      HttpResponse<String> r = h.send(HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + g.port() + "/v1/admin/wait-for-graph"))
          .header("Authorization", "Bearer " + Harness.ADMIN_TOKEN));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"edges\":[[\"a\",\"b\"]]}");
      HttpResponse<String> d = h.send(HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + g.port() + "/v1/admin/deadlocks"))
          .header("Authorization", "Bearer " + Harness.ADMIN_TOKEN));
      assertThat(d.statusCode()).isEqualTo(200);
      assertThat(d.body()).isEqualTo("[{\"detectedAt\":\"2026-01-01T00:00:00Z\",\"latency\":\"PT1.5S\","
          + "\"victim\":\"call#1\"}]");
    } finally {
      g.stop(Duration.ZERO);
    }
  }

  record Report(java.time.Instant detectedAt, Duration latency, String victim) {}

  @Test
  void gracefulStopRefusesNewMessagesWhileTurnsDrain() throws Exception {
    CountDownLatch draining = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    var engine = new FakeEngine(h.config, h.router) {
      @Override
      public boolean shutdown(Duration d) {
        draining.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return true;
      }
    };
    Gateway g = Gateway.builder(h.config).engine(engine).store(store).scheduler(clock).replies(h.router).build()
        .start();
    CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> g.stop(Duration.ofSeconds(5)));
    assertThat(draining.await(10, TimeUnit.SECONDS)).isTrue();
    HttpResponse<String> r = h.send(HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + g.port() + "/v1/messages")).header("Authorization", alice)
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"late\",\"text\":\"t\"}")));
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("shutting_down");
    HttpResponse<String> ready = h.send(HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + g.port() + "/ready")));
    assertThat(ready.statusCode()).isEqualTo(503);
    release.countDown();
    assertThat(stopped.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(engine.accepted).isEmpty();
  }
}
