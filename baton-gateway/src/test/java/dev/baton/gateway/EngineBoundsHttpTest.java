package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.config.BatonConfig;
import dev.baton.config.SessionsConfig;
import dev.baton.gateway.support.Eventually;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.Tokens;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.Scheduler;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** P11 over a real socket: the engine's bounds reach the client as 429 with a sentence that says which. */
class EngineBoundsHttpTest {

  static final ObjectMapper M = new ObjectMapper();
  final CountDownLatch gate = new CountDownLatch(1);
  /** Holds every turn until the gate opens, so sessions stay live. */
  final Agent held = turn -> {
    gate.await();
    turn.reply("done");
  };
  Harness h;

  @AfterEach
  void stop() {
    gate.countDown();
    if (h != null) h.close();
  }

  private Harness start(UnaryOperator<BatonConfig> tweak) {
    MemoryStore store = new MemoryStore();
    return new Harness(Scheduler.system(), store, tweak, (c, router) -> Baton.builder().config(c).agent(held)
        .store(store).scheduler(Scheduler.system()).replies(router).build());
  }

  private static String msg(String id, String chat) {
    return "{\"id\":\"" + id + "\",\"text\":\"x\",\"chat\":\"" + chat + "\"}";
  }

  @Test
  void aSenderPastItsLiveSessionsGets429SaysWhyAndNothingIsStored() throws Exception {
    h = start(c -> c.withSessions(new SessionsConfig(SessionsConfig.Isolation.STRICT,
        SessionsConfig.Storage.PER_SESSION, IdSource.USER_AND_CHAT, 2)));
    String mallory = Tokens.bearer("mallory", Instant.now().plusSeconds(3600), "c1", "c2", "c3");
    assertThat(h.post("/v1/messages", mallory, msg("m1", "c1")).statusCode()).isEqualTo(202);
    assertThat(h.post("/v1/messages", mallory, msg("m2", "c2")).statusCode()).isEqualTo(202);
    HttpResponse<String> r = h.post("/v1/messages", mallory, msg("m3", "c3"));
    assertThat(r.statusCode()).isEqualTo(429);
    JsonNode body = M.readTree(r.body());
    assertThat(body.path("status").asText()).isEqualTo("busy");
    assertThat(body.path("reply").asText()).contains("too many conversations in progress");
    assertThat(h.store.stats().journalEntries()).isEqualTo(2);
    // Another user is served meanwhile.
    String alice = Tokens.bearer("alice", Instant.now().plusSeconds(3600), "c3");
    assertThat(h.post("/v1/messages", alice, msg("a1", "c3")).statusCode()).isEqualTo(202);
    gate.countDown();
    Eventually.until("mallory's sessions retired", () ->
        h.post("/v1/messages", mallory, msg("m3", "c3")).statusCode() == 202);
  }

  @Test
  void pastTheTotalOfQueuedMessagesEveryoneGets429() throws Exception {
    h = start(c -> c.withAgent(c.agent().withConcurrency(c.agent().concurrency().withMaxQueuedTotal(2))));
    String[] users = {"u1", "u2", "u3"};
    // 50 permits: every turn starts and is held, so queued = waiting messages behind a held turn.
    for (String u : users) {
      String t = Tokens.bearer(u, Instant.now().plusSeconds(3600));
      assertThat(h.post("/v1/messages", t, msg(u + "-1", "")).statusCode()).isEqualTo(202);
    }
    String t1 = Tokens.bearer("u1", Instant.now().plusSeconds(3600));
    String t2 = Tokens.bearer("u2", Instant.now().plusSeconds(3600));
    Eventually.until("three turns running", () -> h.engine.snapshot().runningTurns() == 3);
    assertThat(h.post("/v1/messages", t1, msg("u1-2", "")).statusCode()).isEqualTo(202);
    assertThat(h.post("/v1/messages", t2, msg("u2-2", "")).statusCode()).isEqualTo(202);
    HttpResponse<String> r = h.post("/v1/messages", t2, msg("u2-3", ""));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(M.readTree(r.body()).path("reply").asText()).contains("too many messages waiting");
  }
}
