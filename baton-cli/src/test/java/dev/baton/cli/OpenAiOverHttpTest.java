package dev.baton.cli;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.Baton;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.Scheduler;
import dev.baton.tools.BatonTools;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agent.type: openai} end to end over HTTP: baton.yaml → engine with the tool runtime and its built-in
 * tools → the HTTP message API; the model (a local chat-completions server) needs two tool rounds.
 */
class OpenAiOverHttpTest {

  static final String SECRET = "0123456789abcdef0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aMessageNeedingTwoToolRoundsIsAnsweredOverTheMessageApi(@TempDir Path dir) throws Exception {
    try (ScriptedChatServer model = ScriptedChatServer.start()) {
      model.enqueue(
          toolCalls(call("c1", "kv_upsert", "{\"key\":\"color\",\"value\":\"blue\"}")),
          toolCalls(call("c2", "kv_get", "{\"key\":\"color\"}")),
          answer("Noted: your favourite colour is blue."));
      String yaml = """
          storage:
            backend: memory
          agent:
            type: openai
            openai:
              base_url: %s
              model: test-model
              api_key: ${TEST_OPENAI_KEY}
          tools:
            workspace_root: %s
          channels:
            api:
              jwt:
                hs256_secret: %s
          """.formatted(model.baseUrl(), dir.resolve("ws"), SECRET);
      BatonConfig cfg = new ConfigLoader(Map.of("TEST_OPENAI_KEY", "sk-e2e")).parse(yaml, "baton.yaml")
          .withServer(BatonConfig.defaults().server().withPort(0));
      Scheduler scheduler = Scheduler.system();
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      MemoryStore store = new MemoryStore();
      try (BatonTools tools = BatonTools.builder().config(cfg).scheduler(scheduler).meterRegistry(meters)
              .idempotencyRecords(store.idempotency()).build()) {
        ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
        try (Baton engine = Baton.builder().config(cfg).store(store).scheduler(scheduler).meterRegistry(meters)
            .replies(router).tools(tools).build()) {
          Gateway gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler)
              .meterRegistry(meters).replies(router).build().start();
          try {
            String base = "http://127.0.0.1:" + gateway.port();
            String jwt = token("alice");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
                .header("Authorization", "Bearer " + jwt).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"m-1\",\"text\":\"remember: blue\"}"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).isEqualTo(202);
            HttpResponse<String> replies = http.send(HttpRequest.newBuilder(
                    URI.create(base + "/v1/replies?wait_ms=20000")).header("Authorization", "Bearer " + jwt)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode reply = JSON.readTree(replies.body()).path("replies").get(0);
            assertThat(reply.path("text").asText()).isEqualTo("Noted: your favourite colour is blue.");
            assertThat(reply.path("in_reply_to").asText()).isEqualTo("m-1");
            assertThat(reply.path("kind").asText()).isEqualTo("reply");
          } finally {
            gateway.stop(Duration.ofSeconds(5));
          }
        }
      }
      // Three model requests; the built-in kv tools ran through the runtime: the second round read what the
      // first wrote.
      assertThat(model.requests()).hasSize(3);
      assertThat(model.requests().get(0).authorization()).contains("Bearer sk-e2e");
      assertThat(model.requests().get(0).body().path("tools").toString()).contains("\"kv_upsert\"", "\"kv_get\"");
      assertThat(ScriptedChatServer.toolResultTexts(model.requests().get(2)).get(1)).contains("\"value\":\"blue\"");
    }
  }

  static String token(String sub) throws Exception {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(sub).issueTime(new Date())
        .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1)))).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
    return jwt.serialize();
  }
}
