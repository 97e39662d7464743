package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe against tiny fake targets (a JDK HttpServer over loopback, echo level) that behave oddly but
 * correctly: what they do must not read as a failure of theirs. A reply offered again because the target's
 * cursor does not move is the same reply (same id), not a duplicate; an event stream that drops every two
 * replies loses nothing when the probe resumes with Last-Event-ID, and doubles nothing when the stream replays
 * from the start.
 */
class ProbeOddTargetTest {

  static final String SECRET = "probe-test-secret-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  /** How the fake serves its replies. */
  enum Mode { IGNORES_AFTER, DROPPING_STREAM, REPLAYING_STREAM, NO_NONCE, NO_NONCE_NO_KIND }

  /** An echo bot: each new message id gets one reply quoting its text; replies numbered per user from 1. */
  static final class Fake implements AutoCloseable {
    final Mode mode;
    final HttpServer server;
    final Map<String, List<ObjectNode>> replies = new HashMap<>(); // guarded by itself
    final Map<String, Set<String>> ids = new HashMap<>(); // guarded by replies
    final List<String> lastEventIds = new CopyOnWriteArrayList<>();

    Fake(Mode mode) throws IOException {
      this.mode = mode;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.createContext("/", this::handle);
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    private static String user(HttpExchange ex) throws IOException {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      String payload = auth.substring("Bearer ".length()).split("\\.")[1];
      return JSON.readTree(Base64.getUrlDecoder().decode(payload)).path("sub").asText();
    }

    private void handle(HttpExchange ex) throws IOException {
      try (ex) {
        String user = user(ex);
        switch (ex.getRequestURI().getPath()) {
          case "/v1/messages" -> {
            JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
            String id = body.path("id").asText();
            boolean fresh;
            synchronized (replies) {
              fresh = ids.computeIfAbsent(user, k -> new HashSet<>()).add(id);
              if (fresh) {
                List<ObjectNode> box = replies.computeIfAbsent(user, k -> new ArrayList<>());
                boolean nonce = mode != Mode.NO_NONCE && mode != Mode.NO_NONCE_NO_KIND;
                ObjectNode r = JSON.createObjectNode().put("id", user + "/" + (box.size() + 1)).put("in_reply_to", id)
                    .put("text", nonce ? "echo: " + body.path("text").asText() : "working on it");
                if (mode != Mode.NO_NONCE_NO_KIND) r.put("kind", "reply");
                box.add(r);
                replies.notifyAll();
              }
            }
            answer(ex, fresh ? 202 : 200, "{}");
          }
          case "/v1/replies" -> {
            if (mode == Mode.DROPPING_STREAM || mode == Mode.REPLAYING_STREAM) {
              answer(ex, 200, "{\"replies\":[],\"next\":\"0\"}"); // the events reader's acknowledgements
              return;
            }
            // Every reply so far, whatever `after` says, and always the same `next`: a cursor that never moves.
            List<ObjectNode> all = waitForMore(user, -1, 500);
            ObjectNode out = JSON.createObjectNode().put("next", "0");
            out.putArray("replies").addAll(all);
            answer(ex, 200, out.toString());
          }
          case "/v1/events" -> stream(ex, user);
          default -> answer(ex, 404, "{}");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException e) {
        // the probe went away
      }
    }

    /** The user's replies once there are more than {@code have} (or when {@code waitMs} passed). */
    private List<ObjectNode> waitForMore(String user, int have, long waitMs) throws InterruptedException {
      long deadline = System.currentTimeMillis() + waitMs;
      synchronized (replies) {
        while (true) {
          List<ObjectNode> box = replies.getOrDefault(user, List.of());
          long left = deadline - System.currentTimeMillis();
          if (box.size() > have || left <= 0) return List.copyOf(box);
          replies.wait(left);
        }
      }
    }

    /** Writes the replies after Last-Event-ID (REPLAYING_STREAM: those before it first) and hangs up after two. */
    private void stream(HttpExchange ex, String user) throws IOException, InterruptedException {
      String last = ex.getRequestHeaders().getFirst("Last-Event-ID");
      if (last != null) lastEventIds.add(last);
      int from = last == null ? 0 : Integer.parseInt(last);
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      if (mode == Mode.REPLAYING_STREAM) { // what the probe already has, again
        List<ObjectNode> box = waitForMore(user, -1, 0);
        for (int i = 0; i < from; i++) {
          out.write(("id: " + (i + 1) + "\nevent: reply\ndata: " + box.get(i) + "\n\n").getBytes(StandardCharsets.UTF_8));
        }
      }
      int written = 0;
      int at = from;
      while (written < 2) {
        List<ObjectNode> box = waitForMore(user, at, 200);
        if (box.size() <= at) {
          out.write(": ping\n\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
          continue;
        }
        ObjectNode r = box.get(at);
        at++;
        String delta = JSON.createObjectNode().put("reply_id", r.path("in_reply_to").asText() + "#1")
            .put("in_reply_to", r.path("in_reply_to").asText()).put("offset", 0).put("text", "partial")
            .toString();
        out.write(("event: delta\ndata: " + delta + "\n\nid: " + at + "\nevent: reply\ndata: " + r + "\n\n")
            .getBytes(StandardCharsets.UTF_8));
        out.flush();
        written++;
      }
      // closing the exchange ends the chunked body: the stream drops
    }

    private static void answer(HttpExchange ex, int status, String json) throws IOException {
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(status, b.length);
      ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  static JsonNode probe(Fake fake, Path dir, String replies) throws IOException {
    return probe(fake, dir, replies, 0);
  }

  static JsonNode probe(Fake fake, Path dir, String replies, int exit) throws IOException {
    Path json = dir.resolve("report.json");
    ProbeExitTest.Run r = ProbeExitTest.probe("--target", "http://127.0.0.1:" + fake.port(), "--jwt-secret", SECRET,
        "--replies", replies, "--level", "echo", "--users", "4", "--messages", "80", "--rate", "400", "--quiet",
        "--reply-timeout", exit == 0 ? "5000" : "1000", "--json", json.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(exit);
    JsonNode report = JSON.readTree(json.toFile());
    assertThat(report.at("/patterns/duplicates/checked").asLong()).isPositive();
    assertThat(report.at("/patterns/deadlock/checked").asLong()).isPositive();
    return report;
  }

  @Test
  void aCursorThatNeverMovesIsNotDuplicates(@TempDir Path dir) throws Exception {
    try (Fake fake = new Fake(Mode.IGNORES_AFTER)) {
      JsonNode report = probe(fake, dir, "poll");
      assertThat(report.at("/throughput/replies").asLong()).as("each reply recorded once")
          .isEqualTo(report.at("/throughput/accepted").asLong());
    }
  }

  @Test
  void aStreamThatDropsLosesNothingOnResume(@TempDir Path dir) throws Exception {
    try (Fake fake = new Fake(Mode.DROPPING_STREAM)) {
      JsonNode report = probe(fake, dir, "events");
      assertThat(report.at("/throughput/replies").asLong()).isEqualTo(report.at("/throughput/accepted").asLong());
      assertThat(fake.lastEventIds).as("reconnected with the id of the last reply").hasSizeGreaterThan(4)
          .allMatch(id -> id.matches("[0-9]+"));
    }
  }

  @Test
  void aStreamThatReplaysFromTheStartDoublesNothing(@TempDir Path dir) throws Exception {
    try (Fake fake = new Fake(Mode.REPLAYING_STREAM)) {
      JsonNode report = probe(fake, dir, "events");
      assertThat(report.at("/throughput/replies").asLong()).isEqualTo(report.at("/throughput/accepted").asLong());
    }
  }

  @Test
  void aReplyOfKindReplyWithoutTheNonceAnswersNothing(@TempDir Path dir) throws Exception {
    try (Fake fake = new Fake(Mode.NO_NONCE)) {
      JsonNode report = probe(fake, dir, "poll", 1);
      assertThat(report.at("/patterns/deadlock/violations").asLong())
          .isEqualTo(report.at("/patterns/deadlock/checked").asLong()).isPositive();
      assertThat(report.at("/patterns/deadlock/examples/0/detail").asText())
          .contains("answered only by a reply of kind \"reply\" without its nonce", "working on it");
    }
  }

  @Test
  void aReplyWithoutNonceOrKindIsANotice(@TempDir Path dir) throws Exception {
    // The documented limit: without a kind the probe cannot tell an answer from a busy text, so it excuses.
    try (Fake fake = new Fake(Mode.NO_NONCE_NO_KIND)) {
      JsonNode report = probe(fake, dir, "poll");
      assertThat(report.at("/latency_ms/notice/count").asLong()).isEqualTo(report.at("/throughput/accepted").asLong());
    }
  }
}
