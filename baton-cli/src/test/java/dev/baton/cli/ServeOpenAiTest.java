package dev.baton.cli;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.spi.Scheduler;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code baton serve} with {@code agent.type: openai} pointed at a local chat-completions server answers, over
 * the HTTP message API, a message that needs two tool rounds through the built-in tools of the runtime.
 */
class ServeOpenAiTest {

  static final String SECRET = "0123456789abcdef0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void serveWithTheOpenaiAgentAnswersAMessageThatNeedsTwoToolRounds(@TempDir Path dir) throws Exception {
    try (ScriptedChatServer model = ScriptedChatServer.start()) {
      model.enqueue(
          toolCalls(call("c1", "kv_upsert", "{\"key\":\"color\",\"value\":\"blue\"}")),
          toolCalls(call("c2", "kv_get", "{\"key\":\"color\"}")),
          answer("Noted: your favourite colour is blue."));
      Path yaml = dir.resolve("baton.yaml");
      Files.writeString(yaml, """
          storage:
            backend: sqlite
            path: %s
          agent:
            type: openai
            openai:
              base_url: %s
              model: test-model
              api_key: sk-e2e-not-secret
          tools:
            workspace_root: %s
          channels:
            api:
              jwt:
                hs256_secret: %s
          """.formatted(dir.resolve("baton.db"), model.baseUrl(), dir.resolve("ws"), SECRET));
      ServeCommand cmd = new ServeCommand();
      new CommandLine(cmd).parseArgs("--config", yaml.toString(), "--port", "0");
      StringWriter out = new StringWriter();
      ServeCommand.Running running = cmd.start(new PrintWriter(out, true));
      try {
        assertThat(out.toString()).contains("agent: openai");
        String base = "http://127.0.0.1:" + running.gateway().port();
        String jwt = ServeCommand.devToken(SECRET, "alice", Scheduler.system());
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
            .header("Authorization", "Bearer " + jwt).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"m-1\",\"text\":\"remember: blue\"}"))
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(202);
        HttpResponse<String> replies = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/replies?wait_ms=20000"))
            .header("Authorization", "Bearer " + jwt).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        JsonNode reply = JSON.readTree(replies.body()).path("replies").get(0);
        assertThat(reply.path("text").asText()).isEqualTo("Noted: your favourite colour is blue.");
        assertThat(reply.path("in_reply_to").asText()).isEqualTo("m-1");
        assertThat(reply.path("kind").asText()).isEqualTo("reply");
      } finally {
        running.stop();
      }
      // Three model requests; the built-in kv tools ran through the runtime: round two read what round one wrote.
      assertThat(model.requests()).hasSize(3);
      assertThat(model.requests().get(0).authorization()).contains("Bearer sk-e2e-not-secret");
      assertThat(model.requests().get(0).body().path("tools").toString()).contains("\"kv_upsert\"", "\"kv_get\"");
      assertThat(ScriptedChatServer.toolResultTexts(model.requests().get(2)).get(1)).contains("\"value\":\"blue\"");
      assertThat(out.toString()).doesNotContain("sk-e2e-not-secret");
    }
  }
}
