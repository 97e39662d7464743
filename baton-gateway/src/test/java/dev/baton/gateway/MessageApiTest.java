package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.OrderKey;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.gateway.support.Tokens;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The message API contract over a real loopback socket (against a fake engine; see EndToEndTest). */
class MessageApiTest {

  static final ObjectMapper M = new ObjectMapper();
  ManualScheduler clock;
  RecordingStore store;
  Harness h;
  FakeEngine engine;
  String alice;

  @BeforeEach
  void start() {
    clock = new ManualScheduler();
    store = new RecordingStore();
    h = new Harness(clock, store, c -> c, (c, r) -> new FakeEngine(c, r));
    engine = (FakeEngine) h.engine;
    alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
  }

  @AfterEach
  void stop() {
    h.close();
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return M.readTree(r.body());
  }

  @Test
  void acceptedThenDuplicate() throws Exception {
    HttpResponse<String> first = h.post("/v1/messages", alice, "{\"id\":\"m-1\",\"text\":\"hello\"}");
    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(json(first).path("status").asText()).isEqualTo("accepted");
    assertThat(json(first).path("id").asText()).isEqualTo("m-1");
    HttpResponse<String> again = h.post("/v1/messages", alice, "{\"id\":\"m-1\",\"text\":\"hello\"}");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(json(again).path("status").asText()).isEqualTo("duplicate");
    assertThat(engine.accepted).hasSize(1);
    assertThat(engine.accepted.getFirst().sender()).isEqualTo("alice");
  }

  @Test
  void optionalFieldsReachTheEngine() throws Exception {
    HttpResponse<String> r = h.post("/v1/messages", Tokens.bearer("alice", clock.now().plusSeconds(3600), "room"),
        "{\"id\":\"m-2\",\"text\":\"hi\",\"seq\":4,\"chat\":\"room\",\"sent_at\":\"2026-01-01T10:00:00+02:00\"}");
    assertThat(r.statusCode()).isEqualTo(202);
    var m = engine.accepted.getFirst();
    assertThat(m.order()).isEqualTo(OrderKey.sequence(4));
    assertThat(m.chat()).isEqualTo("room");
    assertThat(m.sentAt()).isEqualTo(Instant.parse("2026-01-01T08:00:00Z"));
    assertThat(m.channel()).isEqualTo("api");
  }

  @Test
  void busySessionGets429WithTheBusyReply() throws Exception {
    engine.busy.add("alice");
    HttpResponse<String> r = h.post("/v1/messages", alice, "{\"id\":\"m-3\",\"text\":\"hi\"}");
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(json(r).path("status").asText()).isEqualTo("busy");
    assertThat(json(r).path("id").asText()).isEqualTo("m-3");
    assertThat(json(r).path("reply").asText()).isEqualTo("busy, try again later");
  }

  @Test
  void aStoreOutageIs503WithoutDetails() throws Exception {
    engine.storeDown = true;
    HttpResponse<String> r = h.post("/v1/messages", alice, "{\"id\":\"m-9\",\"text\":\"hi\"}");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(json(r).path("error").path("code").asText()).isEqualTo("unavailable");
    assertThat(r.body()).doesNotContain("/secret/path").doesNotContain("Exception");
  }

