package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.IdSource;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ClusterConfig;
import dev.baton.config.SessionsConfig;
import dev.baton.config.StorageConfig;
import dev.baton.gateway.support.Clocks;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.Tokens;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/replies} in cluster mode: two gateways ("nodes" A and B), each with its own store connection to
 * one SQLite file, over real loopback HTTP. A reply is "produced on a node" the way the engine produces it:
 * committed to the outbox (Store.commitTurn) and then handed to that node's ReplyRouter.
 */
class ClusterRepliesTest {

  static final ObjectMapper M = new ObjectMapper();
  static final Duration INTERVAL = Duration.ofMillis(200);
  static final long TIMEOUT_S = 20;

  @TempDir Path dir;
  ManualScheduler clock;
  Store storeA;
  Store storeB;
  Harness a;
  Harness b;
  String alice;

  @BeforeEach
  void start() {
    startNodes(c -> c);
  }

  void startNodes(UnaryOperator<BatonConfig> extra) {
    clock = new ManualScheduler();
    StorageConfig sqlite = StorageConfig.sqlite(dir.resolve("baton.db").toString());
    storeA = SqliteStore.open(sqlite, Duration.ofHours(1), clock);
    storeB = SqliteStore.open(sqlite, Duration.ofHours(1), clock);
    a = node("a", storeA, sqlite, extra);
    b = node("b", storeB, sqlite, extra);
    alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
  }

  Harness node(String id, Store store, StorageConfig sqlite, UnaryOperator<BatonConfig> extra) {
    return new Harness(clock, store,
        c -> extra.apply(c.withStorage(sqlite).withCluster(ClusterConfig.node(id).withPollIntervalMs(INTERVAL.toMillis()))),
        (c, r) -> {
          FakeEngine e = new FakeEngine(c, r);
          e.emitReplies = false; // replies are produced by commit() below, as the engine does
          return e;
        });
  }

  @AfterEach
  void stop() {
    for (Harness h : new Harness[] {a, b}) if (h != null) h.close();
    for (Store s : new Store[] {storeA, storeB}) if (s != null) s.close();
  }

  /** Produces a reply for {@code user} on {@code node}: commit to the outbox, then hand it to the node's router. */
  static Reply commit(Harness node, SessionKey session, String user, String inReplyTo, String text) {
    Reply r = new Reply(session, 0, "api", user, inReplyTo, Reply.Kind.REPLY, text, OptionalLong.empty(),
        Map.of("user", user));
    Reply stored = node.store.commitTurn(TurnCommit.finishOnly(session, List.of(), MessageStatus.DONE, List.of(r)))
        .getFirst();
    node.router.onReply(stored);
    return stored;
  }

  static SessionKey sessionOf(String user) {
    return new SessionKey("api:u:" + user);
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return M.readTree(r.body());
  }

  static List<String> texts(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.path("replies").forEach(r -> out.add(r.path("text").asText()));
    return out;
  }

  double reads(Harness h) {
    return h.meters.counter("baton.gateway.api.replies.store.reads").count();
  }

  @Test
  void aReplyCommittedOnBIsReturnedOnA() throws Exception {
    commit(b, sessionOf("alice"), "alice", "m-1", "hello from b");
    JsonNode page = json(a.get("/v1/replies", alice));
    assertThat(page.path("replies")).hasSize(1);
    JsonNode r = page.path("replies").get(0);
    assertThat(r.path("id").asText()).isEqualTo("api:u:alice/1");
    assertThat(r.path("in_reply_to").asText()).isEqualTo("m-1");
    assertThat(r.path("kind").asText()).isEqualTo("reply");
    assertThat(r.path("text").asText()).isEqualTo("hello from b");
    assertThat(page.path("next").asText()).matches("[0-9a-f]{12}\\.1");
  }

  @Test
  void aLongPollOnAReturnsAReplyCommittedOnBWithinOnePollIntervalReadingTheStoreOncePerInterval()
      throws Exception {
    int base = clock.pending();
    CompletableFuture<HttpResponse<String>> waiting =
        CompletableFuture.supplyAsync(() -> a.get("/v1/replies?wait_ms=30000", alice));
    Clocks.awaitTimers(clock, base + 2); // the wait_ms deadline and the first re-check
    assertThat(reads(a)).isEqualTo(1);
    for (int i = 1; i <= 3; i++) { // nothing there: one store read per interval, no more
      clock.advance(INTERVAL);
      Clocks.awaitTimers(clock, base + 2);
      assertThat(reads(a)).isEqualTo(1 + i);
    }
    commit(b, sessionOf("alice"), "alice", "m-1", "made on b");
    clock.advance(INTERVAL.minusMillis(1));
    assertThat(reads(a)).as("no re-check before the interval is up").isEqualTo(4);
    assertThat(waiting).isNotDone();
    clock.advance(Duration.ofMillis(1));
    JsonNode page = json(waiting.get(TIMEOUT_S, TimeUnit.SECONDS));
    assertThat(texts(page)).containsExactly("made on b");
    assertThat(reads(a)).isEqualTo(5);
    assertThat(clock.pending()).as("the poll's timers are cancelled").isEqualTo(base);
  }

