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
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.BatonTools;
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
    runtimes.forEach(BatonTools::close);
  }

  OpenAiChatModel model() {
    return OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m").maxRetries(0).build();
  }

  static FakeTurn turn(String session, String messageId, String text, Map<String, String> state, FakeTools tools) {
    return new FakeTurn(session, List.of(new Turn.Message(messageId, "u", text, DEADLINE)), List.of(), state, tools,
        DEADLINE);
  }

  final List<BatonTools> runtimes = new ArrayList<>();

  /** Baton's real tool runtime with the @Tool methods of {@code toolObject} registered. */
  BatonTools runtime(Object toolObject) {
    BatonTools.Builder b = BatonTools.builder().builtIns(false);
    LangChain4jTools.tools(toolObject).forEach(b::tool);
    BatonTools rt = b.build();
    runtimes.add(rt);
    return rt;
  }

  static FakeTurn turn(String session, String messageId, String text, Map<String, String> state, BatonTools rt) {
    return new FakeTurn(session, List.of(new Turn.Message(messageId, "u", text, DEADLINE)), List.of(), state,
        (dev.baton.spi.tool.ToolRuntime) rt, DEADLINE);
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
    BatonTools rt = runtime(tools);
    List<FakeTurn> turns = new ArrayList<>();
    List<AgentThread> threads = new ArrayList<>();
    for (int i = 0; i < sessions; i++) turns.add(turn("s" + i, "m" + i, "s" + i, Map.of(), rt));
    for (FakeTurn t : turns) threads.add(AgentThread.start(agent, t));
    for (AgentThread t : threads) t.join();

    for (int i = 0; i < sessions; i++) {
      assertThat(turns.get(i).replies).containsExactly("api:u:s" + i + "/s" + i + "-1,api:u:s" + i + "/s" + i + "-2");
    }
    // The methods ran on the runtime's holder threads, not on the turn's thread.
    assertThat(tools.threads).hasSize(2 * sessions).allMatch(n -> n.contains("baton-tool-"));
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
    BatonTools rt = runtime(bank); // one runtime, one idempotency store, across the crash

    CountDownLatch arrived = new CountDownLatch(1);
    server.enqueue(toolCalls(call("id-1", "charge", "{\"account\":\"A\",\"cents\":500}")),
        new ScriptedChatServer.Held(arrived, new CountDownLatch(1), answer("never")));
    FakeTurn crashed = turn("s", "m1", "charge A 5", Map.of(), rt);
    AgentThread first = AgentThread.start(agent, crashed);
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    first.interrupt();
    assertThat(first.joinFailure()).isNotNull();

    server.enqueue(toolCalls(call("id-2", "charge", "{\"account\":\"A\",\"cents\":500}")), answer("done"));
    FakeTurn rerun = turn("s", "m1", "charge A 5", Map.of(), rt);
    AgentThread.run(agent, rerun);

    assertThat(bank.charges.get()).isEqualTo(1);
    assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(3))).containsExactly("charged 500 to A #1");
    assertThat(rerun.replies).containsExactly("done");
  }

  @Test
  void toolsCarryResourcesTimeoutAndSchema() throws Exception {
    dev.baton.tools.Tool t = LangChain4jTools.tools(new Bank()).getFirst();
    assertThat(t.name()).isEqualTo("charge");
    JsonNode schema = JSON.readTree(t.inputSchema());
    assertThat(schema.path("properties").path("cents").path("type").asText()).isEqualTo("integer");
    assertThat(t.timeout()).contains(java.time.Duration.ofSeconds(5));
    assertThat(t.resources(JSON.readTree("{\"account\":\"A-1\",\"cents\":3}"), NO_CONTEXT))
        .containsExactly(dev.baton.tools.Resource.of("account", "A-1", dev.baton.tools.Access.EXCLUSIVE));
    assertThatThrownBy(() -> t.resources(JSON.readTree("{}"), NO_CONTEXT)).hasMessageContaining("'account' is required");
    dev.baton.tools.Tool file = LangChain4jTools.tools(new Files()).getFirst();
    assertThat(file.resources(JSON.readTree("{\"path\":\"a/./b/../c.txt\"}"), NO_CONTEXT))
        .containsExactly(dev.baton.tools.Resource.of("file", "a/c.txt", dev.baton.tools.Access.SHARED));
  }

  static final class Files {
    @Tool("Reads a file")
    @BatonResource(value = "file:{path}", exclusive = false, path = true)
    String read(@P("path") String path) {
      return "";
    }
  }

  /** MethodTool.resources does not use its context. */
  static final dev.baton.tools.ToolContext NO_CONTEXT = new dev.baton.tools.ToolContext() {
    @Override public dev.baton.TurnContext turn() { throw new UnsupportedOperationException(); }
    @Override public dev.baton.SessionState state() { throw new UnsupportedOperationException(); }
    @Override public java.nio.file.Path workspacePath(String r) { throw new UnsupportedOperationException(); }
    @Override public java.nio.file.Path sharedPath(String r) { throw new UnsupportedOperationException(); }
    @Override public void lock(dev.baton.tools.Resource r) { throw new UnsupportedOperationException(); }
    @Override public void progress() {}
    @Override public Instant deadline() { return DEADLINE; }
  };

  /** The first call to enter holds the account until released; the model asks for three at once. */
  static final class Ledger {
    final java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger maxInside = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    final CountDownLatch firstInside = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    long balance;

    @Tool("Adds to an account")
    @BatonResource("account:{account}")
    long deposit(@P("account") String account, @P("cents") long cents) throws InterruptedException {
      maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
      try {
        long read = balance;
        if (first.getAndSet(false)) {
          firstInside.countDown();
          if (!release.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
        }
        balance = read + cents;
        return balance;
      } finally {
        inside.decrementAndGet();
      }
    }
  }

  @Test
  void batonResourceLocksHoldAcrossLangChain4jsConcurrentToolCalls() throws Exception {
    Ledger ledger = new Ledger();
    BatonTools rt = runtime(ledger);
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model()).tools(ledger)
        .answer(Assistant::chat).build();
    server.enqueue(toolCalls(call("a", "deposit", "{\"account\":\"A\",\"cents\":1}"),
        call("b", "deposit", "{\"account\":\"A\",\"cents\":10}"),
        call("c", "deposit", "{\"account\":\"A\",\"cents\":100}")), answer("deposited"));
    FakeTurn t = turn("s", "m", "deposit thrice", Map.of(), rt);
    AgentThread run = AgentThread.start(agent, t);

    assertThat(ledger.firstInside.await(10, TimeUnit.SECONDS)).isTrue();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (lockWaits(rt, "account:A") < 2 && System.nanoTime() < until) Thread.onSpinWait();
    assertThat(lockWaits(rt, "account:A")).isEqualTo(2); // LangChain4j started all three; two wait for the lock
    ledger.release.countDown();
    run.join();

    assertThat(ledger.maxInside.get()).isEqualTo(1);
    assertThat(ledger.balance).isEqualTo(111); // no lost update
    assertThat(t.replies).containsExactly("deposited");
  }

  static long lockWaits(BatonTools rt, String key) {
    return rt.snapshot().waits().stream().filter(w -> w.waitsFor().startsWith("lock " + key)).count();
  }

  static final class Camel {
    @Tool("Reads a balance")
    @BatonResource(value = "account:{accountId}", exclusive = false)
    long getBalance(@P("id") String accountId) {
      return 42;
    }
  }

  @Test
  void camelCaseToolNamesFollowTheRuntimesNamingRuleOnBothSides() throws Exception {
    assertThat(LangChain4jTools.batonName("getBalance")).isEqualTo("get_balance");
    assertThat(LangChain4jTools.batonName("HTTPGet")).isEqualTo("h_t_t_p_get");
    assertThat(LangChain4jTools.batonName("9lives")).isEqualTo("t_9lives");
    assertThat(LangChain4jTools.tools(new Camel())).extracting(d -> d.name()).containsExactly("get_balance");
    assertThat(LangChain4jTools.executors(new Camel()).keySet()).extracting(s -> s.name())
        .containsExactly("get_balance");

    Camel camel = new Camel();
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model()).tools(camel)
        .answer(Assistant::chat).build();
    server.enqueue(toolCalls(call("i", "get_balance", "{\"accountId\":\"A\"}")), answer("42"));
    FakeTurn t = turn("s", "m", "balance?", Map.of(), runtime(camel));
    AgentThread.run(agent, t);

    assertThat(server.requests().get(0).body().path("tools").get(0).path("function").path("name").asText())
        .isEqualTo("get_balance");
    assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(1))).containsExactly("42");
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
