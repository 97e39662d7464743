package dev.baton.langchain4j;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.BatonContext;
import dev.baton.Turn;
import dev.baton.agents.AgentThread;
import dev.baton.agents.FakeTools;
import dev.baton.agents.FakeTurn;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.tool.ToolResult;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An AiServices assistant run as a Baton agent: memory in session state, @Tool through the tool runtime. */
class LangChain4jAgentTest {

  interface Assistant {
    String chat(String message);
  }

  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant DEADLINE = Instant.parse("2030-01-01T00:00:00Z");

  final ScriptedChatServer server = ScriptedChatServer.start();

  @AfterEach
  void stop() {
    server.close();
  }

  OpenAiChatModel model() {
    return OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m").maxRetries(0).build();
  }

  static FakeTurn turn(String session, String messageId, String text, Map<String, String> state, FakeTools tools) {
    return new FakeTurn(session, List.of(new Turn.Message(messageId, "u", text, DEADLINE)), List.of(), state, tools,
        DEADLINE);
  }

  /** Registers the @Tool methods with the fake runtime the way the real one does: by their definitions. */
  static FakeTools runtimeWith(FakeTools tools, Object toolObject) {
    for (BatonToolDefinition d : BatonTools.definitions(toolObject)) {
      tools.tool(d.spec().name(), d.spec().inputSchemaJson(), args -> {
        try {
          return new ToolResult.Ok(d.handler().invoke(args));
        } catch (Exception e) {
          return new ToolResult.Failed("tool_error", String.valueOf(e.getMessage()));
        }
      });
    }
    return tools;
  }

  @Test
  void memoryIsPerSessionInSessionStateAndCarriesOverTurns() throws Exception {
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model())
        .answer(Assistant::chat).build();
    server.enqueue(answer("Hi Ann"), answer("Hi Bob"), answer("You are Ann"));

    FakeTurn ann1 = turn("ann", "a1", "I am Ann", Map.of(), new FakeTools());
    AgentThread.run(agent, ann1);
    FakeTurn bob1 = turn("bob", "b1", "I am Bob", Map.of(), new FakeTools());
    AgentThread.run(agent, bob1);
    FakeTurn ann2 = turn("ann", "a2", "Who am I?", ann1.state, new FakeTools());
    AgentThread.run(agent, ann2);