  @Test
  void aReplyProducedOnTheSameNodeWakesTheLongPollAtOnce() throws Exception {
    int base = clock.pending();
    CompletableFuture<HttpResponse<String>> waiting =
        CompletableFuture.supplyAsync(() -> a.get("/v1/replies?wait_ms=30000", alice));
    Clocks.awaitTimers(clock, base + 2);
    commit(a, sessionOf("alice"), "alice", "m-1", "made on a");
    JsonNode page = json(waiting.get(TIMEOUT_S, TimeUnit.SECONDS)); // no time passed
    assertThat(texts(page)).containsExactly("made on a");
    assertThat(reads(a)).isEqualTo(2);
  }

  @Test
  void theWaitIsBoundedByWaitMsOnTheScheduler() throws Exception {
    int base = clock.pending();
    CompletableFuture<HttpResponse<String>> waiting =
        CompletableFuture.supplyAsync(() -> a.get("/v1/replies?wait_ms=1000", alice));
    Clocks.awaitTimers(clock, base + 2);
    for (int i = 0; i < 4; i++) {
      clock.advance(INTERVAL);
      Clocks.awaitTimers(clock, base + 2);
    }
    clock.advance(INTERVAL.minusMillis(1));
    assertThat(waiting).isNotDone();
    clock.advance(Duration.ofMillis(1));
    JsonNode page = json(waiting.get(TIMEOUT_S, TimeUnit.SECONDS));
    assertThat(page.path("replies")).isEmpty();
    assertThat(reads(a)).isLessThanOrEqualTo(1 + 1000 / INTERVAL.toMillis());
  }

  @Test
  void acknowledgingOnAMarksDeliveredSoBNeverReturnsItAgain() throws Exception {
    commit(b, sessionOf("alice"), "alice", "m-1", "one");
    commit(b, sessionOf("alice"), "alice", "m-2", "two");
    JsonNode page = json(a.get("/v1/replies", alice));
    assertThat(texts(page)).containsExactly("one", "two");
    String next = page.path("next").asText();
    assertThat(storeB.undeliveredReplies(sessionOf("alice"))).hasSize(2); // read, not acknowledged
    JsonNode acked = json(a.get("/v1/replies?after=" + next, alice));
    assertThat(acked.path("replies")).isEmpty();
    assertThat(acked.path("next").asText()).isEqualTo(next);
    assertThat(storeB.undeliveredReplies(sessionOf("alice"))).isEmpty();
    assertThat(json(b.get("/v1/replies", alice)).path("replies")).as("B, without a cursor").isEmpty();
    assertThat(json(b.get("/v1/replies?after=" + next, alice)).path("replies")).as("B, with it").isEmpty();
  }

  @Test
  void aCursorFromOneNodeIsValidOnTheOther() throws Exception {
    commit(b, sessionOf("alice"), "alice", "m-1", "one");
    JsonNode first = json(a.get("/v1/replies", alice));
    assertThat(texts(first)).containsExactly("one");
    commit(a, sessionOf("alice"), "alice", "m-2", "two");
    JsonNode second = json(b.get("/v1/replies?after=" + first.path("next").asText(), alice));
    assertThat(texts(second)).as("the switch of node neither repeats nor loses a reply").containsExactly("two");
    assertThat(storeA.undeliveredReplies(sessionOf("alice"))).extracting(Reply::outboxSeq).containsExactly(2L);
    JsonNode third = json(a.get("/v1/replies?after=" + second.path("next").asText(), alice));
    assertThat(third.path("replies")).isEmpty();
    assertThat(storeA.undeliveredReplies(sessionOf("alice"))).isEmpty();
  }

  @Test
  void anUnacknowledgedReplyIsReturnedAgainOnEitherNode() throws Exception {
    commit(b, sessionOf("alice"), "alice", "m-1", "one");
    assertThat(texts(json(a.get("/v1/replies", alice)))).containsExactly("one");
    assertThat(texts(json(b.get("/v1/replies", alice)))).containsExactly("one");
    assertThat(texts(json(a.get("/v1/replies", alice)))).containsExactly("one");
    assertThat(storeA.undeliveredReplies(sessionOf("alice"))).hasSize(1);
  }

