package dev.baton.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Agent;
import dev.baton.AskRouting;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.Turn;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.BatonJson;
import dev.baton.spi.Scheduler;
import dev.baton.testing.ManualScheduler;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ask} through the real engine ({@link AskRouting}): the question is a message of the peer's
 * session, the peer's agent answers it in a turn, the answer goes to the asker and never to the channel's
 * ReplyHandler; unknown peers are refused (P1); a timeout drops the late answer (P4); an ask cycle A->B->A is
 * found by the wait-for graph and broken (P8). Turns run on real (virtual) threads; time is a ManualScheduler.
 */
class AskThroughEngineTest {
  private static final long LIMIT_S = 20;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;
  private final ManualScheduler clock = new ManualScheduler();
  private final LinkedBlockingQueue<Reply> channel = new LinkedBlockingQueue<>();
  private final List<Throwable> agentFailures = new CopyOnWriteArrayList<>();
  private final CountDownLatch askTimerArmed = new CountDownLatch(1);
  @SuppressWarnings("NullAway.Init") private WaitGraph graph; // set by start()
  @SuppressWarnings("NullAway.Init") private BatonTools tools;
  @SuppressWarnings("NullAway.Init") private Baton baton;

  /** The agent of every session: "ask <peer> [timeout]" asks; "q:..." is a question; "ping" answers "pong". */
  private interface OnQuestion {
    String answer(Turn turn, String question) throws Exception;
  }

  /** Alice and Bob; {@code barriers}: session -> the barrier its asking turn meets before it asks. */
  /** agent.concurrency.max_concurrent_total of the next start(). */
  private int maxConcurrentTotal = 50;
  /** tools.ask_max_hops of the next start(). */
  private int maxHops = ToolsConfig.DEFAULT_ASK_MAX_HOPS;

  private void start(OnQuestion onQuestion, Map<String, CyclicBarrier> barriers) {
    start(onQuestion, barriers, Map.of("alice", "api:u:alice", "bob", "api:u:bob"));
  }

  private void start(OnQuestion onQuestion, Map<String, CyclicBarrier> barriers, Map<String, String> peers) {
    BatonConfig base = BatonConfig.defaults();
    BatonConfig cfg = base.withTools(new ToolsConfig(dir.toString(), 3_600_000, peers)
        .withLoops(maxHops, ToolsConfig.DEFAULT_LOOP_WINDOW_MS, ToolsConfig.OnLoop.FAIL_NEWEST)).withAgent(base.agent()
        .withConcurrency(new ConcurrencyConfig(1, maxConcurrentTotal, 100, 30_000,
            ConcurrencyConfig.OverflowAction.RETURN_BUSY_MESSAGE, "busy", ConcurrencyConfig.QueueMode.FOLLOWUP, 0)));
    // The ask tool's own timer (timeout_ms = 1000) is announced so a test advances time only once it exists.
    Scheduler spy = new Scheduler() {
      @Override
      public long nanoTime() {
        return clock.nanoTime();
      }

      @Override
      public Instant now() {
        return clock.now();
      }

      @Override
      public Cancellable schedule(Duration d, Runnable task) {
        Cancellable c = clock.schedule(d, task);
        if (d.equals(Duration.ofSeconds(1))) askTimerArmed.countDown();
        return c;
      }
    };
    AskRouting asks = AskRouting.forPeers(cfg.tools().askPeers());
    tools = BatonTools.builder().config(cfg).scheduler(spy).askRouter(asks).build();
    graph = tools.waitForGraph();
    Agent agent = turn -> {
      try {
        String me = turn.context().session().value();
        String text = turn.messages().getLast().text();
        if (text.equals("ping")) {
          turn.reply("pong");
        } else if (text.startsWith("q:")) {
          turn.reply(onQuestion.answer(turn, text));
        } else if (text.startsWith("ask ")) {
          String[] w = text.split(" ");
          String args = "{\"to\":\"" + w[1] + "\",\"question\":\"q:from " + me + "\""
              + (w.length > 2 ? ",\"timeout_ms\":" + w[2] : "") + "}";
          CyclicBarrier beforeAsking = barriers.get(me);
          if (beforeAsking != null) beforeAsking.await(LIMIT_S, TimeUnit.SECONDS);
          ToolResult r = turn.tools().call(ToolCall.of("ask", args));
          turn.reply(r instanceof ToolResult.Ok ok ? "got " + BatonJson.parse(ok.json()).get("reply").asText()
              : "failed " + ((ToolResult.Failed) r).code() + ": " + ((ToolResult.Failed) r).message());
        }
      } catch (Exception | AssertionError e) {
        agentFailures.add(e);
        throw new IllegalStateException(e);
      }
    };
    baton = Baton.builder().config(cfg).scheduler(clock).agent(agent).tools(tools).replies(channel::add)
        .asks(asks, graph).build();
  }

