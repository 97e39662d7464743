package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.BatonConfig;
import dev.baton.testing.ManualScheduler;
import dev.baton.spi.tool.ToolResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code agent.type: openai} inside the real engine: found by ServiceLoader, transcript committed, timeouts. */
class OpenAiAgentEngineTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  final ScriptedChatServer server = ScriptedChatServer.start();
  final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  final ManualScheduler scheduler = new ManualScheduler();

  @AfterEach
  void stop() {
    server.close();
  }

  BatonConfig config(long turnTimeoutMs) {
    BatonConfig d = BatonConfig.defaults();
    return d.withAgent(d.agent().withType("openai").withTurnTimeoutMs(turnTimeoutMs)
        .withOpenai(d.agent().openai().withBaseUrl(server.baseUrl()).withModel("m").withApiKey("k")));
  }

  Reply nextReply() throws InterruptedException {
    Reply r = replies.poll(20, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("no reply within 20 s");
    return r;
  }

  @Test
  void aMessageNeedingTwoToolRoundsIsAnsweredAndTheNextTurnSeesTheConversation() throws Exception {
    FakeTools tools = new FakeTools().tool("add", OpenAiAgentToolLoopTest.ADD_SCHEMA, OpenAiAgentToolLoopTest::add);
    server.enqueue(toolCalls(call("c1", "add", "{\"a\":1,\"b\":2}")),
        toolCalls(call("c2", "add", "{\"a\":3,\"b\":3}")),
        answer("1+2=3, 3+3=6"), answer("I added twice."));
    try (Baton baton = Baton.builder().config(config(60_000)).scheduler(scheduler).tools((ctx, state) -> tools)
        .replies(replies::add).build()) {
      baton.submit(InboundMessage.of("api", "m1", "ann", "add 1+2 then 3+3", T0));
      Reply r = nextReply();
      assertThat(r.kind()).isEqualTo(Reply.Kind.REPLY);
      assertThat(r.text()).isEqualTo("1+2=3, 3+3=6");

      baton.submit(InboundMessage.of("api", "m2", "ann", "what did you do?", T0));
      assertThat(nextReply().text()).isEqualTo("I added twice.");
    }
    assertThat(tools.executions("add")).isEqualTo(2);
    List<String> roles = new ArrayList<>();
    for (JsonNode m : server.requests().get(3).messages()) roles.add(m.path("role").asText());
    assertThat(roles).containsExactly("system", "user", "assistant", "tool", "assistant", "tool", "assistant", "user");
  }

  @Test
  void aTurnTimeoutStopsTheProviderCallAndTheSessionGoesOn() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    server.enqueue(new ScriptedChatServer.Held(arrived, release,
        ScriptedChatServer.status(200, "x".repeat(8 << 20))), answer("second"));
    try (Baton baton = Baton.builder().config(config(1_000)).scheduler(scheduler).replies(replies::add).build()) {
      baton.submit(InboundMessage.of("api", "m1", "bob", "slow one", T0));
      assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
      scheduler.advance(Duration.ofSeconds(1));
      Reply timedOut = nextReply();
      assertThat(timedOut.kind()).isEqualTo(Reply.Kind.ERROR);
      release.countDown();
      assertThat(server.awaitAbortedWrite(Duration.ofSeconds(10))).isTrue(); // the HTTP call was cancelled

      baton.submit(InboundMessage.of("api", "m2", "bob", "next", T0));
      assertThat(nextReply().text()).isEqualTo("second");
    } finally {
      release.countDown();
    }
    // The abandoned turn committed nothing: the second request has no trace of a reply to "slow one".
    List<String> contents = new ArrayList<>();
    for (JsonNode m : server.requests().get(1).messages()) contents.add(m.path("content").asText());
    assertThat(contents).contains("next").doesNotContain("slow one");
  }

  /** A failed model call is an error reply, and the turn still commits: the next turn sees the question. */
  @Test
  void aFailedModelCallIsDeliveredAsAnErrorReplyAndTheTurnCommits() throws Exception {
    server.enqueue(ScriptedChatServer.status(401, "{\"error\":{\"message\":\"Incorrect API key provided: k\"}}"),
        answer("now it works"));
    try (Baton baton = Baton.builder().config(config(60_000)).scheduler(scheduler).replies(replies::add).build()) {
      baton.submit(InboundMessage.of("api", "m1", "eve", "first question", T0));
      Reply failed = nextReply();
      assertThat(failed.kind()).isEqualTo(Reply.Kind.ERROR);
      assertThat(failed.text()).contains("refused the credentials (HTTP 401)").doesNotContain("Incorrect");

      baton.submit(InboundMessage.of("api", "m2", "eve", "second question", T0));
      Reply ok = nextReply();
      assertThat(ok.kind()).isEqualTo(Reply.Kind.REPLY);
      assertThat(ok.text()).isEqualTo("now it works");
    }
    List<String> contents = new ArrayList<>();
    for (JsonNode m : server.requests().get(1).messages()) contents.add(m.path("content").asText());
    assertThat(contents).contains("first question", "second question");
  }

  @Test
  void aFailingToolRuntimeResultReachesTheModelThroughTheEngine() throws Exception {
    FakeTools tools = new FakeTools().tool("lock", "{\"type\":\"object\"}",
        a -> new ToolResult.Failed("deadlock", "cycle: s1 -> file:a -> s2 -> file:b -> s1"));
    server.enqueue(toolCalls(call("c1", "lock", "{}")), answer("could not lock"));
    try (Baton baton = Baton.builder().config(config(60_000)).scheduler(scheduler).tools((c, s) -> tools)
        .replies(replies::add).build()) {
      baton.submit(InboundMessage.of("api", "m1", "cy", "lock it", T0));
      assertThat(nextReply().text()).isEqualTo("could not lock");
    }
    assertThat(ScriptedChatServer.toolResultTexts(server.requests().get(1)).getFirst()).contains("\"deadlock\"");
  }

  @Test
  void theEnginesOpenaiAgentSharesOneProviderLimitAcrossSessionsOnTheEnginesClock() throws Exception {
    server.fallback(body -> answer("ok")).rateLimit(1, scheduler::now);
    BatonConfig c = config(600_000);
    c = c.withAgent(c.agent().withRateLimits(new dev.baton.config.RateLimitsConfig(
        new dev.baton.config.ProviderLimitsConfig(1, 0))));
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    try (Baton baton = Baton.builder().config(c).scheduler(scheduler).meterRegistry(meters)
        .tools((ctx, state) -> new FakeTools()).replies(replies::add).build()) {
      baton.submit(InboundMessage.of("api", "m1", "ann", "hi", T0));
      assertThat(nextReply().text()).isEqualTo("ok");
      baton.submit(InboundMessage.of("api", "m2", "bob", "hi", T0)); // another session: the same limiter
      long limit = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (meters.find("baton.provider.waiting").gauge() == null
          || meters.get("baton.provider.waiting").gauge().value() < 1) {
        if (System.nanoTime() > limit) throw new AssertionError("bob's call never waited for the provider");
        Thread.onSpinWait();
      }
      assertThat(replies).isEmpty();
      scheduler.advance(Duration.ofSeconds(60));
      assertThat(nextReply().text()).isEqualTo("ok");
    }
    assertThat(server.arrivals()).extracting(ScriptedChatServer.Arrival::status).containsExactly(200, 200);
  }
}