    assertThat(ann1.replies).containsExactly("Hi Ann");
    assertThat(ann2.replies).containsExactly("You are Ann");
    // Bob's request carried nothing of Ann's session although both use memory id "default".
    assertThat(server.requests().get(1).messages().toString()).doesNotContain("Ann").contains("I am Bob");
    assertThat(server.requests().get(2).messages()).extracting(m -> m.path("content").asText())
        .containsExactly("I am Ann", "Hi Ann", "Who am I?");
    // Stored as LangChain4j's own JSON under the session's state.
    List<ChatMessage> stored = BatonChatMemoryStore.of(ann2.state()).getMessages("default");
    assertThat(stored).hasSize(4);
    assertThat(((UserMessage) stored.get(0)).singleText()).isEqualTo("I am Ann");
    assertThat(ann2.state).containsOnlyKeys(BatonChatMemoryStore.KEY_PREFIX + "default");
    assertThat(bob1.state.get(BatonChatMemoryStore.KEY_PREFIX + "default")).doesNotContain("Ann");
  }

  @Test
  void theStoreOutsideATurnFailsClearly() {
    assertThatThrownBy(() -> BatonChatMemoryStore.current().getMessages("default"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("outside a turn");
  }

  /** Tools that say which session they ran for and on which thread; both calls of a turn meet at a barrier. */
  static final class WhoAmI {
    final Map<String, CyclicBarrier> barriers = new ConcurrentHashMap<>();
    final Set<String> threads = ConcurrentHashMap.newKeySet();

    @Tool("Says which session this runs for")
    @BatonResource("profile:{tag}")
    String whoami(@P("a tag") String tag) throws Exception {
      String session = BatonContext.current().orElseThrow().session().value();
      threads.add(Thread.currentThread().toString());
      barriers.computeIfAbsent(session, s -> new CyclicBarrier(2)).await(10, TimeUnit.SECONDS);
      return session + "/" + tag;
    }
  }

  @Test
  void concurrentToolsOfManySessionsRunThroughTheRuntimeWithTheirOwnContext() throws Exception {
    // The model asks for two whoami calls at once, tagged with the user's text; then echoes the results.
    server.fallback(body -> {
      JsonNode msgs = body.path("messages");
      JsonNode last = msgs.get(msgs.size() - 1);
      if ("user".equals(last.path("role").asText())) {
        String tag = last.path("content").asText();
        return toolCalls(call("x", "whoami", "{\"tag\":\"" + tag + "-1\"}"),
            call("y", "whoami", "{\"tag\":\"" + tag + "-2\"}"));
      }
      List<String> results = new ArrayList<>();
      for (JsonNode m : msgs) if ("tool".equals(m.path("role").asText())) results.add(m.path("content").asText());
      return answer(String.join(",", results));
    });
    WhoAmI tools = new WhoAmI();
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model()).tools(tools)
        .answer(Assistant::chat).build();

    int sessions = 6;
    List<FakeTurn> turns = new ArrayList<>();
    List<FakeTools> runtimes = new ArrayList<>();
    List<AgentThread> threads = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      FakeTools rt = runtimeWith(new FakeTools(), tools);
      runtimes.add(rt);
      turns.add(turn("s" + i, "m" + i, "s" + i, Map.of(), rt));
    }
    for (FakeTurn t : turns) threads.add(AgentThread.start(agent, t));
    for (AgentThread t : threads) t.join();

    for (int i = 0; i < sessions; i++) {
      assertThat(turns.get(i).replies).containsExactly("s" + i + "/s" + i + "-1,s" + i + "/s" + i + "-2");
      assertThat(runtimes.get(i).executions("whoami")).isEqualTo(2); // through this session's runtime
    }
    assertThat(tools.threads).noneMatch(n -> n.contains("turn")); // LangChain4j's executor, not the turn thread
  }

  static final class Bank {
    final java.util.concurrent.atomic.AtomicInteger charges = new java.util.concurrent.atomic.AtomicInteger();

    @Tool("Charges an account")
    @BatonResource("account:{account}")
    @BatonTimeout(millis = 5_000)
    String charge(@P("account") String account, @P("cents") long cents) {
      return "charged " + cents + " to " + account + " #" + charges.incrementAndGet();
    }
  }

  @Test
  void aToolCallRepeatedAfterACrashIsNotExecutedAgain() throws Exception {
    Bank bank = new Bank();
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model()).tools(bank)
        .answer(Assistant::chat).build();
    Map<String, CompletableFuture<ToolResult>> store = new ConcurrentHashMap<>();

    CountDownLatch arrived = new CountDownLatch(1);
    server.enqueue(toolCalls(call("id-1", "charge", "{\"account\":\"A\",\"cents\":500}")),
        new ScriptedChatServer.Held(arrived, new CountDownLatch(1), answer("never")));
    FakeTurn crashed = turn("s", "m1", "charge A 5", Map.of(), runtimeWith(new FakeTools(store), bank));
    AgentThread first = AgentThread.start(agent, crashed);
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    first.interrupt();
    assertThat(first.joinFailure()).isNotNull();

    server.enqueue(toolCalls(call("id-2", "charge", "{\"account\":\"A\",\"cents\":500}")), answer("done"));
    FakeTurn rerun = turn("s", "m1", "charge A 5", Map.of(), runtimeWith(new FakeTools(store), bank));
    AgentThread.run(agent, rerun);

    assertThat(bank.charges.get()).isEqualTo(1);
    assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(3))).containsExactly("charged 500 to A #1");
    assertThat(rerun.replies).containsExactly("done");
  }

  @Test
  void definitionsCarryResourcesTimeoutAndSchema() throws Exception {
    BatonToolDefinition d = BatonTools.definitions(new Bank()).getFirst();
    assertThat(d.spec().name()).isEqualTo("charge");
    JsonNode schema = JSON.readTree(d.spec().inputSchemaJson());
    assertThat(schema.path("properties").path("cents").path("type").asText()).isEqualTo("integer");
    assertThat(d.timeout()).contains(java.time.Duration.ofSeconds(5));
    assertThat(d.resourcesFor(JSON.readTree("{\"account\":\"A-1\",\"cents\":3}")))
        .containsExactly(new BatonToolDefinition.Resource("account:A-1", true));
    assertThatThrownBy(() -> d.resourcesFor(JSON.readTree("{}"))).hasMessageContaining("needs argument 'account'");
    assertThat(d.handler().invoke("{\"account\":\"B\",\"cents\":7}")).isEqualTo("\"charged 7 to B #1\"");
  }

  @Test
  void aFailedToolIsReportedToTheModelAsAnError() throws Exception {
    Bank bank = new Bank();
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model()).tools(bank)
        .answer(Assistant::chat).build();
    FakeTools runtime = new FakeTools().tool("charge", "{\"type\":\"object\"}",
        a -> new ToolResult.Failed("deadlock", "cycle: turn 1 -> account:A -> turn 2 -> account:B -> turn 1"));
    server.enqueue(toolCalls(call("i", "charge", "{\"account\":\"A\",\"cents\":1}")), answer("retry later"));
    FakeTurn t = turn("s", "m", "charge", Map.of(), runtime);
    AgentThread.run(agent, t);

    String result = ScriptedChatServer.toolResultTexts(server.requests().get(1)).getFirst();
    assertThat(JSON.readTree(result).path("error").path("code").asText()).isEqualTo("deadlock");
    assertThat(t.replies).containsExactly("retry later");
    assertThat(bank.charges.get()).isZero();
  }
}
