package dev.baton.examples.naivebot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Slack Events API webhook against a stand-in Web API on a real socket. */
@Timeout(20)
class NaiveBotSlackTest {
  static final String JWT = "naive-bot-test-secret-at-least-32-bytes!";
  static final String SIGNING_SECRET = "slack-signing-secret";
  static final ObjectMapper JSON = new ObjectMapper();

  final HttpClient http = HttpClient.newHttpClient();
  final BlockingQueue<JsonNode> posted = new LinkedBlockingQueue<>();
  final BlockingQueue<String> auth = new LinkedBlockingQueue<>();
  HttpServer webApi;

  @BeforeEach
  void startWebApi() throws Exception {
    webApi = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    webApi.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    webApi.createContext("/api/chat.postMessage", ex -> {
      try (ex) {
        auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
        posted.add(JSON.readTree(ex.getRequestBody()));
        byte[] out = "{\"ok\":true,\"ts\":\"1.000001\"}".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, out.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    });
    webApi.start();
  }

  @AfterEach
  void stopWebApi() {
    webApi.stop(0);
  }

  NaiveBot bot(NaiveBot.Fault fault) throws Exception {
    return NaiveBot.start(0, JWT, fault, 2, null, "",
        URI.create("http://127.0.0.1:" + webApi.getAddress().getPort() + "/api/"), SIGNING_SECRET, "xoxb-1");
  }

  static String event(String channel, String user, String ts, String text) {
    return "{\"type\":\"event_callback\",\"event_id\":\"Ev" + ts.replace(".", "") + "\",\"event\":{\"type\":"
        + "\"message\",\"channel\":\"" + channel + "\",\"user\":\"" + user + "\",\"text\":\"" + text
        + "\",\"ts\":\"" + ts + "\"}}";
  }

  static String sign(String secret, String timestamp, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "v0=" + HexFormat.of().formatHex(mac.doFinal(("v0:" + timestamp + ":" + body)
        .getBytes(StandardCharsets.UTF_8)));
  }

  HttpResponse<String> post(NaiveBot bot, String body, String secret, long timestamp, boolean retry)
      throws Exception {
    String ts = Long.toString(timestamp);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bot.port() + "/webhooks/slack"))
        .header("X-Slack-Request-Timestamp", ts).header("X-Slack-Signature", sign(secret, ts, body))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (retry) b.header("X-Slack-Retry-Num", "1").header("X-Slack-Retry-Reason", "http_timeout");
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static long now() {
    return System.currentTimeMillis() / 1000;
  }

  @Test
  void aSignedMessageIsAnsweredOnceInItsThreadAndItsRetryIsNotRunAgain() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.NONE)) {
      String body = event("D1", "U1", "100.000001", "hi pnaaaaaaaaa1");
      assertThat(post(bot, body, SIGNING_SECRET, now(), false).statusCode()).isEqualTo(200);
      assertThat(post(bot, body, SIGNING_SECRET, now(), true).statusCode()).isEqualTo(200);
      assertThat(post(bot, event("D1", "U1", "100.000002", "again pnaaaaaaaaa2"), SIGNING_SECRET, now(), false)
          .statusCode()).isEqualTo(200);
      JsonNode first = posted.poll(10, TimeUnit.SECONDS);
      JsonNode second = posted.poll(10, TimeUnit.SECONDS);
      assertThat(first.path("channel").asText()).isEqualTo("D1");
      assertThat(first.path("thread_ts").asText()).isEqualTo("100.000001");
      assertThat(first.path("text").asText()).isEqualTo("codes: pnaaaaaaaaa1");
      assertThat(second.path("text").asText()).isEqualTo("codes: pnaaaaaaaaa1 pnaaaaaaaaa2");
      assertThat(auth.peek()).isEqualTo("Bearer xoxb-1");
      // one conversation is FIFO: a retry run again would have been answered between the two, and counted twice
    }
  }

  @Test
  void withTheDuplicatesFaultARetryIsAnsweredAgain() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.DUPLICATES)) {
      String body = event("D1", "U1", "100.000001", "hi pnaaaaaaaaa1");
      post(bot, body, SIGNING_SECRET, now(), false);
      post(bot, body, SIGNING_SECRET, now(), true);
      assertThat(posted.poll(10, TimeUnit.SECONDS)).isNotNull();
      assertThat(posted.poll(10, TimeUnit.SECONDS)).isNotNull();
    }
  }

  @Test
  void aBadSignatureOrAStaleTimestampIs401AndAChallengeIsAnswered() throws Exception {
    try (NaiveBot bot = bot(NaiveBot.Fault.NONE)) {
      String body = event("D1", "U1", "100.000001", "hi");
      assertThat(post(bot, body, "wrong", now(), false).statusCode()).isEqualTo(401);
      assertThat(post(bot, body, SIGNING_SECRET, now() - 600, false).statusCode()).isEqualTo(401);
      HttpResponse<String> challenge = post(bot, "{\"type\":\"url_verification\",\"challenge\":\"c-42\"}",
          SIGNING_SECRET, now(), false);
      assertThat(challenge.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(challenge.body()).path("challenge").asText()).isEqualTo("c-42");
      assertThat(post(bot, "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"subtype\":"
          + "\"message_changed\",\"channel\":\"D1\"}}", SIGNING_SECRET, now(), false).statusCode()).isEqualTo(200);
      // none of those was queued: the first reply is this message's
      post(bot, event("D1", "U1", "100.000003", "now pnaaaaaaaaa3"), SIGNING_SECRET, now(), false);
      assertThat(posted.poll(10, TimeUnit.SECONDS).path("text").asText()).isEqualTo("codes: pnaaaaaaaaa3");
    }
  }
}