  @Test
  void badBodiesAre400WithAJsonError() throws Exception {
    String[] bodies = {"", "not json", "[1,2]", "{\"id\":\"x\"}", "{\"text\":\"x\"}", "{\"id\":5,\"text\":\"x\"}",
        "{\"id\":\"x\",\"text\":7}", "{\"id\":\"x\",\"text\":\"t\",\"seq\":-1}", "{\"id\":\"x\",\"text\":\"t\",\"seq\":1.5}",
        "{\"id\":\"x\",\"text\":\"t\",\"seq\":\"1\"}", "{\"id\":\"x\",\"text\":\"t\",\"sent_at\":\"yesterday\"}",
        "{\"id\":\"x\",\"text\":\"t\",\"chat\":[]}", "{\"id\":\"\",\"text\":\"t\"}", "{\"id\":\"x\",\"text\":\"t\"} trailing",
        "{\"id\":\"x\",\"id\":\"y\",\"text\":\"t\"}", "{\"id\":\"x\",\"text\":\"t\",\"seq\":99999999999999999999999}"};
    for (String body : bodies) {
      HttpResponse<String> r = h.post("/v1/messages", alice, body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(json(r).path("error").path("code").asText()).as(body).isEqualTo("bad_request");
      assertThat(json(r).path("error").path("message").asText()).as(body).isNotBlank().doesNotContain("Exception");
    }
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void tokensAreVerified() throws Exception {
    Instant later = clock.now().plusSeconds(3600);
    List<String> bad = new ArrayList<>();
    bad.add(null);
    bad.add("Basic YWxpY2U6eA==");
    bad.add("Bearer not.a.jwt");
    bad.add("Bearer " + Tokens.hs256("another-secret-another-secret-another-1", "alice", later));
    bad.add("Bearer " + Tokens.hs256(Tokens.SECRET, null, later)); // no sub
    bad.add("Bearer " + Tokens.hs256(Tokens.SECRET, "alice", clock.now().minusSeconds(1))); // expired
    // alg=none with the same claims
    String[] parts = Tokens.hs256(Tokens.SECRET, "alice", later).split("\\.");
    bad.add("Bearer " + java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"alg\":\"none\"}".getBytes()) + "." + parts[1] + ".");
    for (String auth : bad) {
      HttpResponse<String> r = h.post("/v1/messages", auth, "{\"id\":\"m\",\"text\":\"t\"}");
      assertThat(r.statusCode()).as(String.valueOf(auth)).isEqualTo(401);
      assertThat(json(r).path("error").path("code").asText()).isEqualTo("unauthorized");
      assertThat(h.get("/v1/replies", auth).statusCode()).isEqualTo(401);
    }
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void expiryFollowsTheInjectedClock() {
    String token = Tokens.bearer("alice", clock.now().plusSeconds(60));
    assertThat(h.post("/v1/messages", token, "{\"id\":\"a\",\"text\":\"t\"}").statusCode()).isEqualTo(202);
    clock.advance(Duration.ofSeconds(61));
    assertThat(h.post("/v1/messages", token, "{\"id\":\"b\",\"text\":\"t\"}").statusCode()).isEqualTo(401);
  }

  @Test
  void oversizedBodyIs413AndNothingIsStored() throws Exception {
    String big = "{\"id\":\"big\",\"text\":\"" + "x".repeat((int) h.config.server().maxBodyBytes()) + "\"}";
    HttpResponse<String> r = h.post("/v1/messages", alice, big);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).path("error").path("code").asText()).isEqualTo("payload_too_large");
    assertThat(engine.accepted).isEmpty();
  }

