package dev.baton.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Baton;
import dev.baton.BatonContext;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.BatonConfig;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.annotation.Tool;

/** A Spring AI ChatClient as a Baton agent, against a scripted OpenAI-compatible server over real HTTP. */
class SpringAiAgentTest {

  private final ScriptedChatServer server = ScriptedChatServer.start().recording(true);
  private final List<AutoCloseable> open = new ArrayList<>();
  private final Map<SessionKey, List<Reply>> replies = new ConcurrentHashMap<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) c.close();
    server.close();
  }

  static OpenAiChatModel model(ScriptedChatServer server) {
    return OpenAiChatModel.builder().options(OpenAiChatOptions.builder().baseUrl(server.baseUrl()).apiKey("test-key")
        .model("gpt-test").maxRetries(0).build()).build();
  }

  private Baton engine(ChatClient client, BatonTools tools) {
    Baton engine = Baton.builder().config(BatonConfig.defaults()).agent(new SpringAiAgent(client)).tools(tools)
        .replies(r -> replies.computeIfAbsent(r.session(), k -> new CopyOnWriteArrayList<>()).add(r)).build();
    open.add(engine);
    return engine;
  }

  private BatonTools tools(dev.baton.tools.Tool... tools) {
    BatonTools.Builder b = BatonTools.builder().config(BatonConfig.defaults()).builtIns(false);
    for (var t : tools) b.tool(t);
    BatonTools built = b.build();
    open.add(built);
    return built;
  }

  private static ChatClient.Builder withMemory(OpenAiChatModel model) {
    return ChatClient.builder(model).defaultAdvisors(MessageChatMemoryAdvisor.builder(MessageWindowChatMemory.builder()
        .chatMemoryRepository(new BatonChatMemoryRepository()).maxMessages(50).build()).build());
  }

  private List<Reply> awaitReplies(SessionKey s, int n) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (replies.getOrDefault(s, List.of()).size() < n && System.nanoTime() < until) Thread.sleep(5); // bounded poll
    assertThat(replies.getOrDefault(s, List.of())).as("replies of " + s).hasSizeGreaterThanOrEqualTo(n);
    return replies.get(s);
  }

  private static SessionKey accepted(dev.baton.Admission a) {
    assertThat(a).isInstanceOf(dev.baton.Admission.Accepted.class);
    return ((dev.baton.Admission.Accepted) a).session();
  }

  private static String user(int i) {
    return "user-" + i;
  }

  private static String secret(int i) {
    return "SECRET-" + (1000 + i) + "-X";
  }

  @Test
  void concurrentUsersNeverSeeEachOthersMemory() throws Exception {
    server.fallback(body -> ScriptedChatServer.answer("noted"));
    Baton engine = engine(withMemory(model(server)).build(), tools());
    int n = 8;
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int u = i;
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          SessionKey s = accepted(engine.submit(InboundMessage.of("api", "m1-" + u, user(u), "my secret is " + secret(u),
              Instant.now())));
          awaitReplies(s, 1);
          engine.submit(InboundMessage.of("api", "m2-" + u, user(u), "what is my secret?", Instant.now()));
          awaitReplies(s, 2);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (Thread t : threads) t.join(Duration.ofSeconds(60));
    List<ScriptedChatServer.Recorded> requests = server.requests();
    assertThat(requests).hasSize(2 * n);
    int secondsSeen = 0;
    for (ScriptedChatServer.Recorded r : requests) {
      String body = r.body().toString();
      List<Integer> owners = new ArrayList<>();
      for (int i = 0; i < n; i++) if (body.contains(secret(i))) owners.add(i);
      // A request carries at most one user's secret: its own (the first turn's text, or memory of it).
      assertThat(owners).as("secrets in one model request").hasSizeLessThanOrEqualTo(1);
      if (body.contains("what is my secret?")) {
        secondsSeen++;
        assertThat(owners).as("the second turn remembers its own secret").hasSize(1);
      }
    }
    assertThat(secondsSeen).isEqualTo(n);
  }

  @Test
  void aConversationIdOutsideATurnIsRefusedNotAnsweredFromSomeSession() {
    BatonChatMemoryRepository repo = new BatonChatMemoryRepository();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> repo.findByConversationId("default"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("outside a turn");
  }

  /** A tool on one declared resource: both calls of two concurrent sessions run, one after the other. */
  static final class Counter {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();
    final CountDownLatch entered = new CountDownLatch(2);
    final List<Optional<TurnContext>> contexts = new CopyOnWriteArrayList<>();

    @Tool(description = "Adds one to the shared counter")
    String bumpCounter(String counter) throws InterruptedException {
      contexts.add(BatonContext.current());
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      calls.incrementAndGet();
      entered.countDown();
      entered.await(1, TimeUnit.SECONDS); // overlapping calls both get here at once; serialized ones wait it out
      inFlight.decrementAndGet();
      return "bumped " + counter;
    }
  }

  @Test
  void toolCallsGoThroughBatonsRuntimeSerializedOnTheirResourceWithTheTurnsContext() throws Exception {
    Counter counter = new Counter();
    ToolCallback[] callbacks = ToolCallbacks.from(counter);
    dev.baton.tools.Tool tool = SpringAiTools.tool(callbacks[0],
        (args, ctx) -> List.of(Resource.of("counter", args.path("counter").asText(), Access.EXCLUSIVE)), null);
    server.fallback(body -> lastIsTool(body) ? ScriptedChatServer.answer("done")
        : ScriptedChatServer.toolCalls(ScriptedChatServer.call("c1", "bump_counter", "{\"counter\":\"shared\"}")));
    Baton engine = engine(withMemory(model(server)).defaultToolCallbacks(SpringAiTools.routed(callbacks)).build(),
        tools(tool));
    SessionKey a = accepted(engine.submit(InboundMessage.of("api", "a-1", "alice", "bump", Instant.now())));
    SessionKey b = accepted(engine.submit(InboundMessage.of("api", "b-1", "bob", "bump", Instant.now())));
    assertThat(awaitReplies(a, 1).getFirst().text()).isEqualTo("done");
    assertThat(awaitReplies(b, 1).getFirst().text()).isEqualTo("done");
    assertThat(counter.calls).hasValue(2);
    assertThat(counter.maxInFlight).as("calls on one exclusive resource overlap").hasValue(1);
    assertThat(counter.contexts).extracting(c -> c.map(TurnContext::session).orElse(null))
        .containsExactlyInAnyOrder(a, b);
    assertThat(server.requests()).anySatisfy(r -> assertThat(ScriptedChatServer.toolResultTexts(r))
        .contains("bumped shared"));
  }

  /** A re-run of a turn (fresh scope, same messages) gets the same idempotency keys: the runtime replays, once. */
  @Test
  void aRerunOfTheTurnReplaysACompletedToolCallInsteadOfRepeatingIt() throws Exception {
    Counter counter = new Counter();
    ToolCallback[] callbacks = ToolCallbacks.from(counter);
    BatonTools tools = tools(SpringAiTools.tools(callbacks).toArray(dev.baton.tools.Tool[]::new));
    ToolCallback routed = SpringAiTools.routed(tools.specs())[0];
    List<String> results = new CopyOnWriteArrayList<>();
    dev.baton.Agent agent = turn -> {
      for (int run = 0; run < 2; run++) { // the second run stands for the turn run again after a crash
        results.add(ScopedValue.where(TurnScope.CURRENT, new TurnScope(turn))
            .call(() -> routed.call("{\"counter\":\"c\"}")));
      }
      // Within one run, a second identical call is a new call (the model asked twice): it executes.
      results.add(ScopedValue.where(TurnScope.CURRENT, new TurnScope(turn)).call(() -> {
        routed.call("{\"counter\":\"c\"}");
        return routed.call("{\"counter\":\"c\"}");
      }));
      turn.reply("ok");
    };
    Baton engine = Baton.builder().config(BatonConfig.defaults()).agent(agent).tools(tools)
        .replies(r -> replies.computeIfAbsent(r.session(), k -> new CopyOnWriteArrayList<>()).add(r)).build();
    open.add(engine);
    SessionKey s = accepted(engine.submit(InboundMessage.of("api", "r-1", "carol", "go", Instant.now())));
    assertThat(awaitReplies(s, 1).getFirst().text()).isEqualTo("ok");
    assertThat(results).hasSize(3).allMatch(r -> r.contains("bumped c"));
    assertThat(counter.calls).as("executions: first run 1, re-run replayed 0, second identical call 1").hasValue(2);
  }

  private static boolean lastIsTool(JsonNode body) {
    JsonNode msgs = body.path("messages");
    return msgs.size() > 0 && "tool".equals(msgs.get(msgs.size() - 1).path("role").asText());
  }
}
