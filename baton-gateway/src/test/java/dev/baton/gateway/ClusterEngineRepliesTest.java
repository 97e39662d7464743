package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Baton;
import dev.baton.SessionKey;
import dev.baton.Turn;
import dev.baton.config.ClusterConfig;
import dev.baton.config.StorageConfig;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.Tokens;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path with the real engine in cluster mode: two nodes (engine + gateway, each with its own connection
 * to one SQLite file, real clock). Alice's session is leased by node A (her first message reached A before B
 * started), so both her turns run there, even the one whose message node B received; her client polls only
 * node B and still gets both replies, in order, and acknowledges them there.
 */
class ClusterEngineRepliesTest {

  static final ObjectMapper M = new ObjectMapper();

  @TempDir Path dir;

  /** Which node ran the turn of which message: "a:m1". */
  final Queue<String> ran = new ConcurrentLinkedQueue<>();

  Harness node(String id, Store store, StorageConfig sqlite) {
    EchoAgent echo = new EchoAgent();
    return new Harness(Scheduler.system(), store,
        c -> c.withStorage(sqlite).withCluster(ClusterConfig.node(id).withPollIntervalMs(50)),
        (c, router) -> Baton.builder().config(c).store(store).scheduler(Scheduler.system()).replies(router)
            .agent(turn -> {
              for (Turn.Message m : turn.messages()) ran.add(id + ":" + m.id());
              echo.onTurn(turn);
            }).build());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return M.readTree(r.body());
  }

  /** Long-polls {@code h} until {@code n} replies arrived (each poll bounded by wait_ms; at most 20 polls). */
  static List<JsonNode> pollUntil(Harness h, String auth, String after, int n) throws Exception {
    List<JsonNode> got = new ArrayList<>();
    String cursor = after;
    for (int i = 0; i < 20 && got.size() < n; i++) {
      JsonNode page = json(h.get("/v1/replies?wait_ms=10000&after=" + cursor, auth));
      page.path("replies").forEach(got::add);
      cursor = page.path("next").asText();
    }
    got.add(M.createObjectNode().put("next", cursor));
    return got;
  }

  @Test
  void repliesOfTurnsRunOnNodeAAreServedAndAcknowledgedOnNodeB() throws Exception {
    StorageConfig sqlite = StorageConfig.sqlite(dir.resolve("baton.db").toString());
    Store storeA = SqliteStore.open(sqlite, Duration.ofHours(1), Scheduler.system());
    Store storeB = SqliteStore.open(sqlite, Duration.ofHours(1), Scheduler.system());
    String alice = Tokens.bearer("alice", Instant.now().plusSeconds(3600));
    SessionKey session = new SessionKey("api:u:alice");
    try (Harness a = node("a", storeA, sqlite)) {
      // m1 reaches A while A is the only node: A takes alice's session lease, and keeps it while her replies
      // are undelivered.
      assertThat(a.post("/v1/messages", alice, "{\"id\":\"m1\",\"text\":\"one\"}").statusCode()).isEqualTo(202);
      try (Harness b = node("b", storeB, sqlite)) {
        List<JsonNode> first = pollUntil(b, alice, "", 1);
        assertThat(first.getFirst().path("text").asText()).isEqualTo("one (turn 1)");
        assertThat(first.getFirst().path("id").asText()).isEqualTo("api:u:alice/1");
        String cursor = first.getLast().path("next").asText();

        // B receives m2, but A holds alice's lease: A's journal poll runs the turn, and its reply reaches B's client.
        assertThat(b.post("/v1/messages", alice, "{\"id\":\"m2\",\"text\":\"two\"}").statusCode()).isEqualTo(202);
        List<JsonNode> second = pollUntil(b, alice, cursor, 1);
        assertThat(second.getFirst().path("text").asText()).as("m1 acknowledged, not repeated").isEqualTo("two (turn 2)");
        assertThat(second.getFirst().path("in_reply_to").asText()).isEqualTo("m2");
        assertThat(storeB.undeliveredReplies(session)).hasSize(1);
        assertThat(ran).as("both turns ran on A, the lease holder").containsExactly("a:m1", "a:m2");

        JsonNode acked = json(a.get("/v1/replies?after=" + second.getLast().path("next").asText(), alice));
        assertThat(acked.path("replies")).as("B's cursor, on A").isEmpty();
        assertThat(storeA.undeliveredReplies(session)).isEmpty();
      }
    } finally {
      storeA.close();
      storeB.close();
    }
  }
}
