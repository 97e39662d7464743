package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Transcript.Entry;
import dev.baton.Transcript.Role;
import dev.baton.Turn;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.agents.testing.ScriptedChatServer.Recorded;
import dev.baton.config.OpenAiConfig;
import dev.baton.spi.tool.ToolResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The agent loop against a real HTTP server speaking chat completions: tool rounds, parallel calls, P6. */
class OpenAiAgentToolLoopTest extends ScriptedProviderFixture {

  static final String ADD_SCHEMA = """
      {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}""";
  static final ObjectMapper JSON = dev.baton.spi.BatonJson.MAPPER;


  OpenAiConfig config() {
    return OpenAiConfig.defaults().withBaseUrl(server.baseUrl()).withModel("test-model").withApiKey("sk-test-key")
        .withSystemPrompt("You are terse.");
  }

  static ToolResult add(String args) {
    try {
      JsonNode n = JSON.readTree(args);
      return new ToolResult.Ok(Integer.toString(n.get("a").asInt() + n.get("b").asInt()));
    } catch (Exception e) {
      return new ToolResult.Failed("invalid_arguments", String.valueOf(e.getMessage()));
    }
  }

  @Test
  void twoToolRoundsThenAnAnswer() throws Exception {
    FakeTools tools = new FakeTools().tool("add", ADD_SCHEMA, OpenAiAgentToolLoopTest::add);
    server.enqueue(
        toolCalls(call("c1", "add", "{\"a\":1,\"b\":2}")),
        toolCalls(call("c2", "add", "{\"a\":3,\"b\":4}")),
        answer("3 and 7"));
    FakeTurn turn = FakeTurn.of("add things", tools, deadline);

    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    assertThat(turn.replies).containsExactly("3 and 7");
    List<Recorded> reqs = server.requests();
    assertThat(reqs).hasSize(3);
    Recorded first = reqs.get(0);
    assertThat(first.authorization()).contains("Bearer sk-test-key");
    assertThat(first.body().path("model").asText()).isEqualTo("test-model");
    JsonNode tool = first.body().path("tools").get(0).path("function");
    assertThat(tool.path("name").asText()).isEqualTo("add");
    assertThat(tool.path("parameters").path("properties").path("a").path("type").asText()).isEqualTo("integer");
    assertThat(tool.path("parameters").path("required")).hasSize(2);
    assertThat(first.messages().get(0).path("role").asText()).isEqualTo("system");
    assertThat(first.messages().get(1).path("content").asText()).isEqualTo("add things");
    // Round 2 sees round 1's call and result; round 3 sees both.
    assertThat(ScriptedChatServer.toolResultTexts(reqs.get(1))).containsExactly("3");
    assertThat(ScriptedChatServer.toolResultTexts(reqs.get(2))).containsExactly("3", "7");
    JsonNode assistant = reqs.get(2).messages().get(2);
    assertThat(assistant.path("tool_calls").get(0).path("id").asText()).isEqualTo("c1");
    assertThat(reqs.get(2).messages().get(3).path("tool_call_id").asText()).isEqualTo("c1");
    assertThat(tools.executions("add")).isEqualTo(2);
    assertThat(turn.staged).extracting(Entry::role)
        .containsExactly(Role.USER, Role.TOOL, Role.TOOL, Role.ASSISTANT);
  }

  @Test
  void theNextTurnSeesTheWholeConversationIncludingToolCalls() throws Exception {
    FakeTools tools = new FakeTools().tool("add", ADD_SCHEMA, OpenAiAgentToolLoopTest::add);
    server.enqueue(toolCalls(call("c1", "add", "{\"a\":1,\"b\":2}")), answer("3"), answer("still 3"));
    FakeTurn first = FakeTurn.of("1+2?", tools, deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), first);

