package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.gateway.support.SseClient;
import dev.baton.gateway.support.Tokens;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** GET /v1/events over a real loopback socket, against a fake engine that emits live events and replies. */
class EventsApiTest {

  static final ObjectMapper M = new ObjectMapper();
  static final long HEARTBEAT_MS = 1000;
  ManualScheduler clock = new ManualScheduler();
  RecordingStore store = new RecordingStore();
  Harness h;
  FakeEngine engine;
  String alice;
  String bob;
  final List<SseClient> clients = new ArrayList<>();

  void start(int maxStreams) {
    h = new Harness(clock, store, c -> {
      var api = c.channels().api();
      return c.withChannels(c.channels().withApi(new ChannelsConfig.ApiChannelConfig(true, api.jwt(),
          api.replyBuffer(), api.chats(), api.maxPollsPerUser(), maxStreams, HEARTBEAT_MS)));
    }, (c, r) -> new FakeEngine(c, r));
    engine = (FakeEngine) h.engine;
    alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
    bob = Tokens.bearer("bob", clock.now().plusSeconds(3600));
  }

  @AfterEach
  void stop() {
    clients.forEach(SseClient::close);
    if (h != null) h.close();
  }

  SseClient open(String auth, String lastEventId) {
    SseClient c = new SseClient(h.uri("/v1/events"), auth, lastEventId);
    clients.add(c);
    return c;
  }

  static LiveEvent.Delta delta(String user, String inReplyTo, String stream, long offset, String text) {
    return new LiveEvent.Delta(SessionKey.user("api", user), "api", user, inReplyTo, Map.of("user", user), stream,
        offset, text);
  }

  static LiveEvent.Status status(String user, String inReplyTo, LiveEvent.State state) {
    return new LiveEvent.Status(SessionKey.user("api", user), "api", user, inReplyTo, Map.of("user", user), state);
  }

  static Reply reply(String user, long seq, String inReplyTo, String text, String stream, List<String> covers) {
    return new Reply(SessionKey.user("api", user), seq, "api", user, inReplyTo, Reply.Kind.REPLY, text,
        OptionalLong.of(seq), Map.of("user", user), stream, covers);
  }

  static JsonNode json(String s) throws Exception {
    return M.readTree(s);
  }

  @Test
  void deltaStatusAndReplyAreFramedAndTheReplyIsTheObjectOfGetReplies() throws Exception {
    start(4);
    SseClient c = open(alice, null).awaitConnected();
    assertThat(c.status).isEqualTo(200);
    assertThat(c.contentType).startsWith("text/event-stream");
    engine.live(status("alice", "m-1", LiveEvent.State.RUNNING));
    SseClient.Event st = c.nextEvent();
    assertThat(st.event()).isEqualTo("status");
    assertThat(json(st.data())).isEqualTo(json("{\"in_reply_to\":\"m-1\",\"state\":\"running\"}"));
    engine.live(delta("alice", "m-1", "m-1#1", 0, "Hel"));
    SseClient.Event d = c.nextEvent();
    assertThat(d.event()).isEqualTo("delta");
    assertThat(d.id()).isEmpty();
    assertThat(json(d.data())).isEqualTo(
        json("{\"reply_id\":\"m-1#1\",\"in_reply_to\":\"m-1\",\"offset\":0,\"text\":\"Hel\"}"));
    engine.live(delta("alice", "m-2", "m-1#1", 3, "lo\nworld \"q\""));
    engine.live(status("alice", "m-2", LiveEvent.State.STEERED));
    engine.deliver(reply("alice", 1, "m-2", "Hello\nworld \"q\"", "m-1#1", List.of("m-1", "m-2")));
    List<SseClient.Event> rest = new ArrayList<>();
    for (SseClient.Event e = c.nextEvent(); ; e = c.nextEvent()) {
      rest.add(e);
      if (e.event().equals("reply")) break;
    }
    assertThat(rest).extracting(SseClient.Event::event).containsExactly("delta", "status", "reply");
    assertThat(json(rest.get(0).data()).path("text").asText()).isEqualTo("lo\nworld \"q\"");
    assertThat(json(rest.get(1).data()).path("state").asText()).isEqualTo("steered");
    SseClient.Event r = rest.get(2);
    JsonNode sse = json(r.data());
    assertThat(sse.path("reply_id").asText()).isEqualTo("m-1#1");
    assertThat(sse.path("covers")).isEqualTo(json("[\"m-1\",\"m-2\"]"));
    assertThat(sse.path("kind").asText()).isEqualTo("reply");
    // Exactly GET /v1/replies' object (the stream acknowledged nothing), and the SSE id is its cursor.
    JsonNode page = json(h.get("/v1/replies", alice).body());
    assertThat(page.path("replies")).hasSize(1);
    assertThat(page.path("replies").get(0)).isEqualTo(sse);
    assertThat(page.path("next").asText()).isEqualTo(r.id());
    assertThat(store.delivered).isEmpty();
  }