  @Test
  void badCursorsAre400AndForeignOnesReadFromTheStartAcknowledgingNothing() throws Exception {
    commit(b, sessionOf("alice"), "alice", "m-1", "one");
    for (String q : new String[] {"after=garbage", "after=x.-3", "after=abc.", "after=.5", "after=t.1.5",
        "after=t.99999999999999999999", "chat=" + "c".repeat(257)}) {
      HttpResponse<String> r = a.get("/v1/replies?" + q, alice);
      assertThat(r.statusCode()).as(q).isEqualTo(400);
      JsonNode err = M.readTree(r.body()).path("error");
      assertThat(err.path("code").asText()).isEqualTo("bad_request");
      assertThat(err.path("message").asText()).as(q).isNotBlank().doesNotContain("Exception");
    }
    // Well-formed but of another session: bob's cursor, a single-node cursor.
    String bob = Tokens.bearer("bob", clock.now().plusSeconds(3600));
    commit(a, sessionOf("bob"), "bob", "b-1", "for bob");
    String bobs = json(a.get("/v1/replies", bob)).path("next").asText();
    for (String foreign : new String[] {bobs, "6f1c2a9e01b4.7"}) {
      JsonNode page = json(b.get("/v1/replies?after=" + foreign, alice));
      assertThat(texts(page)).as(foreign).containsExactly("one");
    }
    assertThat(storeA.undeliveredReplies(sessionOf("alice"))).hasSize(1);
    assertThat(storeA.undeliveredReplies(sessionOf("bob"))).hasSize(1);
  }

  @Test
  void aLocallyProducedReplyForAUserWhoPollsElsewhereLeavesNothingInMemory() throws Exception {
    int users = 200;
    for (int i = 0; i < users; i++) commit(b, sessionOf("u" + i), "u" + i, "m", "r" + i);
    assertThat(b.router.lanes.waitingSessions()).isZero();
    for (int i = 0; i < users; i += 50) {
      String t = Tokens.bearer("u" + i, clock.now().plusSeconds(3600));
      assertThat(texts(json(a.get("/v1/replies", t)))).containsExactly("r" + i);
    }
    assertThat(a.router.lanes.waitingSessions()).isZero();
  }

  @Test
  void inASharedChatSessionEachUserSeesAndAcknowledgesOnlyTheirOwnReplies() throws Exception {
    stop();
    dir = dir.resolve("chat");
    startNodes(c -> c.withSessions(new SessionsConfig(SessionsConfig.Isolation.STRICT,
        SessionsConfig.Storage.PER_SESSION, IdSource.CHAT_ID)));
    String bob = Tokens.bearer("bob", clock.now().plusSeconds(3600), "room");
    String alice = Tokens.bearer("alice", clock.now().plusSeconds(3600), "room");
    SessionKey room = SessionKey.chat("api", "room");
    commit(b, room, "alice", "a-1", "to alice");
    commit(b, room, "bob", "b-1", "to bob");
    JsonNode alices = json(a.get("/v1/replies?chat=room", alice));
    assertThat(texts(alices)).containsExactly("to alice");
    assertThat(json(a.get("/v1/replies", alice)).path("replies")).as("no chat: alice's own chat").isEmpty();
    json(a.get("/v1/replies?chat=room&after=" + alices.path("next").asText(), alice));
    assertThat(storeB.undeliveredReplies(room)).extracting(Reply::text).containsExactly("to bob");
    assertThat(texts(json(b.get("/v1/replies?chat=room&after=" + alices.path("next").asText(), bob))))
        .as("alice's cursor is not bob's").containsExactly("to bob");
  }

  /** Many clients long-poll A at once while B commits from several threads: each gets exactly its own reply. */
  @Test
  void concurrentLongPollsOnAEachGetTheirReplyCommittedConcurrentlyOnB() throws Exception {
    int n = 60;
    int base = clock.pending();
    HttpClient client = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String t = Tokens.bearer("p" + i, clock.now().plusSeconds(3600));
      polls.add(client.sendAsync(HttpRequest.newBuilder(a.uri("/v1/replies?wait_ms=30000"))
          .header("Authorization", t).build(), HttpResponse.BodyHandlers.ofString()));
    }
    Clocks.awaitTimers(clock, base + 2 * n);
    int writers = 4;
    CyclicBarrier barrier = new CyclicBarrier(writers);
    List<CompletableFuture<Void>> done = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int first = w;
      CompletableFuture<Void> f = new CompletableFuture<>();
      done.add(f);
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          barrier.await(TIMEOUT_S, TimeUnit.SECONDS);
          for (int i = first; i < n; i += writers) commit(b, sessionOf("p" + i), "p" + i, "m" + i, "r" + i);
          f.complete(null);
        } catch (Throwable t) {
          f.completeExceptionally(t);
        }
      }));
    }
    for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
    for (CompletableFuture<Void> f : done) f.get(1, TimeUnit.SECONDS);
    clock.advance(INTERVAL);
    for (int i = 0; i < n; i++) {
      assertThat(texts(json(polls.get(i).get(TIMEOUT_S, TimeUnit.SECONDS)))).containsExactly("r" + i);
    }
    client.close();
  }
}