    FakeTurn second = new FakeTurn("s1", List.of(new Turn.Message("m-2", "alice", "and now?", deadline)),
        first.commit(), Map.of(), tools, deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), second);

    JsonNode msgs = server.requests().get(2).messages();
    assertThat(msgs).extracting(m -> m.path("role").asText())
        .containsExactly("system", "user", "assistant", "tool", "assistant", "user");
    assertThat(msgs.get(2).path("tool_calls").get(0).path("function").path("name").asText()).isEqualTo("add");
    assertThat(msgs.get(3).path("tool_call_id").asText()).isEqualTo("c1");
    assertThat(msgs.get(3).path("content").asText()).isEqualTo("3");
    assertThat(msgs.get(4).path("content").asText()).isEqualTo("3");
    assertThat(msgs.get(5).path("content").asText()).isEqualTo("and now?");
    assertThat(second.replies).containsExactly("still 3");
  }

  @Test
  void toolCallsOfOneResponseGoToTheRuntimeAsOneParallelBatch() throws Exception {
    // Both calls must be in flight at once: each waits for the other (bounded), so a serial loop fails.
    CountDownLatch bothStarted = new CountDownLatch(2);
    FakeTools tools = new FakeTools().tool("slow", "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}",
        args -> {
          bothStarted.countDown();
          try {
            return bothStarted.await(10, java.util.concurrent.TimeUnit.SECONDS)
                ? new ToolResult.Ok("{\"args\":" + args + "}")
                : new ToolResult.Failed("timeout", "the other call never started");
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ToolResult.Failed("timeout", "interrupted");
          }
        });
    server.enqueue(toolCalls(call("a", "slow", "{\"n\":1}"), call("b", "slow", "{\"n\":2}")), answer("done"));
    FakeTurn turn = FakeTurn.of("go", tools, deadline);

    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    assertThat(tools.batches).hasSize(1);
    assertThat(tools.batches.get(0)).hasSize(2);
    assertThat(tools.batches.get(0).get(0).idempotencyKey()).isNotEqualTo(tools.batches.get(0).get(1).idempotencyKey());
    JsonNode msgs = server.requests().get(1).messages();
    assertThat(msgs.get(3).path("tool_call_id").asText()).isEqualTo("a");
    assertThat(msgs.get(3).path("content").asText()).isEqualTo("{\"args\":{\"n\":1}}");
    assertThat(msgs.get(4).path("tool_call_id").asText()).isEqualTo("b");
    assertThat(msgs.get(4).path("content").asText()).isEqualTo("{\"args\":{\"n\":2}}");
    assertThat(turn.replies).containsExactly("done");
  }

  @Test
  void aToolCallRepeatedAfterACrashIsNotExecutedAgain() throws Exception {
    Map<String, CompletableFuture<ToolResult>> store = new ConcurrentHashMap<>();
    int[] balance = {100};
    java.util.function.Function<String, ToolResult> charge = args -> {
      synchronized (balance) {
        balance[0] -= 30;
        return new ToolResult.Ok("{\"balance\":" + balance[0] + "}");
      }
    };
    // First run: the tool runs, then the process "dies" while the provider answers (the turn is interrupted
    // and nothing of it commits).
    CountDownLatch arrived = new CountDownLatch(1);
    server.enqueue(toolCalls(call("call_first", "charge", "{\"amount\":30}")),
        new ScriptedChatServer.Held(arrived, new CountDownLatch(1), answer("never sent")));
    FakeTurn crashed = FakeTurn.of("pay 30", new FakeTools(store).tool("charge", "{\"type\":\"object\"}", charge),
        deadline);
    AgentThread run = AgentThread.start(OpenAiAgent.create(config(), scheduler), crashed);
    assertThat(arrived.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    run.interrupt();
    assertThat(run.joinFailure()).isInstanceOf(InterruptedException.class);
    assertThat(crashed.replies).isEmpty();

    // Re-run of the same turn (same messages, nothing committed). A real provider mints a new call id.
    FakeTools again = new FakeTools(store).tool("charge", "{\"type\":\"object\"}", charge);
    server.enqueue(toolCalls(call("call_second", "charge", "{\"amount\":30}")), answer("paid, balance 70"));
    FakeTurn rerun = FakeTurn.of("pay 30", again, deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), rerun);

    assertThat(balance[0]).isEqualTo(70);
    assertThat(again.executions("charge")).isZero();
    assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(3))).containsExactly("{\"balance\":70}");
    assertThat(rerun.replies).containsExactly("paid, balance 70");
  }

  @Test
  void aDeadlockVictimIsReportedToTheModelAsAToolError() throws Exception {
    FakeTools tools = new FakeTools()
        .tool("lock_both", "{\"type\":\"object\"}",
            args -> new ToolResult.Failed("deadlock", "cycle: turn 1 -> file:a -> turn 2 -> file:b -> turn 1"))
        .tool("wait", "{\"type\":\"object\"}", args -> new ToolResult.Failed("timeout", "lock file:c not free in 30000 ms"));
    server.enqueue(toolCalls(call("c1", "lock_both", "{}"), call("c2", "wait", "{}")),
        answer("I could not get the files; try again"));
    FakeTurn turn = FakeTurn.of("edit a and b", tools, deadline);

    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    List<String> results = ScriptedChatServer.toolResultTexts(server.requests().get(1));
    assertThat(JSON.readTree(results.get(0)).path("error").path("code").asText()).isEqualTo("deadlock");
    assertThat(JSON.readTree(results.get(0)).path("error").path("message").asText()).contains("cycle");
    assertThat(JSON.readTree(results.get(1)).path("error").path("code").asText()).isEqualTo("timeout");
    assertThat(turn.replies).containsExactly("I could not get the files; try again");
  }

  @Test
  void theLoopStopsAtMaxToolRoundsWithAClearReply() throws Exception {
    FakeTools tools = new FakeTools().tool("add", ADD_SCHEMA, OpenAiAgentToolLoopTest::add);
    server.fallback(body -> toolCalls(call("again", "add", "{\"a\":1,\"b\":1}")));
    FakeTurn turn = FakeTurn.of("loop forever", tools, deadline);

    AgentThread.run(OpenAiAgent.create(config().withMaxToolRounds(2), scheduler), turn);

    assertThat(server.requests()).hasSize(3);
    assertThat(tools.batches).hasSize(2);
    assertThat(turn.replies).singleElement().asString().contains("stopped after 2 rounds of tool calls");
  }

  @Test
  void oneAgentServesManySessionsAtOnceWithoutMixingThem() throws Exception {
    // The model echoes each session's text into a tool call, then answers with what the tool returned.
    server.fallback(body -> {
      JsonNode msgs = body.path("messages");
      JsonNode last = msgs.get(msgs.size() - 1);
      if ("user".equals(last.path("role").asText())) {
        return toolCalls(call("t", "echo", "{\"text\":\"" + last.path("content").asText() + "\"}"));
      }
      return answer("tool said " + last.path("content").asText());
    });
    CountDownLatch allInTools = new CountDownLatch(8);
    FakeTools tools = new FakeTools().tool("echo", "{\"type\":\"object\"}", args -> {
      allInTools.countDown();
      try {
        // Every session's tool call is in flight at once before any returns: real overlap.
        if (!allInTools.await(10, java.util.concurrent.TimeUnit.SECONDS)) return new ToolResult.Failed("timeout", "");
        return new ToolResult.Ok(JSON.readTree(args).path("text").toString());
      } catch (Exception e) {
        return new ToolResult.Failed("tool_error", e.toString());
      }
    });
    OpenAiAgent agent = OpenAiAgent.create(config(), scheduler);
    List<FakeTurn> turns = new java.util.ArrayList<>();
    List<AgentThread> threads = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      FakeTurn t = new FakeTurn("s" + i, List.of(new Turn.Message("m" + i, "u" + i, "secret-" + i, deadline)),
          List.of(), Map.of(), tools, deadline);
      turns.add(t);
      threads.add(AgentThread.start(agent, t));
    }
    for (AgentThread t : threads) t.join();
    for (int i = 0; i < 8; i++) {
      assertThat(turns.get(i).replies).containsExactly("tool said \"secret-" + i + "\"");
      assertThat(turns.get(i).staged.toString()).doesNotContain("secret-" + ((i + 1) % 8));
    }
  }

  @Test
  void dottedRuntimeToolNamesAreOfferedInTheProvidersAlphabetAndMappedBack() throws Exception {
    FakeTools tools = new FakeTools().tool("kv.upsert", "{\"type\":\"object\"}", a -> new ToolResult.Ok("{\"ok\":true}"));
    server.enqueue(toolCalls(call("c1", "kv_upsert", "{\"key\":\"k\",\"value\":\"v\"}")), answer("saved"),
        answer("again"));
    FakeTurn turn = FakeTurn.of("save", tools, deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    assertThat(server.requests().get(0).body().path("tools").get(0).path("function").path("name").asText())
        .isEqualTo("kv_upsert");
    assertThat(tools.executions("kv.upsert")).isEqualTo(1);
    assertThat(turn.staged.get(1).text()).contains("\"tool\":\"kv.upsert\""); // the transcript keeps Baton's name
    // A later turn replays the call under the provider's name.
    FakeTurn next = new FakeTurn("s1", List.of(new Turn.Message("m-2", "alice", "again", deadline)), turn.commit(),
        Map.of(), tools, deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), next);
    assertThat(server.requests().get(2).messages().get(2).path("tool_calls").get(0).path("function").path("name")
        .asText()).isEqualTo("kv_upsert");
  }

  @Test
  void aTurnOfSeveralMessagesSendsThemAllInOrder() throws Exception {
    // Queue mode collect/interrupt: one turn answers every message that queued.
    server.enqueue(answer("both read"));
    FakeTurn turn = new FakeTurn("s1", List.of(new Turn.Message("m-1", "alice", "first", deadline),
        new Turn.Message("m-2", "alice", "second", deadline)), List.of(), Map.of(), dev.baton.spi.tool.Tools.none(),
        deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    assertThat(server.requests().get(0).messages()).extracting(m -> m.path("content").asText())
        .containsExactly("You are terse.", "first", "second");
    assertThat(turn.staged).extracting(Entry::role).containsExactly(Role.USER, Role.USER, Role.ASSISTANT);
    assertThat(turn.replies).containsExactly("both read");
  }

  @Test
  void anEmptyAnswerGetsAReplyThatSaysSo() throws Exception {
    server.enqueue(answer(""));
    FakeTurn turn = FakeTurn.of("hello", dev.baton.spi.tool.Tools.none(), deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);
    assertThat(turn.replies).containsExactly(OpenAiAgent.EMPTY_ANSWER);
  }

  @Test
  void withoutToolsNoToolsAreOffered() throws Exception {
    server.enqueue(answer("hi"));
    FakeTurn turn = FakeTurn.of("hello", dev.baton.spi.tool.Tools.none(), deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);
    assertThat(server.requests().get(0).body().has("tools")).isFalse();
    assertThat(turn.replies).containsExactly("hi");
  }
}