  @Test
  void concurrentDuplicatePostsAcceptExactlyOnce() throws Exception {
    int n = 16;
    CyclicBarrier barrier = new CyclicBarrier(n);
    List<CompletableFuture<Integer>> results = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      CompletableFuture<Integer> f = new CompletableFuture<>();
      results.add(f);
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          barrier.await(10, TimeUnit.SECONDS);
          f.complete(h.post("/v1/messages", alice, "{\"id\":\"same\",\"text\":\"t\"}").statusCode());
        } catch (Throwable t) {
          f.completeExceptionally(t);
        }
      }));
    }
    for (Thread t : threads) t.join(30_000);
    List<Integer> codes = new ArrayList<>();
    for (CompletableFuture<Integer> f : results) codes.add(f.get(1, TimeUnit.SECONDS));
    assertThat(codes).filteredOn(c -> c == 202).hasSize(1);
    assertThat(codes).filteredOn(c -> c == 200).hasSize(n - 1);
    assertThat(engine.accepted).hasSize(1);
  }

  @Test
  void repliesComeInOrderWithTurnAndAreAcknowledgedByCursor() throws Exception {
    for (int i = 1; i <= 3; i++) {
      h.post("/v1/messages", alice, "{\"id\":\"m-" + i + "\",\"text\":\"t" + i + "\"}");
    }
    JsonNode page = json(h.get("/v1/replies", alice));
    assertThat(page.path("replies")).hasSize(3);
    for (int i = 0; i < 3; i++) {
      JsonNode r = page.path("replies").get(i);
      assertThat(r.path("in_reply_to").asText()).isEqualTo("m-" + (i + 1));
      assertThat(r.path("kind").asText()).isEqualTo("reply");
      assertThat(r.path("text").asText()).isEqualTo("echo: t" + (i + 1));
      assertThat(r.path("turn").asLong()).isEqualTo(i + 1);
      assertThat(r.path("id").asText()).isNotBlank();
    }
    assertThat(store.delivered).isEmpty(); // not acknowledged yet
    String next = page.path("next").asText();
    JsonNode after = json(h.get("/v1/replies?after=" + next, alice));
    assertThat(after.path("replies")).isEmpty();
    assertThat(after.path("next").asText()).isEqualTo(next);
    assertThat(store.delivered).extracting(RecordingStore.Delivered::outboxSeq).containsExactly(1L, 2L, 3L);
  }

  @Test
  void aUserNeverSeesAnotherUsersReplies() throws Exception {
    h.post("/v1/messages", alice, "{\"id\":\"secret\",\"text\":\"for alice\"}");
    String bob = Tokens.bearer("bob", clock.now().plusSeconds(3600));
    JsonNode bobs = json(h.get("/v1/replies", bob));
    assertThat(bobs.path("replies")).isEmpty();
    // Bob cannot acknowledge (or read) alice's replies with alice's cursor either.
    String aliceNext = json(h.get("/v1/replies", alice)).path("next").asText();
    assertThat(json(h.get("/v1/replies?after=" + aliceNext, bob)).path("replies")).isEmpty();
    assertThat(store.delivered).isEmpty();
    assertThat(json(h.get("/v1/replies", alice)).path("replies")).hasSize(1);
  }

  @Test
  void longPollWakesOnAReplyAndTimesOutByTheScheduler() throws Exception {
    CompletableFuture<HttpResponse<String>> waiting =
        CompletableFuture.supplyAsync(() -> h.get("/v1/replies?wait_ms=30000", alice));
    awaitPendingTimers(1);
    assertThat(waiting).isNotDone();
    h.post("/v1/messages", alice, "{\"id\":\"wake\",\"text\":\"now\"}");
    JsonNode page = json(waiting.get(10, TimeUnit.SECONDS));
    assertThat(page.path("replies").get(0).path("in_reply_to").asText()).isEqualTo("wake");

    String next = page.path("next").asText();
    CompletableFuture<HttpResponse<String>> empty =
        CompletableFuture.supplyAsync(() -> h.get("/v1/replies?wait_ms=5000&after=" + next, alice));
    awaitPendingTimers(1);
    clock.advance(Duration.ofMillis(4999));
    assertThat(empty).isNotDone();
    clock.advance(Duration.ofMillis(1));
    HttpResponse<String> r = empty.get(10, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).path("replies")).isEmpty();
  }

  /** Many parked long polls hold no platform thread each: 400 wait at once, then each gets its own reply. */
  @Test
  void manyConcurrentLongPollsAreParkedCheaplyAndEachGetsItsOwnReply() throws Exception {
    int n = 400;
    // Counted against what the JVM had before (other tests' pools may still be winding down in this fork).
    long platformBefore = Thread.getAllStackTraces().keySet().stream().filter(t -> !t.isVirtual()).count();
    var client = java.net.http.HttpClient.newBuilder().executor(java.util.concurrent.Executors
        .newVirtualThreadPerTaskExecutor()).build();
    List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String t = Tokens.bearer("u" + i, clock.now().plusSeconds(3600));
      tokens.add(t);
      polls.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(h.uri("/v1/replies?wait_ms=30000"))
          .header("Authorization", t).build(), HttpResponse.BodyHandlers.ofString()));
    }
    dev.baton.gateway.support.Clocks.awaitTimers(clock, n); // all n are parked on their deadline
    long platformThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> !t.isVirtual()).count();
    assertThat(platformThreads - platformBefore).as("new platform threads while %d polls wait", n).isLessThan(n / 2);
    for (int i = 0; i < n; i++) {
      assertThat(h.post("/v1/messages", tokens.get(i), "{\"id\":\"p" + i + "\",\"text\":\"x\"}").statusCode())
          .isEqualTo(202);
    }
    for (int i = 0; i < n; i++) {
      JsonNode page = json(polls.get(i).get(20, TimeUnit.SECONDS));
      assertThat(page.path("replies")).hasSize(1);
      assertThat(page.path("replies").get(0).path("in_reply_to").asText()).isEqualTo("p" + i);
    }
  }

  @Test
  void waitMsAndCursorAreValidated() throws Exception {
    for (String q : new String[] {"wait_ms=-1", "wait_ms=30001", "wait_ms=abc", "after=garbage", "after=x.-3"}) {
      HttpResponse<String> r = h.get("/v1/replies?" + q, alice);
      assertThat(r.statusCode()).as(q).isEqualTo(400);
      assertThat(json(r).path("error").path("code").asText()).isEqualTo("bad_request");
    }
  }

  /** Waits until the server has registered its long-poll deadline with the manual clock (bounded). */
  void awaitPendingTimers(int n) throws TimeoutException, ExecutionException, InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (clock.pending() < n) {
      if (System.nanoTime() > until) throw new TimeoutException("the long poll never registered its deadline");
      Thread.onSpinWait();
    }
  }
}
