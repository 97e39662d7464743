package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.SessionKey;
import dev.baton.config.SessionsConfig;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.Tokens;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import dev.baton.config.BatonConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's attacks on the message API by an authenticated but hostile user, over a real loopback socket
 * against the real engine (echo agent, memory store). Each test failed on the code before the fix.
 */
class HostileApiTest {

  static final ObjectMapper M = new ObjectMapper();
  final ManualScheduler clock = new ManualScheduler();
  MemoryStore store = new MemoryStore();
  Harness h;

  void start(IdSource idSource, Map<String, List<String>> declaredChats) {
    start(idSource, declaredChats, UnaryOperator.identity());
  }

  void start(IdSource idSource, Map<String, List<String>> declaredChats, UnaryOperator<BatonConfig> more) {
    store = new MemoryStore(more.apply(BatonConfig.defaults()).dedup()); // the store keeps the config's bounds
    UnaryOperator<BatonConfig> tweak = c -> more.apply(c)
        .withSessions(new SessionsConfig(SessionsConfig.Isolation.STRICT, SessionsConfig.Storage.PER_SESSION, idSource))
        .withChannels(c.channels().withApi(new dev.baton.config.ChannelsConfig.ApiChannelConfig(true,
            c.channels().api().jwt(), 1000, declaredChats)));
    h = new Harness(clock, store, tweak,
        (c, router) -> Baton.builder().config(c).store(store).scheduler(clock).replies(router).build());
  }

  @AfterEach
  void stop() {
    if (h != null) h.close();
  }

  Instant exp() {
    return clock.now().plusSeconds(3600);
  }

  HttpResponse<String> post(String auth, String body) {
    return h.post("/v1/messages", auth, body);
  }

  /** Long-polls {@code query} until {@code n} replies came (released by replies, never by the clock). */
  List<JsonNode> collect(String auth, String query, int n) throws Exception {
    List<JsonNode> got = new ArrayList<>();
    String cursor = "";
    for (int polls = 0; got.size() < n && polls < 50; polls++) {
      JsonNode page = M.readTree(h.get("/v1/replies?wait_ms=30000" + query + "&after=" + cursor, auth).body());
      page.path("replies").forEach(got::add);
      cursor = page.path("next").asText();
    }
    assertThat(got).hasSize(n);
    h.get("/v1/replies?after=" + cursor + query, auth); // acknowledge what was read
    return got;
  }

  @Test
  void aChatThatNamesAnotherUserIsForbiddenAndNothingIsStored() throws Exception {
    start(IdSource.CHAT_ID, Map.of());
    String alice = Tokens.bearer("alice", exp());
    String mallory = Tokens.bearer("mallory", exp());
    assertThat(post(alice, "{\"id\":\"a1\",\"text\":\"secret\"}").statusCode()).isEqualTo(202);
    assertThat(collect(alice, "", 1).getFirst().path("turn").asLong()).isEqualTo(1);
    long journaled = store.stats().journalEntries();

    HttpResponse<String> join = post(mallory, "{\"id\":\"m1\",\"text\":\"hi\",\"chat\":\"alice\"}");
    assertThat(join.statusCode()).isEqualTo(403);
    assertThat(M.readTree(join.body()).path("error").path("code").asText()).isEqualTo("forbidden");
    assertThat(join.body()).doesNotContain("\"alice\"");
    assertThat(post(mallory, "{\"id\":\"m2\",\"text\":\"hi\",\"chat\":\"general\"}").statusCode()).isEqualTo(403);
    assertThat(h.get("/v1/replies?chat=general", mallory).statusCode()).isEqualTo(403);
    assertThat(store.stats().journalEntries()).isEqualTo(journaled);

    // Alice's own session still holds only her one turn.
    assertThat(post(alice, "{\"id\":\"a2\",\"text\":\"again\"}").statusCode()).isEqualTo(202);
    assertThat(collect(alice, "", 1).getFirst().path("turn").asLong()).isEqualTo(2);
  }

  @Test
  void membersFromTheTokenOrTheConfigSpeakInTheChatAndAUsersOwnSessionStaysApart() throws Exception {
    start(IdSource.CHAT_ID, Map.of("general", List.of("carol")));
    String alice = Tokens.bearer("alice", exp());
    String bob = Tokens.bearer("bob", exp(), "general", "alice");
    String carol = Tokens.bearer("carol", exp());
    assertThat(post(alice, "{\"id\":\"a1\",\"text\":\"mine\"}").statusCode()).isEqualTo(202);
    collect(alice, "", 1);
    assertThat(post(bob, "{\"id\":\"b1\",\"text\":\"hello\",\"chat\":\"general\"}").statusCode()).isEqualTo(202);
    assertThat(post(carol, "{\"id\":\"c1\",\"text\":\"hey\",\"chat\":\"general\"}").statusCode()).isEqualTo(202);
    // One shared session (turns 1 and 2); each member reads the replies to their own messages.
    JsonNode toBob = collect(bob, "&chat=general", 1).getFirst();
    JsonNode toCarol = collect(carol, "&chat=general", 1).getFirst();
    assertThat(toBob.path("turn").asLong()).isEqualTo(1);
    assertThat(toCarol.path("turn").asLong()).isEqualTo(2);
    assertThat(toCarol.path("id").asText()).startsWith(SessionKey.chat("api", "general").value() + "/");

    // Even a token that grants a chat named "alice" reaches a chat session, never Alice's own session.
    assertThat(post(bob, "{\"id\":\"b2\",\"text\":\"x\",\"chat\":\"alice\"}").statusCode()).isEqualTo(202);
    JsonNode inChat = collect(bob, "&chat=alice", 1).getFirst();
    assertThat(inChat.path("turn").asLong()).isEqualTo(1);
    assertThat(inChat.path("id").asText()).startsWith("api:c:alice/");
    assertThat(post(alice, "{\"id\":\"a2\",\"text\":\"mine again\"}").statusCode()).isEqualTo(202);
    assertThat(collect(alice, "", 1).getFirst().path("turn").asLong()).isEqualTo(2);
  }

