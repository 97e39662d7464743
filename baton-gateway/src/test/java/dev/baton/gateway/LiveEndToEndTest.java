package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.ReplyStream;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.SseClient;
import dev.baton.gateway.support.Tokens;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** P10 over the whole path: real engine with a streaming agent, GET /v1/events and POST /v1/cancel on a real socket. */
class LiveEndToEndTest {

  static final ObjectMapper M = new ObjectMapper();
  ManualScheduler clock = new ManualScheduler();
  MemoryStore store = new MemoryStore();
  final CountDownLatch resume = new CountDownLatch(1);
  Harness h;
  String alice;
  final List<SseClient> clients = new ArrayList<>();

  /** "stream": writes "Hel", waits for the test, writes "lo"; "block": writes "working", then waits until cancelled. */
  final Agent agent = t -> {
    ReplyStream s = t.openStream();
    if (t.messages().getLast().text().equals("stream")) {
      s.append("Hel");
      if (!resume.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("the test never resumed the turn");
      s.append("lo");
      s.finish();
    } else {
      s.append("working");
      new CountDownLatch(1).await(); // until the cancel interrupts the turn
    }
  };

  @BeforeEach
  void start() {
    h = new Harness(clock, store, c -> c,
        (c, router) -> Baton.builder().config(c).store(store).scheduler(clock).agent(agent).replies(router).build());
    alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
  }

  @AfterEach
  void stop() {
    resume.countDown();
    clients.forEach(SseClient::close);
    h.close();
  }

  SseClient open() {
    SseClient c = new SseClient(h.uri("/v1/events"), alice, null);
    clients.add(c);
    return c.awaitConnected();
  }

  static JsonNode json(SseClient.Event e) throws Exception {
    return M.readTree(e.data());
  }

  @Test
  void theDeltasOfATurnArriveWhileItRunsAndThenItsReply() throws Exception {
    SseClient c = open();
    assertThat(h.post("/v1/messages", alice, "{\"id\":\"m1\",\"text\":\"stream\"}").statusCode()).isEqualTo(202);
    SseClient.Event running = c.nextEvent();
    assertThat(running.event()).isEqualTo("status");
    assertThat(json(running).path("state").asText()).isEqualTo("running");
    SseClient.Event first = c.nextEvent();
    assertThat(json(first)).isEqualTo(M.readTree("{\"reply_id\":\"m1#1\",\"in_reply_to\":\"m1\",\"offset\":0,\"text\":\"Hel\"}"));
    resume.countDown(); // the turn is still running: its first delta reached the client before it went on
    SseClient.Event second = c.nextEvent();
    assertThat(json(second).path("text").asText()).isEqualTo("lo");
    SseClient.Event reply = c.nextEvent();
    assertThat(reply.event()).isEqualTo("reply");
    JsonNode r = json(reply);
    assertThat(r.path("text").asText()).isEqualTo("Hello");
    assertThat(r.path("reply_id").asText()).isEqualTo("m1#1");
    assertThat(r.path("covers")).isEqualTo(M.readTree("[\"m1\"]"));
  }

  @Test
  void cancelEndsTheRunningTurnWithACancelledStatusAndReply() throws Exception {
    SseClient c = open();
    h.post("/v1/messages", alice, "{\"id\":\"m2\",\"text\":\"block\"}");
    assertThat(json(c.nextEvent()).path("state").asText()).isEqualTo("running");
    assertThat(json(c.nextEvent()).path("text").asText()).isEqualTo("working");
    var cancel = h.post("/v1/cancel", alice, "{\"drop_queued\":false}");
    assertThat(cancel.statusCode()).isEqualTo(200);
    assertThat(M.readTree(cancel.body())).isEqualTo(M.readTree("{\"cancelled\":1,\"dropped\":0}"));
    List<String> seen = new ArrayList<>();
    JsonNode reply = null;
    while (reply == null) {
      SseClient.Event e = c.nextEvent();
      seen.add(e.event() + " " + e.data());
      if (e.event().equals("reply")) reply = json(e);
    }
    assertThat(seen).anyMatch(s -> s.startsWith("status ") && s.contains("\"cancelled\""));
    assertThat(reply.path("kind").asText()).isEqualTo("cancelled");
    assertThat(reply.path("in_reply_to").asText()).isEqualTo("m2");
    // Nothing is left to cancel.
    assertThat(M.readTree(h.post("/v1/cancel", alice, "").body()).path("cancelled").asInt()).isZero();
  }
}
