package dev.baton.examples.springbot;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.spring.boot.BatonRuntime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The example end to end over real HTTP: JWT → POST /v1/messages → agent + tool → GET /v1/replies. */
class SpringBootBotTest {

  private static final String SECRET = "example-test-secret-0123456789abcdef0123456789";

  @Test
  void aMessageOverHttpGetsTheAgentsReplyAfterAToolCall(@TempDir Path dir) throws Exception {
    try (ScriptedChatServer model = ScriptedChatServer.start().recording(true)) {
      model.enqueue(ScriptedChatServer.toolCalls(ScriptedChatServer.call("c1", "add_order_note",
          "{\"order\":\"A-17\",\"note\":\"gift wrap\"}")), ScriptedChatServer.answer("Noted on A-17: gift wrap."));
      try (ConfigurableApplicationContext app = SpringApplication.run(SpringBootBot.class,
          "--bot.openai.base-url=" + model.baseUrl(), "--baton.server.port=0",
          "--baton.storage.path=" + dir.resolve("bot.db"), "--baton.channels.api.jwt.hs256_secret=" + SECRET)) {
        int port = app.getBean(BatonRuntime.class).port();
        String jwt = jwt("alice");
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/v1/messages")).header("Authorization", "Bearer " + jwt).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"m-1\",\"text\":\"please gift wrap order A-17\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isBetween(200, 299);
        HttpResponse<String> replies = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/v1/replies?wait_ms=10000")).header("Authorization", "Bearer " + jwt).timeout(Duration.ofSeconds(20))
            .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(replies.statusCode()).isEqualTo(200);
        assertThat(replies.body()).contains("Noted on A-17: gift wrap.");
        // The model was offered the runtime's tool and got its result back.
        assertThat(model.requests().getFirst().body().toString()).contains("add_order_note");
        assertThat(ScriptedChatServer.toolResultTexts(model.requests().get(1))).contains("gift wrap");
      }
    }
  }

  private static String jwt(String sub) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject(sub)
        .issueTime(new Date()).expirationTime(Date.from(Instant.now().plusSeconds(600))).build());
    jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
    return jwt.serialize();
  }
}
