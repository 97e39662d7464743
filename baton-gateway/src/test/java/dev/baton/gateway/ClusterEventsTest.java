package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ClusterConfig;
import dev.baton.config.StorageConfig;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.SseClient;
import dev.baton.gateway.support.Tokens;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/events in cluster mode: two gateways over one SQLite file. Replies reach a stream on either node
 * (from the store's outbox, within one poll interval), Last-Event-ID works across nodes; live events are
 * node-local.
 */
class ClusterEventsTest {

  static final ObjectMapper M = new ObjectMapper();
  static final Duration INTERVAL = Duration.ofMillis(200);

  @TempDir Path dir;
  ManualScheduler clock = new ManualScheduler();
  Store storeA;
  Store storeB;
  Harness a;
  Harness b;
  final List<SseClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    clients.forEach(SseClient::close);
    for (Harness h : new Harness[] {a, b}) if (h != null) h.close();
    for (Store s : new Store[] {storeA, storeB}) if (s != null) s.close();
  }

  Harness node(String id, Store store, StorageConfig sqlite) {
    return new Harness(clock, store,
        c -> c.withStorage(sqlite).withCluster(ClusterConfig.node(id).withPollIntervalMs(INTERVAL.toMillis())),
        (c, r) -> {
          FakeEngine e = new FakeEngine(c, r);
          e.emitReplies = false;
          return e;
        });
  }

  static Reply commit(Harness node, String inReplyTo, String text) {
    SessionKey session = SessionKey.user("api", "alice");
    Reply r = new Reply(session, 0, "api", "alice", inReplyTo, Reply.Kind.REPLY, text, OptionalLong.empty(),
        Map.of("user", "alice"), inReplyTo + "#1", List.of(inReplyTo));
    Reply stored = node.store.commitTurn(TurnCommit.finishOnly(session, List.of(), MessageStatus.DONE, List.of(r)))
        .getFirst();
    node.router.onReply(stored);
    return stored;
  }

  static LiveEvent.Delta delta(String inReplyTo, String text) {
    return new LiveEvent.Delta(SessionKey.user("api", "alice"), "api", "alice", inReplyTo, Map.of("user", "alice"),
        inReplyTo + "#1", 0, text);
  }

  SseClient open(Harness node, String auth, String last) {
    SseClient c = new SseClient(node.uri("/v1/events"), auth, last);
    clients.add(c);
    return c;
  }

  @Test
  void repliesReachAStreamOnAnyNodeAndLiveEventsStayOnTheirNode() throws Exception {
    StorageConfig sqlite = StorageConfig.sqlite(dir.resolve("baton.db").toString());
    storeA = SqliteStore.open(sqlite, Duration.ofHours(1), clock);
    storeB = SqliteStore.open(sqlite, Duration.ofHours(1), clock);
    a = node("a", storeA, sqlite);
    b = node("b", storeB, sqlite);
    String alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));

    SseClient onB = open(b, alice, null).awaitConnected();
    assertThat(clock.awaitTaskDue(INTERVAL, Duration.ofSeconds(10))).as("B's poller waits").isTrue();
    a.router.onLive(delta("m-1", "on A only")); // node-local: B's stream does not see it
    b.router.onLive(delta("m-1", "on B"));
    assertThat(M.readTree(onB.nextEvent().data()).path("text").asText()).isEqualTo("on B");
    Reply first = commit(a, "m-1", "from A");
    clock.advance(INTERVAL); // B finds it at its next re-check of the store
    SseClient.Event r1 = onB.nextEvent();
    assertThat(r1.event()).isEqualTo("reply");
    assertThat(M.readTree(r1.data()).path("id").asText()).isEqualTo("api:u:alice/" + first.outboxSeq());
    assertThat(M.readTree(r1.data()).path("reply_id").asText()).as("kept by the store").isEqualTo("m-1#1");
    assertThat(M.readTree(r1.data()).path("covers")).hasSize(1);
    onB.close();

    // Reconnect to the other node with the last id: acknowledged in the shared store, nothing repeated.
    commit(b, "m-2", "second");
    SseClient onA = open(a, alice, r1.id()).awaitConnected();
    SseClient.Event r2 = onA.nextEvent();
    assertThat(M.readTree(r2.data()).path("in_reply_to").asText()).isEqualTo("m-2");
    assertThat(storeA.undeliveredReplies(SessionKey.user("api", "alice"))).extracting(Reply::inReplyTo)
        .containsExactly("m-2");
  }
}
