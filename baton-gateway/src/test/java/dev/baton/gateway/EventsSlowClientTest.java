package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.gateway.support.SseClient;
import dev.baton.gateway.support.Tokens;
import dev.baton.testing.ManualScheduler;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading its event stream (a raw socket with a small receive buffer): the engine's thread
 * is never blocked, the deltas of a stream are merged (fewer events, the same text), and past the bound on
 * pending events the server ends the stream instead of growing; the client then reconnects.
 */
class EventsSlowClientTest {

  static final ObjectMapper M = new ObjectMapper();
  ManualScheduler clock = new ManualScheduler();
  Harness h;
  FakeEngine engine;
  String alice;

  @BeforeEach
  void start() {
    h = new Harness(clock, new RecordingStore(), c -> c, (c, r) -> new FakeEngine(c, r));
    engine = (FakeEngine) h.engine;
    alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
  }

  @AfterEach
  void stop() {
    h.close();
  }

  static LiveEvent.Delta delta(String stream, long offset, String text) {
    return new LiveEvent.Delta(SessionKey.user("api", "alice"), "api", "alice", "m-1", Map.of("user", "alice"),
        stream, offset, text);
  }

  @Test
  void aClientThatDoesNotReadGetsMergedDeltasAndIsCutOffPastTheBound() throws Exception {
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new InetSocketAddress("127.0.0.1", h.gateway.port()));
      s.getOutputStream().write(("GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
          + "Authorization: " + alice + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      Chunked in = new Chunked(new BufferedInputStream(s.getInputStream()));
      assertThat(in.head()).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
      StringBuilder seen = new StringBuilder();
      while (!seen.toString().contains(": connected\n\n")) seen.append(in.chunk());

      // 20 MB of deltas of one stream while the client reads nothing: far more than the socket buffers hold.
      int n = 20_000;
      String piece = "0123456789".repeat(100);
      CompletableFuture<Void> engineThread = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < n; i++) engine.live(delta("m-1#1", (long) i * piece.length(), piece));
      });
      engineThread.get(10, TimeUnit.SECONDS); // onLive never waited for the client
      // Its reply, while the writer is still stuck on the first deltas: it must come after all of them.
      engine.deliver(new Reply(SessionKey.user("api", "alice"), 1, "api", "alice", "m-1", Reply.Kind.REPLY, "final",
          OptionalLong.empty(), Map.of("user", "alice"), "m-1#1", List.of("m-1")));
      // Then more distinct streams than a connection may hold pending: the stream is ended, not grown.
      int extra = 300;
      for (int i = 0; i < extra; i++) engine.live(delta("m-x#" + i, 0, "x"));

      // Now read everything: the server writes what it held, then ends the response.
      StringBuilder all = new StringBuilder(seen);
      for (String c; (c = in.chunk()) != null; ) all.append(c);
      Map<String, StringBuilder> text = new LinkedHashMap<>();
      List<String> firstStreamEvents = new ArrayList<>();
      boolean replied = false;
      for (String block : all.toString().split("\n\n")) {
        if (block.contains("event: reply\n")) replied = true;
        if (!block.startsWith("event: delta\ndata: ")) continue;
        JsonNode d = M.readTree(block.substring("event: delta\ndata: ".length()));
        StringBuilder sb = text.computeIfAbsent(d.path("reply_id").asText(), k -> new StringBuilder());
        assertThat(d.path("offset").asLong()).isEqualTo(sb.length());
        sb.append(d.path("text").asText());
        if (d.path("reply_id").asText().equals("m-1#1")) {
          assertThat(replied).as("a delta of m-1#1 after its reply").isFalse();
          firstStreamEvents.add("");
        }
      }
      assertThat(replied).isTrue();
      assertThat(text.get("m-1#1").length()).isEqualTo(n * piece.length());
      assertThat(text.get("m-1#1").toString()).isEqualTo(piece.repeat(n));
      assertThat(firstStreamEvents.size()).as("merged deltas").isLessThan(n / 10);
      assertThat(text.size() - 1).as("distinct streams written").isLessThan(extra);
    }
    // The connection's slot is given back; the client reconnects.
    dev.baton.gateway.support.Eventually.until("the client can reconnect", () -> {
      try (SseClient c = new SseClient(h.uri("/v1/events"), alice, null)) {
        return c.status == 200 && c.awaitConnected() != null;
      }
    });
  }

  /** Reads an HTTP/1.1 response head and then its chunked body, one chunk at a time. */
  static final class Chunked {
    private final InputStream in;

    Chunked(InputStream in) {
      this.in = in;
    }

    String head() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      while (!b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c < 0) throw new IOException("closed in the head");
        b.write(c);
      }
      return b.toString(StandardCharsets.US_ASCII);
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int c; (c = in.read()) != '\n'; ) {
        if (c < 0) return null;
        if (c != '\r') b.write(c);
      }
      return b.toString(StandardCharsets.US_ASCII);
    }

    /** The next chunk's text, or null at the last chunk (or at the end of the connection). */
    String chunk() throws IOException {
      String size = line();
      if (size == null) return null;
      int len = Integer.parseInt(size.trim().split(";")[0], 16);
      if (len == 0) return null;
      byte[] data = in.readNBytes(len);
      line();
      return new String(data, StandardCharsets.UTF_8);
    }
  }
}
