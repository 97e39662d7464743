package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.gateway.support.Eventually;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A busy platform session, end to end over loopback: real engine, real Telegram webhook requests, a
 * recording Bot API. Each overflowed message must yield exactly one busy {@code sendMessage}: the engine
 * journals and delivers it, and nothing else sends a second copy.
 */
class PlatformBusyReplyTest {

  static final ObjectMapper M = new ObjectMapper();
  static final String SECRET = "tg-secret-token_0123456789abcdefghij";
  static final String BUSY = ConcurrencyConfig.defaults().busyMessage();

  final ManualScheduler clock = new ManualScheduler();
  final MemoryStore store = new MemoryStore();
  final RecordingServer api = new RecordingServer();
  final Semaphore entered = new Semaphore(0);
  final CountDownLatch gate = new CountDownLatch(1);
  Harness h;

  /** Blocks the first turn until the gate opens, so the session's one queue slot fills up behind it. */
  final Agent slow = turn -> {
    entered.release();
    String text = turn.messages().getLast().text();
    if (text.equals("first")) {
      if (!gate.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("gate never opened");
    }
    turn.reply("done: " + text);
  };

  @BeforeEach
  void start() {
    h = new Harness(clock, store, c -> {
      ConcurrencyConfig cc = c.agent().concurrency();
      ConcurrencyConfig one = new ConcurrencyConfig(cc.maxConcurrentPerSession(), cc.maxConcurrentTotal(), 1,
          cc.queueTimeoutMs(), ConcurrencyConfig.OverflowAction.RETURN_BUSY_MESSAGE, cc.busyMessage(),
          cc.queueMode(), cc.debounceMs());
      return c.withAgent(c.agent().withConcurrency(one))
          .withChannels(c.channels().withTelegram(new TelegramConfig(true, "1:bot", SECRET, api.baseUrl())));
    }, (c, router) -> Baton.builder().config(c).store(store).scheduler(clock).agent(slow).replies(router).build());
  }

  @AfterEach
  void stop() {
    gate.countDown();
    h.close();
    api.close();
  }

  int deliver(long updateId, String text) {
    String update = "{\"update_id\":" + updateId + ",\"message\":{\"message_id\":" + updateId + ",\"from\":{\"id\":42,"
        + "\"is_bot\":false,\"first_name\":\"Ann\"},\"chat\":{\"id\":4242,\"type\":\"private\"},\"date\":1767225600,"
        + "\"text\":\"" + text + "\"}}";
    return h.send(HttpRequest.newBuilder(h.uri("/webhooks/telegram")).header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(update))).statusCode();
  }

  @Test
  void eachOverflowedMessageGetsExactlyOneBusyReply() throws Exception {
    assertThat(deliver(1, "first")).isEqualTo(200);
    assertThat(entered.tryAcquire(10, TimeUnit.SECONDS)).as("first turn started").isTrue();
    assertThat(deliver(2, "second")).isEqualTo(200); // takes the one queue slot
    for (int i = 3; i <= 5; i++) assertThat(deliver(i, "extra " + i)).isEqualTo(200); // overflow: busy
    gate.countDown();
    // The session's replies leave in one lane, in order: the busy replies were queued before the turns'
    // commits, so once "done: second" arrives every busy reply that will ever be sent has been sent.
    List<String> texts = new ArrayList<>();
    while (!texts.contains("done: second")) {
      RecordingServer.Call call = api.next();
      assertThat(call.path()).isEqualTo("/bot1:bot/sendMessage");
      texts.add(M.readTree(call.body()).path("text").asText());
    }
    Eventually.until("delivery is idle", () -> h.router.lanes.pendingDeliveries() == 0);
    assertThat(api.calls).hasSize(texts.size());
    assertThat(texts).filteredOn(BUSY::equals).hasSize(3);
    assertThat(texts).filteredOn(t -> t.startsWith("done: ")).containsExactly("done: first", "done: second");
    assertThat(h.meters.counter("baton.gateway.admissions", "channel", "telegram", "result", "busy").count())
        .isEqualTo(3.0);
    Eventually.until("every reply is marked delivered", () -> store.undeliveredReplies().isEmpty());
  }

  /**
   * Review of issue 10: a refusal by a P11 bound stores and sends nothing, so answering the webhook 200 lost the
   * message (the platform never delivers it again). It is 503 now, and the redelivery is taken once there is room.
   */
  @Test
  void aMessageRefusedByABoundIs503SoThePlatformDeliversItAgain() throws Exception {
    h.close();
    h = new Harness(clock, store, c -> c
        .withAgent(c.agent().withConcurrency(c.agent().concurrency().withMaxQueuedTotal(1)))
        .withChannels(c.channels().withTelegram(new TelegramConfig(true, "1:bot", SECRET, api.baseUrl()))),
        (c, router) -> Baton.builder().config(c).store(store).scheduler(clock).agent(slow).replies(router).build());
    assertThat(deliver(1, "first")).isEqualTo(200);
    assertThat(entered.tryAcquire(10, TimeUnit.SECONDS)).as("first turn started").isTrue();
    assertThat(deliver(2, "second")).isEqualTo(200); // the one place in the queue
    long journaled = store.stats().journalEntries();
    assertThat(deliver(3, "third")).isEqualTo(503);
    assertThat(store.stats().journalEntries()).as("nothing stored for the refused update").isEqualTo(journaled);
    gate.countDown();
    List<String> texts = new ArrayList<>();
    while (!texts.contains("done: second")) texts.add(M.readTree(api.next().body()).path("text").asText());
    assertThat(texts).doesNotContain(BUSY);
    Eventually.until("the queue is empty", () -> h.engine.snapshot().queuedMessages() == 0);
    assertThat(deliver(3, "third")).as("Telegram's redelivery").isEqualTo(200);
    assertThat(M.readTree(api.next().body()).path("text").asText()).isEqualTo("done: third");
  }
}
