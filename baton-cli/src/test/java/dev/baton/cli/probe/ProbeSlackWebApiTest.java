package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The probe's Slack side on its own, over real loopback sockets: the signed event it posts (and its
 * redelivery, as Slack retries), and its stand-in Web API (chat.postMessage as JSON and form-encoded,
 * chat.update, a native stream, auth.test, a call without a token).
 */
class ProbeSlackWebApiTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String SECRET = "probe-signing-secret-0123456789abcdef";

  record Got(Map<String, List<String>> headers, String body) {}

  @Test
  void postsSignedEventsAndRedeliversThemAsSlackRetries() throws Exception {
    List<Got> got = new CopyOnWriteArrayList<>();
    HttpServer bot = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    bot.createContext("/", ex -> {
      try (ex) {
        got.add(new Got(ex.getRequestHeaders(), new String(ex.getRequestBody().readAllBytes(),
            StandardCharsets.UTF_8)));
        ex.sendResponseHeaders(200, -1);
      }
    });
    bot.start();
    ProbeOptions o = options();
    o.target = URI.create("http://127.0.0.1:" + bot.getAddress().getPort() + "/webhooks/slack");
    try (SlackTarget t = new SlackTarget(o, new Recorder(System.nanoTime()))) {
      int[] status = new int[1];
      assertThat(t.send("u5", "m1", "hello pn0000000001", "", status)).isEqualTo(Recorder.Answer.ACCEPTED);
      assertThat(t.send("u5", "m1", "hello pn0000000001", "", status)).isEqualTo(Recorder.Answer.ACCEPTED);
      assertThat(t.send("u5", "m2", "again", "", status)).isEqualTo(Recorder.Answer.ACCEPTED);
      assertThat(t.send("evil1", "m1", "x", "", status)).isEqualTo(Recorder.Answer.REFUSED);
    } finally {
      bot.stop(0);
    }
    assertThat(got).hasSize(3);
    for (Got g : got) {
      String ts = g.headers().get("X-slack-request-timestamp").getFirst();
      assertThat(g.headers().get("X-slack-signature").getFirst()).isEqualTo(
          SlackTarget.sign(SECRET.getBytes(StandardCharsets.UTF_8), ts, g.body()));
    }
    JsonNode first = JSON.readTree(got.get(0).body());
    assertThat(first.path("type").asText()).isEqualTo("event_callback");
    assertThat(first.path("team_id").asText()).isEqualTo("T0PROBE");
    assertThat(first.at("/event/user").asText()).isEqualTo("U100005");
    assertThat(first.at("/event/channel").asText()).isEqualTo("D100005");
    assertThat(first.at("/event/channel_type").asText()).isEqualTo("im");
    assertThat(first.at("/event/text").asText()).isEqualTo("hello pn0000000001");
    assertThat(got.get(0).headers()).doesNotContainKey("X-slack-retry-num");
    // the redelivery: the same event (event_id and ts), with Slack's retry headers
    assertThat(got.get(1).body()).isEqualTo(got.get(0).body());
    assertThat(got.get(1).headers().get("X-slack-retry-num")).containsExactly("1");
    assertThat(got.get(1).headers().get("X-slack-retry-reason")).containsExactly("http_timeout");
    JsonNode other = JSON.readTree(got.get(2).body());
    assertThat(other.path("event_id").asText()).isNotEqualTo(first.path("event_id").asText());
    assertThat(other.at("/event/ts").asText()).isNotEqualTo(first.at("/event/ts").asText());
  }

  @Test
  void theStandInWebApiRecordsRepliesEditsAndStreams() throws Exception {
    ProbeOptions o = options();
    AtomicReference<URI> api = new AtomicReference<>();
    o.platformReady = api::set;
    Recorder record = new Recorder(System.nanoTime());
    HttpServer bot = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    List<String> eventTs = new CopyOnWriteArrayList<>();
    bot.createContext("/", ex -> {
      try (ex) {
        eventTs.add(JSON.readTree(ex.getRequestBody()).at("/event/ts").asText());
        ex.sendResponseHeaders(200, -1);
      }
    });
    bot.start();
    o.target = URI.create("http://127.0.0.1:" + bot.getAddress().getPort() + "/webhooks/slack");
    try (SlackTarget t = new SlackTarget(o, record); HttpClient http = HttpClient.newHttpClient()) {
      assertThat(api.get().getPath()).isEqualTo("/api");
      t.send("u3", "m7", "hi", "", new int[1]);
      String base = api.get().toString();
      JsonNode noToken = call(http, base + "/chat.postMessage", null, "application/json", "{\"channel\":\"D100003\"}");
      assertThat(noToken.path("ok").asBoolean()).isFalse();
      assertThat(noToken.path("error").asText()).isEqualTo("invalid_auth");
      assertThat(call(http, base + "/auth.test", "xoxb-1", "application/json", "{}").path("ok").asBoolean()).isTrue();

      JsonNode posted = call(http, base + "/chat.postMessage", "xoxb-1", "application/json",
          "{\"channel\":\"D100003\",\"text\":\"first\",\"thread_ts\":\"" + eventTs.getFirst() + "\"}");
      assertThat(posted.path("ok").asBoolean()).isTrue();
      assertThat(posted.path("ts").asText()).matches("\\d+\\.\\d{6}");
      JsonNode form = call(http, base + "/chat.postMessage", "xoxb-1", "application/x-www-form-urlencoded",
          "channel=U100003&text=second+reply%21");
      assertThat(form.path("channel").asText()).isEqualTo("D100003");
      JsonNode edit = call(http, base + "/chat.update", "xoxb-1", "application/json",
          "{\"channel\":\"D100003\",\"ts\":\"" + posted.path("ts").asText() + "\",\"text\":\"first, edited\"}");
      assertThat(edit.path("ok").asBoolean()).isTrue();
      assertThat(call(http, base + "/chat.postMessage", "xoxb-1", "application/json",
          "{\"channel\":\"C999\",\"text\":\"x\"}").path("error").asText()).isEqualTo("channel_not_found");

      JsonNode start = call(http, base + "/chat.startStream", "xoxb-1", "application/json",
          "{\"channel\":\"D100003\",\"thread_ts\":\"" + eventTs.getFirst() + "\",\"markdown_text\":\"co\"}");
      String streamTs = start.path("ts").asText();
      call(http, base + "/chat.appendStream", "xoxb-1", "application/json",
          "{\"channel\":\"D100003\",\"ts\":\"" + streamTs + "\",\"markdown_text\":\"des\"}");
      assertThat(record.replies()).hasSize(2); // a stream is one reply once stopped
      call(http, base + "/chat.stopStream", "xoxb-1", "application/json",
          "{\"channel\":\"D100003\",\"ts\":\"" + streamTs + "\",\"markdown_text\":\": pn\"}");
      assertThat(call(http, base + "/chat.appendStream", "xoxb-1", "application/json",
          "{\"channel\":\"D100003\",\"ts\":\"" + streamTs + "\",\"markdown_text\":\"late\"}").path("ok").asBoolean())
          .isFalse();
      assertThat(t.streamsStopped()).isEqualTo(1);

      List<Recorder.Seen> r = record.replies();
      assertThat(r).extracting(Recorder.Seen::inbox).containsExactly("u3", "u3", "u3");
      assertThat(r).extracting(Recorder.Seen::text).containsExactly("first, edited", "second reply!", "codes: pn");
      assertThat(r).extracting(Recorder.Seen::inReplyTo).containsExactly("m7", "", "m7");
    } finally {
      bot.stop(0);
    }
  }

  private static ProbeOptions options() {
    ProbeOptions o = new ProbeOptions();
    o.protocol = ProbeOptions.Protocol.SLACK;
    o.webhookSecret = SECRET;
    return o;
  }

  private static JsonNode call(HttpClient http, String uri, String token, String type, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).header("Content-Type", type)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(200);
    return JSON.readTree(res.body());
  }
}
