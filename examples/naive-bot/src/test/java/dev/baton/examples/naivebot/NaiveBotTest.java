package dev.baton.examples.naivebot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class NaiveBotTest {
  static final String SECRET = "naive-bot-test-secret-at-least-32-bytes!";
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http = HttpClient.newHttpClient();

  static String token(String secret, String sub, List<String> chats) throws Exception {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().subject(sub)
        .expirationTime(new Date(System.currentTimeMillis() + 60_000));
    if (chats != null) {
      b.claim("chats", chats);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  HttpResponse<String> post(NaiveBot bot, String token, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bot.port() + "/v1/messages"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Long-polls until at least {@code n} replies have arrived. */
  List<JsonNode> replies(NaiveBot bot, String token, int n) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    String cursor = "0";
    while (out.size() < n) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + bot.port() + "/v1/replies?after=" + cursor + "&wait_ms=3000"))
          .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode j = JSON.readTree(r.body());
      assertThat(j.get("replies").size()).as("a reply within wait_ms").isPositive();
      j.get("replies").forEach(out::add);
      cursor = j.get("next").asText();
    }
    return out;
  }

  @Test
  void noneAcceptsOnceAnswersAndRejectsBadTokens() throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.NONE)) {
      String t = token(SECRET, "alice", null);
      String body = "{\"id\":\"m1\",\"text\":\"hello pnabcdefgh12\"}";
      HttpResponse<String> first = post(bot, t, body);
      assertThat(first.statusCode()).isEqualTo(202);
      assertThat(JSON.readTree(first.body()).get("status").asText()).isEqualTo("accepted");
      HttpResponse<String> again = post(bot, t, body);
      assertThat(again.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(again.body()).get("status").asText()).isEqualTo("duplicate");

      HttpResponse<String> bad = post(bot, token("some-other-secret-that-is-32-bytes-long", "alice", null), body);
      assertThat(bad.statusCode()).isEqualTo(401);
      assertThat(JSON.readTree(bad.body()).at("/error/code").asText()).isEqualTo("unauthorized");
      assertThat(post(bot, "garbage", body).statusCode()).isEqualTo(401);
      assertThat(post(bot, t, "{\"text\":\"no id\"}").statusCode()).isEqualTo(400);
      assertThat(post(bot, t, "{\"id\":\"m9\",\"text\":\"x\",\"chat\":\"room\"}").statusCode()).isEqualTo(403);

      List<JsonNode> r = replies(bot, t, 1);
      assertThat(r.getFirst().get("in_reply_to").asText()).isEqualTo("m1");
      assertThat(r.getFirst().get("kind").asText()).isEqualTo("reply");
      assertThat(r.getFirst().get("text").asText()).isEqualTo("codes: pnabcdefgh12");

      assertThat(post(bot, t, "{\"id\":\"m2\",\"text\":\"next pnzyxwvuts98\"}").statusCode()).isEqualTo(202);
      assertThat(replies(bot, t, 2).get(1).get("text").asText()).isEqualTo("codes: pnabcdefgh12 pnzyxwvuts98");
    }
  }

  @Test
  void noneAllowsAChatListedInTheToken() throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.NONE)) {
      String t = token(SECRET, "bob", List.of("room"));
      assertThat(post(bot, t, "{\"id\":\"c1\",\"text\":\"ledger add 5 pn0000000001\",\"chat\":\"room\"}")
          .statusCode()).isEqualTo(202);
      assertThat(post(bot, t, "{\"id\":\"c2\",\"text\":\"ledger total\",\"chat\":\"room\"}").statusCode())
          .isEqualTo(202);
      List<JsonNode> r = replies(bot, t, 2);
      assertThat(r.get(0).get("text").asText()).isEqualTo("codes: pn0000000001");
      assertThat(r.get(1).get("text").asText()).isEqualTo("ledger total=5");
    }
  }

  @Test
  void duplicatesAcceptsARedeliveryAndAnswersTwice() throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.DUPLICATES)) {
      String t = token(SECRET, "carol", null);
      String body = "{\"id\":\"d1\",\"text\":\"pnaaaaaaaaaa\"}";
      assertThat(post(bot, t, body).statusCode()).isEqualTo(202);
      assertThat(post(bot, t, body).statusCode()).isEqualTo(202);
      List<JsonNode> r = replies(bot, t, 2);
      assertThat(r).extracting(j -> j.get("in_reply_to").asText()).containsExactly("d1", "d1");
    }
  }

  @Test
  void noneTakesOneOfManySimultaneousDeliveriesOfAnId() throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.NONE)) {
      String t = token(SECRET, "dave", null);
      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        all.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bot.port() + "/v1/messages"))
            .header("Authorization", "Bearer " + t)
            .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"same\",\"text\":\"pnbbbbbbbbbb\"}")).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      assertThat(all).extracting(f -> f.join().statusCode()).containsOnlyOnce(202).contains(200);
      assertThat(replies(bot, t, 1)).extracting(j -> j.get("text").asText()).containsExactly("codes: pnbbbbbbbbbb");
    }
  }

  @Test
  void faultNamesParse() {
    assertThat(NaiveBot.Fault.parse("shared-state")).isEqualTo(NaiveBot.Fault.SHARED_STATE);
    assertThat(NaiveBot.Fault.parse("tool-race")).isEqualTo(NaiveBot.Fault.TOOL_RACE);
    assertThat(NaiveBot.Fault.parse("none")).isEqualTo(NaiveBot.Fault.NONE);
    assertThat(NaiveBot.Fault.parse("REORDER")).isEqualTo(NaiveBot.Fault.REORDER);
  }
}
