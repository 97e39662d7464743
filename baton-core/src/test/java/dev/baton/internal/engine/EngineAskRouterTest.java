package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.AskRouting;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.internal.deadlock.WaitForGraph;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.Store;
import dev.baton.spi.StoreException;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The router's side of the graph (P8): a queued question waits for the peer's running turn (slot, ANY), a
 * taken question for the turn that answers it, and nothing is left once it is answered or cancelled. Also: a
 * failing peer turn fails the ask, and the answer never reaches the channel. Real turn threads, ManualScheduler.
 */
class EngineAskRouterTest {
  private static final long LIMIT_S = 20;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final ManualScheduler clock = new ManualScheduler();
  private final WaitForGraph graph = new WaitForGraph(DeadlockDetectionConfig.defaults(), clock,
      new SimpleMeterRegistry());
  private final Replies channel = new Replies();
  private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
  private final Map<String, Long> turnOf = new ConcurrentHashMap<>();
  private final CountDownLatch[] entered = {new CountDownLatch(1), new CountDownLatch(1)};

  private Baton start(AskRouting asks) {
    BatonConfig cfg = BatonConfig.defaults().withTools(new ToolsConfig("unused", 1, Map.of("bob", "api:u:bob")));
    Baton b = Baton.builder().config(cfg).scheduler(clock).replies(channel).agent(turn -> {
      String text = turn.messages().getLast().text();
      turnOf.put(text, turn.context().turnSeq());
      if (text.equals("fail")) throw new IllegalStateException("boom");
      CountDownLatch gate = gates.get(text);
      if (gate != null) {
        entered[text.equals("work") ? 0 : 1].countDown();
        assertThat(gate.await(LIMIT_S, TimeUnit.SECONDS)).isTrue();
      }
      turn.reply("bob says: " + text);
    }).asks(asks, graph).build();
    return b;
  }

  private static TurnContext alice() {
    return new TurnContext(new SessionKey("api:u:alice"), "alice", List.of("m"), "trace", 9_999, T0.plusSeconds(60));
  }

  private List<DeadlockReport.Member> waits() {
    return graph.snapshot().waits();
  }

  @Test
  void anEngineWhoseStartFailedGivesItsAskRoutingBack() throws Exception {
    AskRouting asks = AskRouting.forPeers(Map.of("bob", "api:u:bob"));
    MemoryStore inner = new MemoryStore();
    Store down = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
        (proxy, method, args) -> {
          if (method.getName().equals("undeliveredRepliesPage")) throw new StoreException("the database is down");
          try {
            return method.invoke(inner, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    BatonConfig cfg = BatonConfig.defaults().withTools(new ToolsConfig("unused", 1, Map.of("bob", "api:u:bob")));
    assertThatThrownBy(() -> Baton.builder().config(cfg).scheduler(clock).store(down).agent(turn -> { })
        .asks(asks, graph).build()).isInstanceOf(StoreException.class);
    try (Baton b = start(asks)) { // the same routing, bound to the engine that did start
      assertThat(asks.send("q0", alice(), "bob", "hello").get(LIMIT_S, TimeUnit.SECONDS)).isEqualTo("bob says: hello");
    }
  }

  @Test
  void aQuestionWaitsForTheSlotThenForItsTurnAndLeavesNoWait() throws Exception {
    AskRouting asks = AskRouting.forPeers(Map.of("bob", "api:u:bob"));
    gates.put("work", new CountDownLatch(1));
    gates.put("q", new CountDownLatch(1));
    try (Baton b = start(asks)) {
      b.submit(InboundMessage.of("api", "w1", "bob", "work", T0));
      assertThat(entered[0].await(LIMIT_S, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<String> answer = asks.send("q1", alice(), "bob", "q");
      DeadlockReport.Member queued = waits().getFirst();
      assertThat(queued.party()).startsWith("ask#q1");
      assertThat(queued.waitsFor()).isEqualTo("session_slot slot of api:u:bob");
      assertThat(queued.blockedBy()).containsExactly("turn#" + turnOf.get("work"));

      gates.get("work").countDown(); // bob's turn ends; the question's turn starts
      assertThat(entered[1].await(LIMIT_S, TimeUnit.SECONDS)).isTrue();
      until("the question waits for its turn", () -> !waits().isEmpty()
          && waits().getFirst().waitsFor().startsWith("ask_reply"));
      assertThat(waits().getFirst().blockedBy()).containsExactly("turn#" + turnOf.get("q"));

      gates.get("q").countDown();
      assertThat(answer.get(LIMIT_S, TimeUnit.SECONDS)).isEqualTo("bob says: q");
      until("no wait left", () -> graph.waitCount() == 0);
      // Only bob's own "work" reply reached the channel.
      assertThat(channel.await(1)).extracting(r -> r.text()).containsExactly("bob says: work");
    }
  }

  @Test
  void aCancelledQuestionLeavesNoWaitAndAFailingPeerFailsTheAsk() throws Exception {
    AskRouting asks = AskRouting.forPeers(Map.of("bob", "api:u:bob"));
    gates.put("work", new CountDownLatch(1));
    try (Baton b = start(asks)) {
      b.submit(InboundMessage.of("api", "w1", "bob", "work", T0));
      assertThat(entered[0].await(LIMIT_S, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<String> dropped = asks.send("q1", alice(), "bob", "dropped");
      assertThat(graph.waitCount()).isEqualTo(1);
      dropped.cancel(true);
      assertThat(graph.waitCount()).isZero();

      CompletableFuture<String> failing = asks.send("q2", alice(), "bob", "fail");
      gates.get("work").countDown();
      try {
        failing.get(LIMIT_S, TimeUnit.SECONDS);
        throw new AssertionError("a failing peer turn must fail the ask");
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith("'bob' could not answer");
      }
      assertThat(dropped).isCancelled();
      until("no wait left", () -> graph.waitCount() == 0);
      b.submit(InboundMessage.of("api", "w2", "bob", "last", T0));
      // The channel gets bob's two own replies; the dropped answer and the error went to the router.
      assertThat(channel.await(2)).extracting(r -> r.text()).containsExactly("bob says: work", "bob says: last");
    }
  }

  @Test
  void beforeTheEngineIsBuiltEveryAskFailsAndUnknownPeersAreRefused() {
    AskRouting asks = AskRouting.forPeers(Map.of("bob", "api:u:bob"));
    assertThat(asks.send("q1", alice(), "bob", "x")).isCompletedExceptionally();
    try (Baton b = start(asks)) {
      CompletableFuture<String> f = asks.send("q2", alice(), "api:u:bob", "x");
      assertThat(f).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
          .havingCause().isInstanceOf(IllegalArgumentException.class)
          .withMessage("no peer named 'api:u:bob'; known peers: bob");
      assertThat(graph.waitCount()).isZero();
    }
  }

  @Test
  void oneRoutingServesOneEngine() {
    AskRouting asks = AskRouting.forPeers(Map.of("bob", "api:u:bob"));
    try (Baton b = start(asks)) {
      assertThat(asks.peerNames()).containsExactly("bob");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> start(asks))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("already bound");
    }
  }

  private static void until(String what, BooleanSupplier cond) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_S);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("timed out waiting for: " + what);
      Thread.onSpinWait();
      Thread.yield();
    }
  }
}
