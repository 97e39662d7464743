package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.BatonContext;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.TurnContext;
import dev.baton.testing.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** P7: the turn's context is bound in the agent, in tasks started for the turn and in the MDC, and nowhere else. */
class ContextTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  record Seen(Optional<TurnContext> inAgent, Map<String, String> mdc, Optional<TurnContext> inTask,
      Map<String, String> taskMdc, Optional<TurnContext> unwrapped, Map<String, String> poolMdcAfter) {}

  @Test
  void contextIsBoundInTheTurnItsTasksAndTheMdcAndDoesNotLeak() throws Exception {
    ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();
    Replies replies = new Replies();
    // One shared platform pool thread runs tasks of both turns: a ThreadLocal would leak across them.
    ExecutorService pool = Executors.newSingleThreadExecutor();
    ManualScheduler clock = new ManualScheduler();
    MDC.put("baton.session", "caller's own value");
    try (Baton baton = Baton.builder().scheduler(clock).replies(replies).agent(turn -> {
      Optional<TurnContext> inAgent = BatonContext.current();
      Map<String, String> mdc = mdc();
      Future<Object[]> f = pool.submit(BatonContext.wrap(() -> new Object[] {BatonContext.current(), mdc()}));
      Object[] task = f.get();
      Future<Object[]> g = pool.submit(() -> new Object[] {BatonContext.current(), mdc()});
      Object[] plain = g.get();
      @SuppressWarnings("unchecked")
      Seen s = new Seen(inAgent, mdc, (Optional<TurnContext>) task[0], (Map<String, String>) task[1],
          (Optional<TurnContext>) plain[0], (Map<String, String>) plain[1]);
      seen.put(turn.messages().getFirst().sender(), s);
      turn.reply("ok");
    }).build()) {
      baton.submit(InboundMessage.of("api", "a1", "alice", "x", T0));
      replies.await(1);
      clock.advance(Duration.ofSeconds(1));
      baton.submit(InboundMessage.of("api", "b1", "bob", "y", T0));
      List<Reply> got = replies.await(2);

      for (String user : List.of("alice", "bob")) {
        Seen s = seen.get(user);
        TurnContext ctx = s.inAgent().orElseThrow();
        assertThat(ctx.session().value()).isEqualTo("api:u:" + user);
        assertThat(ctx.user()).isEqualTo(user);
        assertThat(ctx.messageIds()).containsExactly(user.charAt(0) + "1");
        assertThat(ctx.traceId()).hasSize(32);
        assertThat(s.mdc()).containsEntry("baton.session", "api:u:" + user).containsEntry("baton.user", user)
            .containsEntry("baton.messages", user.charAt(0) + "1").containsEntry("baton.trace", ctx.traceId());
        assertThat(s.inTask()).contains(ctx);
        assertThat(s.taskMdc()).isEqualTo(s.mdc());
        // A task not started for the turn sees nothing, and the pool thread kept nothing from earlier tasks.
        assertThat(s.unwrapped()).isEmpty();
        assertThat(s.poolMdcAfter()).isEmpty();
      }
      assertThat(seen.get("alice").inAgent().orElseThrow().traceId())
          .isNotEqualTo(seen.get("bob").inAgent().orElseThrow().traceId());
      assertThat(seen.get("bob").inAgent().orElseThrow().deadline()).isEqualTo(clock.now().plus(Duration.ofMinutes(2)));
      assertThat(got).hasSize(2);
      // The submitting thread is outside any turn and its own MDC is untouched.
      assertThat(BatonContext.current()).isEmpty();
      assertThat(MDC.get("baton.session")).isEqualTo("caller's own value");
    } finally {
      MDC.clear();
      pool.shutdownNow();
    }
  }

  private static Map<String, String> mdc() {
    Map<String, String> m = new java.util.TreeMap<>();
    for (String k : List.of("baton.session", "baton.user", "baton.messages", "baton.trace")) {
      String v = MDC.get(k);
      if (v != null) m.put(k, v);
    }
    return m;
  }
}
