package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Turn;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.OpenAiConfig;
import dev.baton.spi.Scheduler;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The openai agent on Baton's real tool runtime: locks (P5), idempotency across a crash (P6), deadlocks (P8). */
class OpenAiAgentToolRuntimeTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final long WAIT_S = 10;

  final ScriptedChatServer server = ScriptedChatServer.start();
  final Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
  BatonTools runtime = BatonTools.builder().builtIns(false).build();

  @AfterEach
  void stop() {
    server.close();
    runtime.close();
  }

  OpenAiAgent agent() {
    return OpenAiAgent.create(OpenAiConfig.defaults().withBaseUrl(server.baseUrl()).withModel("m").withApiKey("k"),
        Scheduler.system());
  }

  FakeTurn turn(String session, String messageId, String text) {
    return new FakeTurn(session, List.of(new Turn.Message(messageId, "u", text, deadline)), List.of(), Map.of(),
        runtime, deadline);
  }

  /** A tool with a read-modify-write on one shared counter, guarded by the counter's exclusive lock. */
  static final class Bump implements Tool {
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger maxInside = new AtomicInteger();
    final AtomicBoolean first = new AtomicBoolean(true);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch firstInside = new CountDownLatch(1);
    volatile int counter;

    @Override public String name() { return "bump"; }
    @Override public String description() { return "adds one to a counter"; }
    @Override public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"counter\":{\"type\":\"string\"}},\"required\":[\"counter\"]}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("counter", args.path("counter").asText(), Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws Exception {
      maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
      try {
        int read = counter;
        if (first.getAndSet(false)) {
          firstInside.countDown();
          if (!release.await(WAIT_S, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
        }
        counter = read + 1;
        return ctx.json().numberNode(read + 1);
      } finally {
        inside.decrementAndGet();
      }
    }
  }

  @Test
  void parallelCallsOfOneResponseContendForOneResourceAndRunOneAtATime() throws Exception {
    Bump bump = new Bump();
    runtime.close();
    runtime = BatonTools.builder().builtIns(false).tool(bump).build();
    server.enqueue(toolCalls(call("a", "bump", "{\"counter\":\"x\"}"), call("b", "bump", "{\"counter\":\"x\"}"),
        call("c", "bump", "{\"counter\":\"x\"}")), answer("bumped thrice"));
    FakeTurn t = turn("s", "m1", "bump x three times");
    AgentThread run = AgentThread.start(agent(), t);

    assertThat(bump.firstInside.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    // The other two calls are waiting for the counter's lock (visible in the wait-for graph), not running.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (lockWaits("counter:x") < 2 && System.nanoTime() < until) Thread.onSpinWait();
    assertThat(lockWaits("counter:x")).isEqualTo(2);
    assertThat(bump.inside.get()).isEqualTo(1);
    bump.release.countDown();
    run.join();

    assertThat(bump.maxInside.get()).isEqualTo(1);
    assertThat(bump.counter).isEqualTo(3); // no lost update
    assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(1))).containsExactlyInAnyOrder("1", "2", "3");
    assertThat(t.replies).containsExactly("bumped thrice");
  }

  long lockWaits(String key) {
    return runtime.snapshot().waits().stream().filter(w -> w.waitsFor().startsWith("lock " + key)).count();
  }

  /** Counts its executions; the side effect must happen once per idempotency key. */
  static final class Charge implements Tool {
    final AtomicInteger executions = new AtomicInteger();

    @Override public String name() { return "charge"; }
    @Override public String description() { return "charges a card"; }
    @Override public String inputSchema() { return "{\"type\":\"object\",\"properties\":{\"cents\":{\"type\":\"integer\"}}}"; }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) {
      return ctx.json().objectNode().put("receipt", "r-" + executions.incrementAndGet());
    }
  }

  @Test
  void aToolCallRepeatedAfterACrashIsAnsweredFromTheRuntimesRecord() throws Exception {
    Charge charge = new Charge();
    runtime.close();
    runtime = BatonTools.builder().builtIns(false).tool(charge).build();
    CountDownLatch arrived = new CountDownLatch(1);
    server.enqueue(toolCalls(call("call_1", "charge", "{\"cents\":500}")),
        new ScriptedChatServer.Held(arrived, new CountDownLatch(1), answer("never")));
    AgentThread crashed = AgentThread.start(agent(), turn("s", "m1", "pay"));
    assertThat(arrived.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    crashed.interrupt();
    assertThat(crashed.joinFailure()).isInstanceOf(InterruptedException.class);

    server.enqueue(toolCalls(call("call_2", "charge", "{\"cents\":500}")), answer("paid"));
    FakeTurn rerun = turn("s", "m1", "pay");
    AgentThread.run(agent(), rerun);

    assertThat(charge.executions.get()).isEqualTo(1);
    assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(3))).containsExactly("{\"receipt\":\"r-1\"}");
    assertThat(rerun.replies).containsExactly("paid");
  }

  /** Locks account {from}, waits until the other session holds its first lock, then locks account {to}. */
  static final class Transfer implements Tool {
    final CyclicBarrier bothHoldFirst = new CyclicBarrier(2);

    @Override public String name() { return "transfer"; }
    @Override public String description() { return "moves money"; }
    @Override public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"from\":{\"type\":\"string\"},\"to\":{\"type\":\"string\"}}}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("account", args.path("from").asText(), Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws Exception {
      bothHoldFirst.await(WAIT_S, TimeUnit.SECONDS);
      ctx.lock(Resource.of("account", args.path("to").asText(), Access.EXCLUSIVE));
      return ctx.json().textNode("moved");
    }
  }

  @Test
  void theVictimOfACrossSessionDeadlockIsToldAndTheOtherCallCompletes() throws Exception {
    runtime.close();
    runtime = BatonTools.builder().builtIns(false).tool(new Transfer()).build();
    // Each session's model asks for a transfer (A->B or B->A) and then repeats what the tool said.
    server.fallback(body -> {
      JsonNode msgs = body.path("messages");
      JsonNode last = msgs.get(msgs.size() - 1);
      if ("user".equals(last.path("role").asText())) {
        String ft = last.path("content").asText(); // "A>B"
        return toolCalls(call("t", "transfer", "{\"from\":\"" + ft.charAt(0) + "\",\"to\":\"" + ft.charAt(2) + "\"}"));
      }
      return answer("tool said: " + last.path("content").asText());
    });
    FakeTurn ab = turn("s-ab", "m1", "A>B");
    FakeTurn ba = turn("s-ba", "m2", "B>A");
    OpenAiAgent agent = agent();
    AgentThread t1 = AgentThread.start(agent, ab);
    AgentThread t2 = AgentThread.start(agent, ba);
    t1.join();
    t2.join();

    List<String> replies = List.of(ab.replies.getFirst(), ba.replies.getFirst());
    assertThat(replies).filteredOn(r -> r.contains("\"code\":\"deadlock\"") && r.contains("victim")).hasSize(1);
    assertThat(replies).filteredOn(r -> r.equals("tool said: \"moved\"")).hasSize(1);
    assertThat(runtime.recentDeadlocks()).hasSize(1);
  }
}
