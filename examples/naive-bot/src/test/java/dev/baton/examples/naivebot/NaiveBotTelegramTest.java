package dev.baton.examples.naivebot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Telegram webhook against a stand-in Bot API on a real socket. */
@Timeout(20)
class NaiveBotTelegramTest {
  static final String JWT = "naive-bot-test-secret-at-least-32-bytes!";
  static final String TG_SECRET = "tg-webhook-secret";
  static final String BOT_TOKEN = "123:abc";
  static final ObjectMapper JSON = new ObjectMapper();

  final HttpClient http = HttpClient.newHttpClient();
  final BlockingQueue<JsonNode> sent = new LinkedBlockingQueue<>();
  final AtomicInteger failNext = new AtomicInteger();
  final AtomicInteger calls = new AtomicInteger();
  HttpServer botApi;

  @BeforeEach
  void startBotApi() throws Exception {
    botApi = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    botApi.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    botApi.createContext("/bot" + BOT_TOKEN + "/sendMessage", ex -> {
      try (ex) {
        calls.incrementAndGet();
        byte[] in;
        try (InputStream is = ex.getRequestBody()) {
          in = is.readAllBytes();
        }
        int status = 200;
        if (failNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
          status = 500;
        } else {
          sent.add(JSON.readTree(in));
        }
        byte[] out = (status == 200 ? "{\"ok\":true,\"result\":{}}" : "{\"ok\":false}")
            .getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, out.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    });
    botApi.start();
  }

  @AfterEach
  void stopBotApi() {
    botApi.stop(0);
  }

  NaiveBot bot(NaiveBot.Fault fault) throws Exception {
    return NaiveBot.start(0, JWT, fault, 2, URI.create("http://127.0.0.1:" + botApi.getAddress().getPort()),
        TG_SECRET, BOT_TOKEN);
  }

  static String update(long updateId, long messageId, long from, long chat, String text) {
    return "{\"update_id\":" + updateId + ",\"message\":{\"message_id\":" + messageId + ",\"from\":{\"id\":" + from
        + "},\"chat\":{\"id\":" + chat + ",\"type\":\"private\"},\"date\":1700000000,\"text\":\"" + text + "\"}}";
  }

  HttpRequest webhook(NaiveBot bot, String secret, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bot.port() + "/webhooks/telegram"))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(5))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (secret != null) {
      b.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    return b.build();
  }

  HttpResponse<String> post(NaiveBot bot, String secret, String body) throws Exception {
    return http.send(webhook(bot, secret, body), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode nextSent() throws InterruptedException {
    JsonNode j = sent.poll(5, TimeUnit.SECONDS);
    assertThat(j).as("a sendMessage within 5 s").isNotNull();
    return j;
  }

  @Test
  void anUpdateIsAnsweredWithSendMessage() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.NONE)) {
      HttpResponse<String> r = post(bot, TG_SECRET, update(1, 10, 42, 4242, "hi pnabcdefgh12"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(r.body()).get("ok").asBoolean()).isTrue();
      JsonNode s = nextSent();
      assertThat(s.get("chat_id").asLong()).isEqualTo(4242);
      assertThat(s.get("text").asText()).isEqualTo("codes: pnabcdefgh12");
      assertThat(s.get("reply_to_message_id").asLong()).isEqualTo(10);

      assertThat(post(bot, TG_SECRET, update(2, 11, 42, 4242, "ledger add 3 pnzyxwvuts98")).statusCode()).isEqualTo(200);
      assertThat(post(bot, TG_SECRET, update(3, 12, 42, 4242, "ledger total")).statusCode()).isEqualTo(200);
      assertThat(nextSent().get("text").asText()).isEqualTo("codes: pnabcdefgh12 pnzyxwvuts98");
      assertThat(nextSent().get("text").asText()).isEqualTo("ledger total=3");
    }
  }

  @Test
  void badSecretsMalformedBodiesAndNonTextUpdates() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.NONE)) {
      String u = update(1, 10, 42, 4242, "pnabcdefgh12");
      assertThat(post(bot, "wrong", u).statusCode()).isEqualTo(401);
      assertThat(post(bot, null, u).statusCode()).isEqualTo(401);
      assertThat(post(bot, TG_SECRET, "{not json").statusCode()).isEqualTo(400);
      assertThat(post(bot, TG_SECRET, "{\"update_id\":5,\"edited_message\":{}}").statusCode()).isEqualTo(200);
      assertThat(post(bot, TG_SECRET, "{\"update_id\":6,\"message\":{\"message_id\":1,\"chat\":{\"id\":1},"
          + "\"sticker\":{}}}").statusCode()).isEqualTo(200);
      // Only the properly authenticated text update is answered.
      assertThat(post(bot, TG_SECRET, update(7, 20, 42, 4242, "pnzzzzzzzzzz")).statusCode()).isEqualTo(200);
      assertThat(nextSent().get("text").asText()).isEqualTo("codes: pnzzzzzzzzzz");
      assertThat(sent).isEmpty();
    }
  }

  @Test
  void withoutTelegramApiTheWebhookIsNotServed() throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, JWT, NaiveBot.Fault.NONE)) {
      assertThat(post(bot, TG_SECRET, update(1, 10, 42, 4242, "pnabcdefgh12")).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void noneProcessesARedeliveredUpdateOnce() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.NONE)) {
      String u = update(100, 1, 7, 700, "pnaaaaaaaaaa");
      assertThat(post(bot, TG_SECRET, u).statusCode()).isEqualTo(200);
      assertThat(post(bot, TG_SECRET, u).statusCode()).isEqualTo(200);
      // And many at the same instant.
      List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        all.add(http.sendAsync(webhook(bot, TG_SECRET, u), HttpResponse.BodyHandlers.ofString()));
      }
      assertThat(all).extracting(f -> f.join().statusCode()).containsOnly(200);
      assertThat(post(bot, TG_SECRET, update(101, 2, 7, 700, "pnbbbbbbbbbb")).statusCode()).isEqualTo(200);
      // Same conversation, FIFO: a processed duplicate would come before the second update's reply.
      assertThat(nextSent().get("text").asText()).isEqualTo("codes: pnaaaaaaaaaa");
      JsonNode second = nextSent();
      assertThat(second.get("text").asText()).isEqualTo("codes: pnaaaaaaaaaa pnbbbbbbbbbb");
      assertThat(second.get("reply_to_message_id").asLong()).isEqualTo(2);
      assertThat(sent).isEmpty();
    }
  }

  @Test
  void duplicatesProcessesARedeliveredUpdateTwice() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.DUPLICATES)) {
      String u = update(100, 1, 7, 700, "pnaaaaaaaaaa");
      assertThat(post(bot, TG_SECRET, u).statusCode()).isEqualTo(200);
      assertThat(post(bot, TG_SECRET, u).statusCode()).isEqualTo(200);
      JsonNode a = nextSent();
      JsonNode b = nextSent();
      assertThat(List.of(a, b)).extracting(j -> j.get("reply_to_message_id").asLong()).containsExactly(1L, 1L);
      assertThat(b.get("text").asText()).isEqualTo("codes: pnaaaaaaaaaa pnaaaaaaaaaa");
    }
  }

  @Test
  void aFailedSendMessageIsRetried() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.NONE)) {
      failNext.set(2);
      assertThat(post(bot, TG_SECRET, update(1, 10, 42, 4242, "pnabcdefgh12")).statusCode()).isEqualTo(200);
      assertThat(nextSent().get("text").asText()).isEqualTo("codes: pnabcdefgh12");
      assertThat(calls.get()).isEqualTo(3);
    }
  }
}