  @Test
  void aReplyThatWasNotStreamedHasNoReplyIdAndKindCancelledIsShown() throws Exception {
    start(4);
    engine.deliver(new Reply(SessionKey.user("api", "alice"), 1, "api", "alice", "m-1", Reply.Kind.CANCELLED,
        "stopped", OptionalLong.empty(), Map.of("user", "alice")));
    SseClient c = open(alice, null).awaitConnected();
    JsonNode r = json(c.nextEvent().data());
    assertThat(r).isEqualTo(json("{\"id\":\"api:u:alice/1\",\"in_reply_to\":\"m-1\",\"kind\":\"cancelled\","
        + "\"text\":\"stopped\",\"covers\":[\"m-1\"]}"));
  }

  /**
   * Under real concurrency (an engine thread emitting while the writer writes), every delta of a reply is
   * written before it and the deltas build exactly its text.
   */
  @Test
  void deltasHandedOverBeforeTheirReplyAreWrittenBeforeIt() throws Exception {
    start(4);
    SseClient c = open(alice, null).awaitConnected();
    int turns = 200;
    CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
      for (int t = 1; t <= turns; t++) {
        String id = "m-" + t;
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 5; i++) {
          String piece = "t" + t + "p" + i + " ";
          engine.live(delta("alice", id, id + "#1", text.length(), piece));
          text.append(piece);
        }
        engine.deliver(reply("alice", t, id, text.toString(), id + "#1", List.of(id)));
      }
    });
    // Deltas of a later turn may come before the reply of an earlier one; those of a reply never after it.
    Map<String, StringBuilder> streamed = new java.util.HashMap<>();
    for (int t = 1; t <= turns; ) {
      SseClient.Event e = c.nextEvent();
      JsonNode d = json(e.data());
      if (e.event().equals("delta")) {
        StringBuilder sb = streamed.computeIfAbsent(d.path("reply_id").asText(), k -> new StringBuilder());
        assertThat(d.path("offset").asLong()).as("offset of %s", d).isEqualTo(sb.length());
        sb.append(d.path("text").asText());
      } else {
        assertThat(e.event()).isEqualTo("reply");
        assertThat(d.path("in_reply_to").asText()).isEqualTo("m-" + t);
        assertThat(String.valueOf(streamed.get(d.path("reply_id").asText()))).as("the deltas of m-%d", t)
            .isEqualTo(d.path("text").asText());
        t++;
      }
    }
    producer.get(10, TimeUnit.SECONDS);
  }

  @Test
  void reconnectWithLastEventIdLosesAndRepeatsNoReply() throws Exception {
    start(4);
    for (int i = 1; i <= 3; i++) engine.deliver(reply("alice", i, "m-" + i, "r" + i, "", List.of()));
    SseClient first = open(alice, null).awaitConnected();
    first.nextEvent();
    SseClient.Event second = first.nextEvent();
    assertThat(json(second.data()).path("in_reply_to").asText()).isEqualTo("m-2");
    first.close(); // reply 3 was written too, but this client never read it
    SseClient again = open(alice, second.id()).awaitConnected();
    SseClient.Event third = again.nextEvent();
    assertThat(json(third.data()).path("in_reply_to").asText()).as("nothing lost").isEqualTo("m-3");
    engine.deliver(reply("alice", 4, "m-4", "r4", "", List.of()));
    SseClient.Event fourth = again.nextEvent();
    assertThat(json(fourth.data()).path("in_reply_to").asText()).as("nothing repeated").isEqualTo("m-4");
    // Last-Event-ID acknowledged the first two, exactly as a poll with that cursor does.
    assertThat(store.delivered).extracting(RecordingStore.Delivered::outboxSeq).containsExactly(1L, 2L);
  }

  @Test
  void garbageLastEventIdIs400BeforeTheStreamAndAForeignOneSkipsOnlyTheCallersOwnReplies() throws Exception {
    start(4);
    for (String bad : new String[] {"garbage", "x.-3", "abc.", ".5", "a.b", "x".repeat(300)}) {
      SseClient c = open(alice, bad);
      assertThat(c.status).as(bad).isEqualTo(400);
      assertThat(json(c.body).path("error").path("code").asText()).isEqualTo("bad_request");
      assertThat(c.body).doesNotContain("garbage").doesNotContain("xxxxxxxxxx");
    }
    // Bob's cursor (a later position of the same inbox) given by Alice skips Alice's own replies only.
    engine.deliver(reply("alice", 1, "a-1", "for alice", "", List.of()));
    engine.deliver(reply("bob", 1, "b-1", "for bob", "", List.of()));
    SseClient bobs = open(bob, null).awaitConnected();
    String bobCursor = bobs.nextEvent().id();
    SseClient forged = open(alice, bobCursor).awaitConnected();
    engine.deliver(reply("alice", 2, "a-2", "later", "", List.of()));
    JsonNode r = json(forged.nextEvent().data());
    assertThat(r.path("in_reply_to").asText()).isEqualTo("a-2");
    assertThat(store.delivered).extracting(RecordingStore.Delivered::session)
        .containsOnly(SessionKey.user("api", "alice"));
    assertThat(json(h.get("/v1/replies", bob).body()).path("replies").get(0).path("in_reply_to").asText())
        .isEqualTo("b-1");
  }

  @Test
  void aUserPastTheStreamLimitGets429AndAnotherUserDoesNot() throws Exception {
    start(2);
    open(alice, null).awaitConnected();
    SseClient second = open(alice, null).awaitConnected();
    SseClient third = open(alice, null);
    assertThat(third.status).isEqualTo(429);
    assertThat(json(third.body).path("error").path("code").asText()).isEqualTo("too_many_streams");
    assertThat(open(bob, null).awaitConnected().status).isEqualTo(200);
    second.close();
    // The server notices a vanished client at its next write: the heartbeat's, by the injected clock.
    String longLived = Tokens.bearer("alice", clock.now().plusSeconds(100_000_000));
    dev.baton.gateway.support.Eventually.until("a slot is free again", () -> {
      clock.advance(Duration.ofMillis(HEARTBEAT_MS));
      try (SseClient c = new SseClient(h.uri("/v1/events"), longLived, null)) {
        return c.status == 200;
      }
    });
  }

  @Test
  void unauthenticatedOrForeignChatIsRefused() throws Exception {
    start(4);
    assertThat(open(null, null).status).isEqualTo(401);
    assertThat(open("Bearer nope", null).status).isEqualTo(401);
    SseClient foreign = new SseClient(h.uri("/v1/events?chat=secret-room"), alice, null);
    clients.add(foreign);
    assertThat(foreign.status).isEqualTo(403);
    assertThat(foreign.body).doesNotContain("secret-room");
    SseClient member = new SseClient(h.uri("/v1/events?chat=room"),
        Tokens.bearer("alice", clock.now().plusSeconds(3600), "room"), null);
    clients.add(member);
    assertThat(member.status).isEqualTo(200);
  }

  @Test
  void heartbeatsComeOnlyWhenIdleByTheInjectedClock() throws Exception {
    start(4);
    SseClient c = open(alice, null).awaitConnected();
    assertThat(clock.awaitTaskDue(Duration.ofMillis(HEARTBEAT_MS), Duration.ofSeconds(10))).isTrue();
    clock.advance(Duration.ofMillis(HEARTBEAT_MS - 1));
    engine.live(status("alice", "m-1", LiveEvent.State.RUNNING));
    assertThat(c.next().event()).as("no ping before the interval").isEqualTo("status");
    clock.advance(Duration.ofMillis(1)); // the timer fires, but the status was written 1 ms ago: no ping, and
    // the next one is due an interval after that write (not an interval after now)
    assertThat(clock.awaitTaskDue(Duration.ofMillis(HEARTBEAT_MS - 1), Duration.ofSeconds(10))).isTrue();
    clock.advance(Duration.ofMillis(HEARTBEAT_MS - 1));
    assertThat(c.next()).isEqualTo(new SseClient.Event("", "comment", "ping"));
    assertThat(clock.awaitTaskDue(Duration.ofMillis(HEARTBEAT_MS), Duration.ofSeconds(10))).isTrue();
    clock.advance(Duration.ofMillis(HEARTBEAT_MS));
    assertThat(c.next()).isEqualTo(new SseClient.Event("", "comment", "ping"));
  }

  @Test
  void anotherUserNeverSeesMyDeltasOrStatus() throws Exception {
    start(4);
    SseClient a = open(alice, null).awaitConnected();
    SseClient b = open(bob, null).awaitConnected();
    engine.live(delta("bob", "b-1", "b-1#1", 0, "bob's secret"));
    engine.live(status("bob", "b-1", LiveEvent.State.RUNNING));
    // A shared chat session: the reply goes to the member whose message it answers (routing user), only.
    engine.live(new LiveEvent.Delta(SessionKey.chat("api", "room"), "api", "room", "b-2", Map.of("user", "bob"),
        "b-2#1", 0, "bob in room"));
    engine.live(delta("carol", "c-1", "c-1#1", 0, "nobody listens")); // no stream: dropped, nothing kept
    engine.live(status("alice", "a-1", LiveEvent.State.RUNNING));
    SseClient.Event first = a.nextEvent();
    assertThat(json(first.data()).path("in_reply_to").asText()).isEqualTo("a-1");
    assertThat(b.nextEvent().data()).contains("bob's secret");
    assertThat(b.nextEvent().event()).isEqualTo("status");
    assertThat(b.nextEvent().data()).contains("bob in room");
  }

  @Test
  void theGatewayStopEndsTheStreamCleanly() throws Exception {
    start(4);
    SseClient c = open(alice, null).awaitConnected();
    h.gateway.stop(Duration.ZERO);
    assertThat(c.untilEnd()).allMatch(e -> e.event().equals("comment"));
  }
}
