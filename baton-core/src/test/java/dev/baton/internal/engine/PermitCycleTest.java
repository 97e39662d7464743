package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.AskRouting;
import dev.baton.Baton;
import dev.baton.DeadlockException;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitKind;
import dev.baton.internal.deadlock.WaitForGraph;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * P8 through the global permits: max_concurrent_total askers each ask a peer whose turn cannot get a permit,
 * because the askers hold every one. The peers' questions wait (GLOBAL_PERMIT, Need.ANY) for the permit
 * holders, which wait for their asks: a cycle the graph must find and break by on_deadlock. No ask here has a
 * timeout and the ManualScheduler never moves, so only the graph can end it. Real turn threads; the agent's
 * edges are the ones the ask tool (baton-tools AskTool) and its runtime add: turn -> call (OWN_CALLS),
 * call -> ask#id (ASK_REPLY).
 */
class PermitCycleTest {
  private static final long LIMIT_S = 20;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int PERMITS = 2;

  private final ManualScheduler clock = new ManualScheduler();
  private final WaitForGraph graph = new WaitForGraph(DeadlockDetectionConfig.defaults(), clock,
      new SimpleMeterRegistry());
  private final Replies channel = new Replies();
  private final CyclicBarrier allAskersRun = new CyclicBarrier(PERMITS);
  private final AtomicLong calls = new AtomicLong();

  @Test
  void askersHoldingEveryPermitAreADeadlockBrokenByTheGraph() throws Exception {
    List<String> askers = run(PERMITS);
    assertThat(askers).as("one ask was broken as the deadlock's victim, the other answered")
        .containsExactlyInAnyOrder("failed: deadlock", "got answer to q");
    List<DeadlockReport> found = graph.recentDeadlocks();
    assertThat(found).hasSize(1);
    assertThat(found.getFirst().cycle()).anySatisfy(m -> assertThat(m.waitsFor()).startsWith("global_permit"));
    assertThat(clock.nanoTime()).as("no time passed: no timeout ended it").isZero();
  }

  @Test
  void withAPermitToSpareTheSameAsksAreNoDeadlock() throws Exception {
    assertThat(run(PERMITS + 1)).containsExactly("got answer to q", "got answer to q");
    assertThat(graph.recentDeadlocks()).isEmpty();
  }

  /** Two askers (a1 asks b1, a2 asks b2) under max_concurrent_total = permits; the askers' reply texts. */
  private List<String> run(int permits) throws Exception {
    Cfg c = new Cfg();
    c.maxTotal = permits;
    BatonConfig cfg = c.build().withTools(new ToolsConfig("unused", 1,
        Map.of("b1", "api:u:b1", "b2", "api:u:b2")));
    AskRouting asks = AskRouting.forPeers(cfg.tools().askPeers());
    try (Baton b = Baton.builder().config(cfg).scheduler(clock).replies(channel).asks(asks, graph).agent(turn -> {
      String text = turn.messages().getLast().text();
      if (!text.startsWith("ask ")) {
        turn.reply("answer to " + text);
        return;
      }
      try {
        allAskersRun.await(LIMIT_S, TimeUnit.SECONDS); // every permit is held by an asker before anyone asks
        turn.reply(ask(asks, turn.context(), text.substring(4)));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).build()) {
      b.submit(InboundMessage.of("api", "x1", "a1", "ask b1", T0));
      b.submit(InboundMessage.of("api", "x2", "a2", "ask b2", T0));

      return channel.await(2).stream().map(Reply::text).toList(); // answers to questions never reach it
    }
  }

  /** What the ask tool does: its call waits for the question, the turn for its call; DeadlockException fails. */
  private String ask(AskRouting asks, TurnContext ctx, String peer) throws InterruptedException {
    long n = calls.incrementAndGet();
    String askId = "p" + n;
    Party turn = Party.turn(ctx.turnSeq(), "session " + ctx.session());
    Party call = Party.call(n, "session " + ctx.session() + ", tool ask");
    CompletableFuture<String> view = new CompletableFuture<>();
    CompletableFuture<String> sent = asks.send(askId, ctx, peer, "q");
    sent.whenComplete((r, e) -> {
      if (e == null) view.complete(r); else view.completeExceptionally(e);
    });
    WaitForGraph.Wait own = graph.await(turn, WaitKind.OWN_CALLS, "its tool calls", Need.ALL, List.of(call), null);
    WaitForGraph.Wait edge = graph.await(call, WaitKind.ASK_REPLY, "reply from " + peer, Need.ALL,
        List.of(Party.ask(askId, "question to " + peer)), view::completeExceptionally);
    try {
      return "got " + view.get(LIMIT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause() instanceof DeadlockException ? "failed: deadlock" : "failed: " + e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      return "failed: not broken within " + LIMIT_S + " s";
    } finally {
      graph.end(edge);
      graph.end(own);
      if (!sent.isDone()) sent.cancel(true);
    }
  }
}
