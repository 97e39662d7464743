package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.BatonConfig;
import dev.baton.config.RateLimitsConfig;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * agent.rate_limits.tokens_per_user_per_day with the openai agent against a scripted provider that reports
 * usage (every response: {@link ScriptedChatServer#PROMPT_TOKENS} + {@link ScriptedChatServer#COMPLETION_TOKENS}
 * total tokens): once the user's tokens are spent the next message gets the budget reply and the provider
 * receives no request.
 */
class OpenAiAgentBudgetTest extends ScriptedProviderFixture {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final int PER_CALL = ScriptedChatServer.PROMPT_TOKENS + ScriptedChatServer.COMPLETION_TOKENS;

  final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  final ManualScheduler clock = new ManualScheduler();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  BatonConfig config(long tokensPerDay, boolean stream) {
    BatonConfig d = BatonConfig.defaults();
    return d.withAgent(d.agent().withType("openai")
        .withOpenai(d.agent().openai().withBaseUrl(server.baseUrl()).withModel("m").withApiKey("k").withStream(stream))
        .withRateLimits(RateLimitsConfig.defaults().withTokensPerUserPerDay(tokensPerDay)
            .withBudgetMessage("Budget spent for today.")));
  }

  Reply nextReply() throws InterruptedException {
    Reply r = replies.poll(20, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("no reply within 20 s");
    return r;
  }

  @Test
  void afterTheBudgetIsSpentTheNextMessageGetsTheBudgetReplyAndTheProviderNoRequest() throws Exception {
    for (boolean stream : new boolean[] {false, true}) {
      server.enqueue(answer("one"), answer("two"), answer("three"));
      int before = server.requests().size();
      try (Baton baton = Baton.builder().config(config(2L * PER_CALL, stream)).scheduler(clock)
          .replies(replies::add).meterRegistry(meters).build()) {
        String u = "ann-" + stream;
        baton.submit(InboundMessage.of("api", "m1", u, "hi", T0));
        assertThat(nextReply().text()).isEqualTo("one");
        baton.submit(InboundMessage.of("api", "m2", u, "again", T0));
        assertThat(nextReply().text()).isEqualTo("two");
        baton.submit(InboundMessage.of("api", "m3", u, "and again", T0));
        Reply refused = nextReply();
        assertThat(refused.kind()).isEqualTo(Reply.Kind.BUSY);
        assertThat(refused.text()).isEqualTo("Budget spent for today.");
        assertThat(server.requests().size() - before).as("stream %s: no request for m3", stream).isEqualTo(2);

        baton.submit(InboundMessage.of("api", "b1", "bob-" + stream, "hi", T0));
        assertThat(nextReply().text()).as("another user's budget").isEqualTo("three");
      }
      server.requests(); // the script is used up: a stray request would be answered 500 and show as an error
    }
    assertThat(meters.counter("baton.budget.tokens").count()).isEqualTo(2 * 3 * PER_CALL);
    assertThat(meters.counter("baton.budget.refused").count()).isEqualTo(2);
  }

  /** A stream that fails after showing text reports no usage: its estimate is charged, so it cannot be free. */
  @Test
  void aStreamCutShortAfterShowingTextIsChargedItsEstimate() throws Exception {
    server.enqueue(new ScriptedChatServer.Streamed(java.util.List.of("part one ", "part two ", "part three"),
        java.util.List.of(), 0, 1)); // the connection closes after the first delta
    try (Baton baton = Baton.builder().config(config(1, true)).scheduler(clock).replies(replies::add)
        .meterRegistry(meters).build()) {
      baton.submit(InboundMessage.of("api", "m1", "cara", "tell me a long story", T0));
      Reply cut = nextReply();
      assertThat(cut.text()).as("the shown part stands, the failure after it").startsWith("part one");
      assertThat(meters.counter("baton.budget.tokens").count()).as("the request's estimate was charged").isPositive();
      int before = server.requests().size();
      baton.submit(InboundMessage.of("api", "m2", "cara", "again", T0));
      Reply refused = nextReply();
      assertThat(refused.text()).isEqualTo("Budget spent for today.");
      assertThat(server.requests().size()).as("no request for m2").isEqualTo(before);
    }
  }

  @Test
  void aBudgetSpentDuringATurnStopsItBeforeTheNextModelRequest() throws Exception {
    FakeTools tools = new FakeTools().tool("add", OpenAiAgentToolLoopTest.ADD_SCHEMA, OpenAiAgentToolLoopTest::add);
    server.enqueue(toolCalls(call("c1", "add", "{\"a\":1,\"b\":2}")), answer("never asked for"));
    try (Baton baton = Baton.builder().config(config(PER_CALL, false)).scheduler(clock).tools((ctx, state) -> tools)
        .replies(replies::add).meterRegistry(meters).build()) {
      baton.submit(InboundMessage.of("api", "m1", "ann", "add 1+2", T0));
      Reply r = nextReply();
      assertThat(r.text()).isEqualTo("Budget spent for today.");
      assertThat(server.requests()).as("the tool round's request only").hasSize(1);
      assertThat(tools.executions("add")).isEqualTo(1);

      clock.advance(Duration.ofDays(1)); // a new UTC day: the budget is back
      baton.submit(InboundMessage.of("api", "m2", "ann", "hello", T0));
      assertThat(nextReply().text()).isEqualTo("never asked for");
    }
  }
}
