package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.ReplyStream;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.gateway.support.Eventually;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * P10 end to end: a Telegram group message through the webhook, the real engine with an agent that streams, the
 * gateway's outbound lane and a recording Bot API; and a crash mid-stream, after which the re-run turn (recovered
 * from the same memory store) edits the message the first run's preview created instead of sending a second one.
 */
class StreamingEndToEndTest {

  static final ObjectMapper M = new ObjectMapper();
  static final String SECRET = "tg-secret-0123456789abcdefghijklmnop";
  static final long WAIT_S = 10;
  static final SessionKey ALICE = SessionKey.user("telegram", "9");

  final ManualScheduler clock = new ManualScheduler();
  final MemoryStore store = new MemoryStore();
  final RecordingServer api = new RecordingServer();
  final CountDownLatch shown = new CountDownLatch(1);
  final CountDownLatch go = new CountDownLatch(1);
  volatile boolean crashFirstRun;
  Harness h;

  Harness start(Agent agent) {
    return new Harness(clock, store,
        c -> c.withChannels(c.channels().withTelegram(new TelegramConfig(true, "1:bot", SECRET, api.baseUrl()))),
        (c, router) -> Baton.builder().config(c).store(store).scheduler(clock).agent(agent).replies(router).build());
  }

  /** Appends "half", waits until the test saw its preview (first run only), then the rest. */
  final Agent streaming = t -> {
    ReplyStream s = t.openStream();
    s.append("half");
    if (shown.getCount() > 0) {
      assertThat(go.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
      if (crashFirstRun) new CountDownLatch(1).await(); // the process goes down here (the shutdown interrupts it)
    }
    s.append(" and the rest");
    s.finish();
  };

  @AfterEach
  void stop() {
    if (h != null) h.close();
    api.close();
  }

  void post(Harness on, long updateId) {
    String update = "{\"update_id\":" + updateId + ",\"message\":{\"message_id\":5,\"from\":{\"id\":9},\"chat\":"
        + "{\"id\":-77,\"type\":\"group\"},\"date\":1767225600,\"text\":\"tell me\"}}";
    assertThat(on.send(HttpRequest.newBuilder(on.uri("/webhooks/telegram")).header("Content-Type", "application/json")
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET).POST(HttpRequest.BodyPublishers.ofString(update)))
        .statusCode()).isEqualTo(200);
  }

  static String method(RecordingServer.Call c) {
    return c.path().substring(c.path().lastIndexOf('/') + 1);
  }

  static JsonNode body(RecordingServer.Call c) throws Exception {
    return M.readTree(c.body());
  }

  @Test
  void aStreamedReplyIsAPreviewMessageThatTheFinalTextEdits() throws Exception {
    api.okBody = "{\"ok\":true,\"result\":{\"message_id\":31}}";
    h = start(streaming);
    post(h, 100);
    RecordingServer.Call preview = api.next();
    assertThat(method(preview)).isEqualTo("sendMessage");
    assertThat(body(preview).path("text").asText()).isEqualTo("half");
    shown.countDown();
    go.countDown();
    RecordingServer.Call fin = api.next();
    assertThat(method(fin)).isEqualTo("editMessageText");
    assertThat(body(fin).path("message_id").asLong()).isEqualTo(31);
    assertThat(body(fin).path("text").asText()).isEqualTo("half and the rest");
    Eventually.until("the reply is delivered", () -> store.undeliveredReplies().isEmpty()
        && store.anchor(ALICE, "100#1").isEmpty());
    assertThat(api.calls).hasSize(2);
  }

  @Test
  void afterACrashMidStreamTheReRunEditsTheFirstRunsPreview() throws Exception {
    api.okBody = "{\"ok\":true,\"result\":{\"message_id\":31}}";
    crashFirstRun = true;
    Harness first = start(streaming);
    post(first, 200);
    RecordingServer.Call preview = api.next();
    assertThat(method(preview)).isEqualTo("sendMessage");
    Eventually.until("the preview's anchor is stored", () -> store.anchor(ALICE, "200#1").isPresent());
    go.countDown(); // the first run now hangs until the shutdown interrupts it
    Thread down = Thread.ofVirtual().start(() -> {
      try {
        first.engine.shutdown(Duration.ofSeconds(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(clock.awaitTaskDue(Duration.ofSeconds(1), Duration.ofSeconds(WAIT_S))).isTrue();
    clock.advance(Duration.ofSeconds(1));
    down.join();
    first.close();
    assertThat(api.calls).hasSize(1);

    api.okBody = "{\"ok\":true,\"result\":{\"message_id\":99}}"; // a second message would be 99
    shown.countDown(); // the re-run streams straight through
    h = start(streaming); // same store: recovery re-runs the message under the same stream id
    RecordingServer.Call rerun = api.next();
    assertThat(method(rerun)).isEqualTo("editMessageText");
    assertThat(body(rerun).path("message_id").asLong()).isEqualTo(31);
    Eventually.until("the reply is delivered", () -> store.undeliveredReplies().isEmpty()
        && api.calls.stream().anyMatch(c -> c.body().contains("half and the rest")));
    RecordingServer.Call last = api.calls.getLast();
    assertThat(method(last)).isEqualTo("editMessageText");
    assertThat(body(last).path("message_id").asLong()).isEqualTo(31);
    assertThat(body(last).path("text").asText()).isEqualTo("half and the rest");
    assertThat(api.calls).extracting(StreamingEndToEndTest::method).doesNotContain("sendMessageDraft")
        .filteredOn("sendMessage"::equals).hasSize(1); // never a second message beside the first
  }
}
