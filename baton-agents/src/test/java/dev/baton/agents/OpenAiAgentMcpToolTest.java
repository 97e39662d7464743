package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Turn;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.McpConfig;
import dev.baton.config.OpenAiConfig;
import dev.baton.examples.mcpfiles.McpFileServer;
import dev.baton.mcp.McpTools;
import dev.baton.spi.Scheduler;
import dev.baton.tools.BatonTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The openai agent against a scripted OpenAI-compatible server, offered the tools of a real stdio MCP server
 * (examples/mcp-file-server, its own process): the model sees `files_write_file` with the server's schema, its
 * call runs at the MCP server through the tool runtime, and the result goes back to the model.
 */
class OpenAiAgentMcpToolTest {

  interface Assistant {
    String chat(String message);
  }

  /** The same through a LangChain4j AiServices agent: runtimeTools(runtime.specs()) offers the MCP tools. */
  @Test
  void aLangChain4jAgentCallsAnMcpToolEndToEnd(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    McpConfig.Server files = McpConfig.Server.stdio(java, List.of("-cp", System.getProperty("java.class.path"),
        McpFileServer.class.getName(), dir.resolve("files").toString()));
    try (ScriptedChatServer server = ScriptedChatServer.start();
        McpTools mcp = McpTools.start(new McpConfig(Map.of("files", files)), Scheduler.system());
        BatonTools runtime = mcp.addTo(BatonTools.builder().builtIns(false)).build()) {
      server.enqueue(toolCalls(call("c1", "files_write_file", "{\"path\":\"a.txt\",\"content\":\"lc4j\"}")),
          answer("done"));
      dev.baton.langchain4j.LangChain4jAgent<Assistant> agent = dev.baton.langchain4j.LangChain4jAgent
          .builder(Assistant.class)
          .chatModel(dev.langchain4j.model.openai.OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k")
              .modelName("m").maxRetries(0).build())
          .runtimeTools(runtime.specs()).answer(Assistant::chat).build();
      Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
      FakeTurn turn = new FakeTurn("s", List.of(new Turn.Message("m1", "u", "write a.txt", deadline)), List.of(),
          Map.of(), runtime, deadline);
      AgentThread.run(agent, turn);
      assertThat(turn.replies).containsExactly("done");
      assertThat(Files.readString(dir.resolve("files/a.txt"))).isEqualTo("lc4j");
      List<String> names = new ArrayList<>();
      server.requests().get(0).body().path("tools").forEach(t -> names.add(t.path("function").path("name").asText()));
      assertThat(names).contains("files_write_file", "files_bump");
    }
  }

  @Test
  void theModelCallsAnMcpToolEndToEnd(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    McpConfig.Server files = McpConfig.Server.stdio(java, List.of("-cp", System.getProperty("java.class.path"),
        McpFileServer.class.getName(), dir.resolve("files").toString()))
        .withResources(List.of(McpConfig.LockRule.exclusive("write_file", "file:{path}")));
    try (ScriptedChatServer server = ScriptedChatServer.start();
        McpTools mcp = McpTools.start(new McpConfig(Map.of("files", files)), Scheduler.system());
        BatonTools runtime = mcp.addTo(BatonTools.builder().builtIns(false)).build()) {
      server.enqueue(toolCalls(call("call-1", "files_write_file", "{\"path\":\"notes/todo.txt\",\"content\":\"milk\"}")),
          answer("saved"));
      Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
      FakeTurn turn = new FakeTurn("s", List.of(new Turn.Message("m1", "u", "note: milk", deadline)), List.of(),
          Map.of(), runtime, deadline);
      OpenAiAgent agent = OpenAiAgent.create(
          OpenAiConfig.defaults().withBaseUrl(server.baseUrl()).withModel("m").withApiKey("k"), Scheduler.system());
      AgentThread.start(agent, turn).join();

      assertThat(turn.replies).containsExactly("saved");
      assertThat(Files.readString(dir.resolve("files/notes/todo.txt"))).isEqualTo("milk");
      JsonNode offered = server.requests().get(0).body().path("tools");
      List<String> names = new ArrayList<>();
      offered.forEach(t -> names.add(t.path("function").path("name").asText()));
      assertThat(names).contains("files_write_file", "files_read_file");
      JsonNode write = null;
      for (JsonNode t : offered) if (t.path("function").path("name").asText().equals("files_write_file")) write = t;
      assertThat(write).isNotNull();
      assertThat(write.path("function").path("parameters").path("properties").has("content")).isTrue();
      assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(1))).singleElement().asString()
          .contains("wrote notes/todo.txt");
    }
  }
}
