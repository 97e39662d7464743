package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.AskLoopException;
import dev.baton.AskRouting;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.internal.deadlock.WaitForGraph;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The three-agent echo storm through the engine's ask wiring (AskRouting, as docs/tools.md wires it): a's turn
 * asks b, b's turn (answering) asks c, c's asks a, and so on; no ask waits for its answer, so no wait-for edge
 * forms and only loop detection can end it. Real turn threads, a ManualScheduler that moves only when an agent
 * moves it.
 */
class AgentLoopThroughEngineTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Map<String, String> NEXT = Map.of("api:u:a", "b", "api:u:b", "c", "api:u:c", "a");

  private final ManualScheduler clock = new ManualScheduler(T0);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final WaitForGraph graph = new WaitForGraph(DeadlockDetectionConfig.defaults(), clock, meters);
  private final Replies channel = new Replies();
  private final AtomicLong ids = new AtomicLong();
  /** "hops:outcome" of every ask the agents made, in order. */
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private final CompletableFuture<AskLoopException> stopped = new CompletableFuture<>();

  /** Runs the storm from one user message to a; returns the exception that ended it. */
  private AskLoopException storm(ToolsConfig loops, Duration perTurn) throws Exception {
    BatonConfig cfg = new Cfg().build().withTools(loops);
    AskRouting asks = AskRouting.forPeers(cfg.tools().askPeers());
    try (Baton b = Baton.builder().config(cfg).scheduler(clock).replies(channel).asks(asks, graph).meterRegistry(meters)
        .agent(turn -> {
          TurnContext ctx = turn.context();
          if (!perTurn.isZero()) clock.advance(perTurn);
          CompletableFuture<String> sent = asks.send("x" + ids.incrementAndGet(), ctx,
              NEXT.get(ctx.session().value()), "echo");
          if (sent.isCompletedExceptionally() && sent.exceptionNow() instanceof AskLoopException loop) {
            asked.add(ctx.chain().hops() + 1 + ":loop");
            stopped.complete(loop);
          } else {
            asked.add(ctx.chain().hops() + 1 + ":sent");
          }
          turn.reply("ok");
        }).build()) {
      b.submit(InboundMessage.of("api", "go", "a", "start", T0));
      return stopped.get(Replies.WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /** The asks by hop (an asker records after its ask was submitted, so the asked turn may record first). */
  private List<String> inHopOrder() {
    return asked.stream().sorted(java.util.Comparator.comparingInt(s -> Integer.parseInt(s.substring(0, s.indexOf(':')))))
        .toList();
  }

  private static ToolsConfig peers() {
    return new ToolsConfig("unused", 1, Map.of("a", "api:u:a", "b", "api:u:b", "c", "api:u:c"));
  }

  private double counter(String name, String via) {
    return meters.counter(name, "via", via).count();
  }

  @Test
  void aRingSlowerThanTheWindowIsBrokenAtTheDefaultHopLimitWithTheWholeChainReported() throws Exception {
    ToolsConfig loops = peers().withLoops(ToolsConfig.DEFAULT_ASK_MAX_HOPS, 10_000, ToolsConfig.OnLoop.FAIL_NEWEST);
    AskLoopException e = storm(loops, Duration.ofSeconds(6)); // a lap takes 18 s: the 10 s window never sees two
    assertThat(inHopOrder()).containsExactly("1:sent", "2:sent", "3:sent", "4:sent", "5:sent", "6:sent", "7:sent", "8:sent",
        "9:loop");
    assertThat(e.getMessage()).contains("tools.ask_max_hops is 8").endsWith("chain a -> b -> c -> a -> b -> c -> a"
        + " -> b -> c -> a");
    List<DeadlockReport> reports = graph.recentDeadlocks();
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r.via()).isEqualTo(DeadlockReport.VIA_HOP_LIMIT);
      assertThat(r.size()).isEqualTo(9);
      assertThat(r.cycle()).extracting(m -> m.party().replaceAll(" \\(peer .\\)", "")).containsExactly("hop 1 session api:u:a", "hop 2 session api:u:b",
          "hop 3 session api:u:c", "hop 4 session api:u:a", "hop 5 session api:u:b", "hop 6 session api:u:c",
          "hop 7 session api:u:a", "hop 8 session api:u:b", "hop 9 session api:u:c");
      assertThat(r.cycle().getLast().waitsFor()).isEqualTo("ask to api:u:a (peer a)");
    });
    assertThat(counter("baton.loops.broken", DeadlockReport.VIA_HOP_LIMIT)).isEqualTo(1);
    assertThat(counter("baton.loops.broken", DeadlockReport.VIA_REPEAT)).isZero();
  }

  @Test
  void withAHighLimitTheRepeatedCycleIsCaughtAtItsSecondLap() throws Exception {
    ToolsConfig loops = peers().withLoops(100, ToolsConfig.DEFAULT_LOOP_WINDOW_MS, ToolsConfig.OnLoop.FAIL_NEWEST);
    AskLoopException e = storm(loops, Duration.ZERO);
    assertThat(inHopOrder()).containsExactly("1:sent", "2:sent", "3:sent", "4:sent", "5:sent", "6:loop");
    assertThat(e.getMessage()).contains("ran twice");
    assertThat(graph.recentDeadlocks()).singleElement().satisfies(r -> {
      assertThat(r.via()).isEqualTo(DeadlockReport.VIA_REPEAT);
      assertThat(r.size()).isEqualTo(6);
      assertThat(r.policy()).isEqualTo("fail_newest");
    });
    assertThat(counter("baton.loops.broken", DeadlockReport.VIA_REPEAT)).isEqualTo(1);
  }

  @Test
  void reportOnlyLetsTheRepeatsThroughAndTheHopLimitStillEndsTheChain() throws Exception {
    ToolsConfig loops = peers().withLoops(8, ToolsConfig.DEFAULT_LOOP_WINDOW_MS, ToolsConfig.OnLoop.REPORT_ONLY);
    storm(loops, Duration.ZERO);
    assertThat(inHopOrder()).hasSize(9).last().isEqualTo("9:loop");
    assertThat(graph.recentDeadlocks()).extracting(DeadlockReport::via).containsExactly(DeadlockReport.VIA_REPEAT,
        DeadlockReport.VIA_REPEAT, DeadlockReport.VIA_REPEAT, DeadlockReport.VIA_HOP_LIMIT);
    assertThat(meters.counter("baton.loops.reported", "via", DeadlockReport.VIA_REPEAT).count()).isEqualTo(3);
    assertThat(counter("baton.loops.broken", DeadlockReport.VIA_HOP_LIMIT)).isEqualTo(1);
  }
}
