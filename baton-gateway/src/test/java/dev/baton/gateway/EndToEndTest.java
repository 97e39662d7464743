package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Baton;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.gateway.support.Eventually;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.gateway.support.Tokens;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The whole path over a real socket: gateway → real engine (echo agent, memory store) → replies. */
class EndToEndTest {

  static final ObjectMapper M = new ObjectMapper();
  static final String TG_SECRET = "tg-secret-0123456789abcdefghijklmnop";
  ManualScheduler clock = new ManualScheduler();
  MemoryStore store = new MemoryStore();
  RecordingServer telegramApi = new RecordingServer();
  Harness h;
  String alice;

  @BeforeEach
  void start() {
    h = new Harness(clock, store,
        c -> c.withChannels(c.channels().withTelegram(new TelegramConfig(true, "1:bot", TG_SECRET,
            telegramApi.baseUrl()))),
        (c, router) -> Baton.builder().config(c).store(store).scheduler(clock).replies(router).build());
    alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
  }

  @AfterEach
  void stop() {
    h.close();
    telegramApi.close();
  }

  /** Long-polls (wait_ms, released by replies, never by the manual clock) until {@code n} replies came. */
  List<JsonNode> collect(String auth, int n) throws Exception {
    List<JsonNode> got = new ArrayList<>();
    String cursor = "";
    for (int polls = 0; got.size() < n && polls < 50; polls++) {
      JsonNode page = M.readTree(h.get("/v1/replies?wait_ms=30000&after=" + cursor, auth).body());
      page.path("replies").forEach(got::add);
      cursor = page.path("next").asText();
    }
    assertThat(got).hasSize(n);
    // acknowledge what we read
    h.get("/v1/replies?after=" + cursor, auth);
    return got;
  }

  @Test
  void messagesAreAnsweredInOrderWithTurnNumbersAndAcknowledgedRepliesAreDelivered() throws Exception {
    for (int i = 0; i < 3; i++) {
      var r = h.post("/v1/messages", alice, "{\"id\":\"m" + i + "\",\"seq\":" + i + ",\"text\":\"hi " + i + "\"}");
      assertThat(r.statusCode()).isEqualTo(202);
    }
    List<JsonNode> replies = collect(alice, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(replies.get(i).path("in_reply_to").asText()).isEqualTo("m" + i);
      assertThat(replies.get(i).path("kind").asText()).isEqualTo("reply");
      assertThat(replies.get(i).path("turn").asLong()).isEqualTo(i + 1);
      assertThat(replies.get(i).path("text").asText()).isEqualTo("hi " + i + " (turn " + (i + 1) + ")");
    }
    assertThat(store.undeliveredReplies()).isEmpty();
  }

  @Test
  void concurrentDuplicatePostsOfOneIdAreAcceptedExactlyOnce() throws Exception {
    int n = 12;
    CyclicBarrier barrier = new CyclicBarrier(n);
    List<CompletableFuture<Integer>> codes = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      CompletableFuture<Integer> f = new CompletableFuture<>();
      codes.add(f);
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          barrier.await(10, TimeUnit.SECONDS);
          f.complete(h.post("/v1/messages", alice, "{\"id\":\"dup\",\"text\":\"once\"}").statusCode());
        } catch (Throwable t) {
          f.completeExceptionally(t);
        }
      }));
    }
    for (Thread t : threads) t.join(30_000);
    List<Integer> got = new ArrayList<>();
    for (var f : codes) got.add(f.get(1, TimeUnit.SECONDS));
    assertThat(got).filteredOn(c -> c == 202).hasSize(1);
    assertThat(got).filteredOn(c -> c == 200).hasSize(n - 1);
    assertThat(collect(alice, 1)).extracting(j -> j.path("text").asText()).containsExactly("once (turn 1)");
  }

  @Test
  void usersOnlySeeTheirOwnReplies() throws Exception {
    String bob = Tokens.bearer("bob", clock.now().plusSeconds(3600));
    h.post("/v1/messages", alice, "{\"id\":\"a1\",\"text\":\"from alice\"}");
    h.post("/v1/messages", bob, "{\"id\":\"b1\",\"text\":\"from bob\"}");
    assertThat(collect(alice, 1)).extracting(j -> j.path("in_reply_to").asText()).containsExactly("a1");
    assertThat(collect(bob, 1)).extracting(j -> j.path("in_reply_to").asText()).containsExactly("b1");
  }

  @Test
  void telegramUpdateIsAnsweredThroughTheBotApi() throws Exception {
    String update = "{\"update_id\":77,\"message\":{\"message_id\":5,\"from\":{\"id\":9},\"chat\":{\"id\":9},"
        + "\"date\":1767225600,\"text\":\"ping\"}}";
    var req = HttpRequest.newBuilder(h.uri("/webhooks/telegram")).header("X-Telegram-Bot-Api-Secret-Token",
        TG_SECRET).POST(HttpRequest.BodyPublishers.ofString(update));
    assertThat(h.send(req).statusCode()).isEqualTo(200);
    assertThat(h.send(req).statusCode()).isEqualTo(200);
    RecordingServer.Call call = telegramApi.next();
    assertThat(M.readTree(call.body()).path("text").asText()).isEqualTo("ping (turn 1)");
    Eventually.until("the reply is marked delivered", () -> store.undeliveredReplies().isEmpty());
    assertThat(telegramApi.calls).hasSize(1);
  }
}