  @Test
  void userAndChatPartsCannotBeShiftedIntoAnotherSession() throws Exception {
    start(IdSource.USER_AND_CHAT, Map.of());
    String xAlice = Tokens.bearer("x:alice", exp(), "general");
    String alice = Tokens.bearer("alice", exp(), "general:x");
    assertThat(post(alice, "{\"id\":\"a1\",\"text\":\"t\",\"chat\":\"general:x\"}").statusCode()).isEqualTo(202);
    assertThat(collect(alice, "&chat=general:x", 1).getFirst().path("turn").asLong()).isEqualTo(1);
    assertThat(post(xAlice, "{\"id\":\"a1\",\"text\":\"t\",\"chat\":\"general\"}").statusCode()).isEqualTo(202);
    // Before, both were api:uc:general:x:alice: this turn was Alice's turn 2.
    assertThat(collect(xAlice, "&chat=general", 1).getFirst().path("turn").asLong()).isEqualTo(1);
  }

  @Test
  void anIdClaimedFirstByAnotherUserIsStillYours() throws Exception {
    start(IdSource.USER_ID, Map.of());
    String mallory = Tokens.bearer("mallory", exp());
    String bob = Tokens.bearer("bob", exp());
    assertThat(post(mallory, "{\"id\":\"m-77\",\"text\":\"squat\"}").statusCode()).isEqualTo(202);
    HttpResponse<String> mine = post(bob, "{\"id\":\"m-77\",\"text\":\"mine\"}");
    assertThat(mine.statusCode()).isEqualTo(202);
    assertThat(collect(bob, "", 1).getFirst().path("text").asText()).isEqualTo("mine (turn 1)");
    // Bob's own redelivery is still a duplicate.
    assertThat(post(bob, "{\"id\":\"m-77\",\"text\":\"mine\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void nulAndLoneSurrogatesAre400AndNothingIsStored() throws Exception {
    start(IdSource.CHAT_ID, Map.of());
    String bob = Tokens.bearer("bob", exp(), "g\u0000x");
    for (String body : new String[] {"{\"id\":\"a\\u0000b\",\"text\":\"t\"}", "{\"id\":\"a\",\"text\":\"t\\u0000\"}",
        "{\"id\":\"a\",\"text\":\"t\",\"chat\":\"g\\u0000x\"}", "{\"id\":\"a\",\"text\":\"\\ud800\"}"}) {
      HttpResponse<String> r = post(bob, body);
      assertThat(r.statusCode()).as(body).isIn(400, 401);
      assertThat(r.body()).doesNotContain("Exception");
    }
    assertThat(post(Tokens.bearer("bob", exp()), "{\"id\":\"a\",\"text\":\"t\\u0000\"}").statusCode()).isEqualTo(400);
    assertThat(store.stats().journalEntries()).isZero();
  }

  /** Issue 10, item 7: a chat with a newline forged a log line through the session key in a warning. */
  @Test
  void aClientValueCannotForgeALogLine() throws Exception {
    start(IdSource.CHAT_ID, Map.of());
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    try {
      String chat = "r\n12:00:00.000 ERROR dev.baton.Engine forged";
      String mallory = Tokens.bearer("mallory\nforged", exp(), chat);
      String body = "{\"id\":\"a\\nb\",\"seq\":1,\"text\":\"t\",\"chat\":\"r\\n12:00:00.000 ERROR dev.baton.Engine forged\"}";
      assertThat(post(mallory, body).statusCode()).isEqualTo(202);
      clock.advance(java.time.Duration.ofMillis(h.config.ordering().gapTimeoutMs())); // seq 0 never came: a warning
      collect(mallory, "&chat=" + java.net.URLEncoder.encode(chat, java.nio.charset.StandardCharsets.UTF_8), 1);
      assertThat(logs.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .anySatisfy(m -> assertThat(m).contains("gap"))
          .allSatisfy(m -> assertThat(m).doesNotContain("\n").doesNotContain("\r"));
    } finally {
      root.detachAppender(logs);
    }
  }

  /** Issue 10, item 3: a flood used to evict another user's dedup record, so his redelivery ran twice. */
  @Test
  void aFloodIsRefusedAndCannotEvictAnotherUsersRecord() throws Exception {
    start(IdSource.USER_ID, Map.of(), c -> c.withDedup(new dev.baton.config.DedupConfig(86_400_000L, 20, 60_000L, 10)));
    String bob = Tokens.bearer("bob", exp());
    String mallory = Tokens.bearer("mallory", exp());
    assertThat(post(bob, "{\"id\":\"b1\",\"text\":\"once\"}").statusCode()).isEqualTo(202);
    List<Integer> flood = new ArrayList<>();
    for (int i = 0; i < 50; i++) flood.add(post(mallory, "{\"id\":\"f" + i + "\",\"text\":\"x\"}").statusCode());
    assertThat(flood.subList(0, 10)).containsOnly(202);
    assertThat(flood.subList(10, 50)).containsOnly(429);
    assertThat(post(bob, "{\"id\":\"b1\",\"text\":\"once\"}").statusCode()).isEqualTo(200);
    assertThat(post(bob, "{\"id\":\"b2\",\"text\":\"next\"}").statusCode()).isEqualTo(202);
    assertThat(collect(bob, "", 2)).extracting(r -> r.path("text").asText())
        .containsExactly("once (turn 1)", "next (turn 2)");
  }
}