  @AfterEach
  void stop() throws Exception {
    if (baton != null) baton.shutdown(Duration.ZERO);
    if (tools != null) tools.close();
    assertThat(agentFailures).isEmpty();
  }

  private void send(String user, String id, String text) {
    assertThat(baton.submit(InboundMessage.of("api", id, user, text, T0)).getClass().getSimpleName())
        .isEqualTo("Accepted");
  }

  private Reply next() throws InterruptedException {
    Reply r = channel.poll(LIMIT_S, TimeUnit.SECONDS);
    assertThat(r).as("a reply within %ss", LIMIT_S).isNotNull();
    assertThat(r.channel()).isEqualTo("api");
    return r;
  }

  private static void until(String what, BooleanSupplier cond) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_S);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("timed out waiting for: " + what);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @Test
  void aAsksBAndGetsTheAnswerOfBsAgentWhichNeverReachesTheChannel() throws Exception {
    start((turn, q) -> "answer of " + turn.context().session() + " from " + turn.messages().getLast().sender()
        + " to " + q, Map.of());
    send("alice", "m1", "ask bob");
    Reply r = next();
    assertThat(r.session().value()).isEqualTo("api:u:alice");
    assertThat(r.text()).isEqualTo("got answer of api:u:bob from alice to q:from api:u:alice");
    // Bob's turn committed the answer as his reply 1; the channel sees his next reply as 2, nothing else.
    send("bob", "m2", "ping");
    Reply pong = next();
    assertThat(pong.text()).isEqualTo("pong");
    assertThat(pong.outboxSeq()).isEqualTo(2);
    assertThat(channel).isEmpty();
    until("no waits left", () -> graph.waitCount() == 0);
  }

  /** The asked turn's own ask continues the chain: past tools.ask_max_hops the tool says `loop`, nothing sent. */
  @Test
  void anAskPastTheHopLimitIsALoopForTheAskingAgent() throws Exception {
    maxHops = 1;
    start((turn, q) -> {
      if (!turn.context().session().value().equals("api:u:bob")) return "carol never asked";
      ToolResult r = turn.tools().call(ToolCall.of("ask", "{\"to\":\"carol\",\"question\":\"q:deeper\"}"));
      return r instanceof ToolResult.Failed f ? f.code() + ": " + f.message() : "asked carol";
    }, Map.of(), Map.of("alice", "api:u:alice", "bob", "api:u:bob", "carol", "api:u:carol"));
    send("alice", "m1", "ask bob");
    assertThat(next().text()).isEqualTo("got loop: ask refused as an agent loop: the chain has 2 asks and"
        + " tools.ask_max_hops is 1; chain alice -> bob -> carol");
    assertThat(graph.recentDeadlocks()).singleElement().satisfies(d -> assertThat(d.via()).isEqualTo("hop_limit"));
    send("carol", "m2", "ping");
    assertThat(next().outboxSeq()).as("carol got no question").isEqualTo(1);
  }

  @Test
  void unknownPeersAndSelfAreRefusedAndNothingIsDelivered() throws Exception {
    start((turn, q) -> "never", Map.of());
    send("alice", "m1", "ask api:u:bob");
    Reply r = next();
    assertThat(r.text()).startsWith("failed unknown_peer: no peer named 'api:u:bob'")
        .contains("known peers: alice, bob");
    send("alice", "m2", "ask alice");
    assertThat(next().text()).isEqualTo("failed unknown_peer: 'alice' is this conversation");
    send("bob", "m3", "ping");
    Reply pong = next();
    assertThat(pong.outboxSeq()).as("bob got no question").isEqualTo(1);
    assertThat(channel).isEmpty();
  }

  @Test
  void aTimedOutAskDropsTheLateAnswer() throws Exception {
    CountDownLatch bobTookIt = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    start((turn, q) -> {
      bobTookIt.countDown();
      assertThat(release.await(LIMIT_S, TimeUnit.SECONDS)).isTrue();
      return "too late";
    }, Map.of());
    send("alice", "m1", "ask bob 1000");
    assertThat(bobTookIt.await(LIMIT_S, TimeUnit.SECONDS)).isTrue();
    assertThat(askTimerArmed.await(LIMIT_S, TimeUnit.SECONDS)).isTrue();
    clock.advance(Duration.ofSeconds(1));
    Reply r = next();
    assertThat(r.text()).startsWith("failed timeout: no reply from 'bob' within 1000 ms");
    release.countDown();
    send("bob", "m2", "ping");
    Reply pong = next();
    assertThat(pong.text()).isEqualTo("pong");
    assertThat(pong.outboxSeq()).as("the late answer took seq 1 and was dropped").isEqualTo(2);
    assertThat(channel).isEmpty();
    until("no waits left", () -> graph.waitCount() == 0);
  }

  /**
   * P8 through the global permits, with the real ask tool: Alice's turn holds the only permit and asks Bob,
   * whose turn cannot get one. The clock never moves, so only the wait-for graph can end it (the ask's own
   * timeout is a minute away): Alice's ask fails as a deadlock, and Bob still runs afterwards.
   */
  @Test
  void anAskWhileTheAskerHoldsTheOnlyPermitIsABrokenDeadlockNotATimeout() throws Exception {
    maxConcurrentTotal = 1;
    start((turn, q) -> "answer of " + turn.context().session(), Map.of());
    send("alice", "m1", "ask bob 60000");
    Reply r = next();
    assertThat(r.session().value()).isEqualTo("api:u:alice");
    assertThat(r.text()).startsWith("failed deadlock");
    assertThat(graph.recentDeadlocks()).hasSize(1);
    assertThat(graph.recentDeadlocks().getFirst().cycle()).extracting(m -> m.waitsFor())
        .anySatisfy(w -> assertThat(w).startsWith("global_permit"));
    send("bob", "m2", "ping"); // Bob's question ran once the permit was free; its late answer was dropped
    assertThat(next().text()).isEqualTo("pong");
    assertThat(channel).isEmpty();
    until("no waits left", () -> graph.waitCount() == 0);
  }

  @Test
  void anAskCycleIsDetectedAndBrokenOneSideFailsTheOtherIsAnswered() throws Exception {
    CyclicBarrier bothRunning = new CyclicBarrier(2);
    start((turn, q) -> "answer of " + turn.context().session(),
        Map.of("api:u:alice", bothRunning, "api:u:bob", bothRunning));
    send("alice", "m1", "ask bob");
    send("bob", "m2", "ask alice");
    List<Reply> got = new ArrayList<>(List.of(next(), next()));
    got.sort((x, y) -> x.text().compareTo(y.text()));
    assertThat(got.get(0).text()).startsWith("failed deadlock");
    String victim = got.get(0).session().value();
    String other = got.get(1).session().value();
    assertThat(other).isNotEqualTo(victim);
    assertThat(got.get(1).text()).isEqualTo("got answer of " + victim);
    assertThat(graph.recentDeadlocks()).hasSize(1);
    // turn A -> call A -> ask#1 -> turn B -> call B -> ask#2 -> turn A
    dev.baton.deadlock.DeadlockReport d = graph.recentDeadlocks().getFirst();
    assertThat(d.size()).isEqualTo(6);
    assertThat(d.cycle()).extracting(m -> m.party().substring(0, m.party().indexOf('#')))
        .containsExactlyInAnyOrder("turn", "turn", "call", "call", "ask", "ask");
    // The victim's own question still runs in the other session later; its answer is dropped.
    send("alice", "m3", "ping");
    send("bob", "m4", "ping");
    assertThat(List.of(next().text(), next().text())).containsExactly("pong", "pong");
    assertThat(channel).isEmpty();
    until("no waits left", () -> graph.waitCount() == 0);
  }

  @Test
  void manyAskCyclesAtOnceAreAllBrokenAndLeaveNothingBehind() throws Exception {
    int pairs = 8;
    Map<String, String> peers = new java.util.HashMap<>();
    Map<String, CyclicBarrier> barriers = new java.util.HashMap<>();
    for (int i = 0; i < 2 * pairs; i++) peers.put("u" + i, "api:u:u" + i);
    for (int i = 0; i < pairs; i++) {
      CyclicBarrier b = new CyclicBarrier(2);
      barriers.put("api:u:u" + 2 * i, b);
      barriers.put("api:u:u" + (2 * i + 1), b);
    }
    start((turn, q) -> "answer of " + turn.context().session(), barriers, peers);
    for (int i = 0; i < pairs; i++) { // pair i: u(2i) asks u(2i+1) while u(2i+1) asks u(2i)
      send("u" + 2 * i, "m" + i + "a", "ask u" + (2 * i + 1));
      send("u" + (2 * i + 1), "m" + i + "b", "ask u" + 2 * i);
    }
    Map<String, String> bySession = new java.util.HashMap<>();
    for (int i = 0; i < 2 * pairs; i++) {
      Reply r = next();
      assertThat(bySession.put(r.session().value(), r.text())).isNull();
    }
    for (int i = 0; i < pairs; i++) {
      String a = bySession.getOrDefault("api:u:u" + 2 * i, "");
      String b = bySession.getOrDefault("api:u:u" + (2 * i + 1), "");
      boolean aLost = a.startsWith("failed deadlock");
      assertThat(aLost ? b : a).as("pair %s: the survivor gets its answer", i)
          .isEqualTo("got answer of api:u:u" + (aLost ? 2 * i : 2 * i + 1));
      assertThat(aLost ? a : b).as("pair %s: the victim", i).startsWith("failed deadlock");
    }
    assertThat(graph.recentDeadlocks()).hasSize(pairs);
    for (int i = 0; i < 2 * pairs; i++) send("u" + i, "p" + i, "ping");
    for (int i = 0; i < 2 * pairs; i++) assertThat(next().text()).isEqualTo("pong");
    assertThat(channel).isEmpty();
    until("no waits left", () -> graph.waitCount() == 0);
  }
}
