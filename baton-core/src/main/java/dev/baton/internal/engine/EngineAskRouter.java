package dev.baton.internal.engine;

import dev.baton.Admission;
import dev.baton.AskChain;
import dev.baton.AskLoopException;
import dev.baton.DeadlockException;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.tool.AskRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.time.Instant;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The engine's side of the `ask` tool (P8, AskRouter). send() turns a question into an internal message
 *   of channel `ask` (message id = router instance + askId, sender = the asking session's user) and submits
 *   it straight into the target session, which is looked up by PEER NAME in tools.ask_peers (P1: agent code
 *   never names a session key). From there it is a message like any other: dedup, journal, reorder,
 *   admission, mailbox, turn. The reply the target's turn commits for it (channel `ask`, inReplyTo = its
 *   message id) is intercepted by Engine.deliver, marked delivered and completes the asker's future; it never
 *   reaches the channel ReplyHandler. The wait-for-graph edges of each question live in AskPeer.
 *
 * Concurrency
 *   send() never blocks on a turn (it submits and returns the future). Per-session bookkeeping is guarded by
 *   that session's AskPeer monitor (no global lock on the turn path); `questions` is a ConcurrentHashMap.
 *   Lock order: AskPeer monitor -> the graph's lock (a leaf); a thread never holds two AskPeer monitors:
 *   a victim callback that fires under one (graph detection on await/update) only records the completion,
 *   which runs once the thread has left the monitor (DEFERRED, a per-thread list live only inside
 *   withPeer).
 *
 * Failure
 *   Unknown peer, self-ask, engine not built yet -> the future fails with IllegalArgumentException /
 *   IllegalStateException at once (nothing submitted). A question the target refuses (busy, rejected, engine
 *   closed) fails the future with the reason. A cancelled future (timeout, deadlock victim, cancelled turn)
 *   forgets the question: if it still runs, its answer is dropped.
 */
/**
 * Delivers {@code ask} questions through the engine; the implementation behind {@code dev.baton.AskRouting}.
 * Built before the tool runtime (which needs an {@link AskRouter}); the engine binds it once, when it is
 * built ({@code Baton.Builder.asks}). Thread-safe.
 */
public final class EngineAskRouter implements AskRouter, AskListener {

  /** The channel of questions and of their answers. */
  public static final String CHANNEL = "ask";
  /** Routing of a question: its chain's id, sessions ({@code \n}-separated) and hop send times (epoch ms). */
  static final String ROUTE_CHAIN = "ask.chain";
  static final String ROUTE_PATH = "ask.path";
  static final String ROUTE_SENT = "ask.sent";

  private final Map<String, SessionKey> peers;
  /** Peer name by session, for loop messages to agents (which know peer names, not session keys). */
  private final Map<SessionKey, String> names;
  private volatile @Nullable WaitGraph graph;
  private final String instance = UUID.randomUUID().toString().substring(0, 8);
  private final ConcurrentHashMap<SessionKey, AskPeer> sessions = new ConcurrentHashMap<>();
  /** The running turns, each holding a global permit: from its start until its permit is given back. */
  private final ConcurrentHashMap<Long, Party> holders = new ConcurrentHashMap<>();
  /** Sessions that may have a question waiting for a global permit (added and removed under their AskPeer). */
  private final java.util.Set<SessionKey> permitWaiters = ConcurrentHashMap.newKeySet();
  final ConcurrentHashMap<String, AskPeer.Question> questions = new ConcurrentHashMap<>();
  private volatile @Nullable Engine engine;
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EngineAskRouter.class);
  /** Completions deferred by victim callbacks until the thread leaves its AskPeer monitor. */
  private static final ThreadLocal<List<Runnable>> DEFERRED = new ThreadLocal<>();

  /** @param peers peer name -> target session key ({@code tools.ask_peers}) */
  public EngineAskRouter(Map<String, String> peers) {
    Map<String, SessionKey> m = new java.util.HashMap<>();
    peers.forEach((name, key) -> m.put(name, new SessionKey(key)));
    this.peers = Map.copyOf(m);
    Map<SessionKey, String> n = new java.util.HashMap<>();
    new TreeSet<>(peers.keySet()).forEach(name -> n.putIfAbsent(this.peers.get(name), name));
    this.names = Map.copyOf(n);
  }

  /** How an engine is wired to a router: the router and the wait-for graph its questions' edges go to. */
  public record Wiring(EngineAskRouter router, WaitGraph graph) {
    public Wiring {
      Objects.requireNonNull(router, "router");
      Objects.requireNonNull(graph, "graph");
    }
  }

  /**
   * Connects this router to the engine being built: its turns report to it and its {@code ask} replies come
   * here. Until then every ask fails with "not connected".
   *
   * @throws IllegalStateException if this router is already bound to an engine
   */
  synchronized AskListener bind(Engine e, WaitGraph graph) {
    if (engine != null) throw new IllegalStateException("ask router already bound to an engine");
    this.graph = graph;
    engine = e;
    return this;
  }

  /** An engine whose start failed gives the router back, so the application can build a new one with it. */
  synchronized void unbind(Engine e) {
    if (engine != e) return;
    engine = null;
    graph = null;
  }

  /** The peer names agents may ask. */
  public java.util.Set<String> peerNames() {
    return peers.keySet();
  }

  @Override
  public CompletableFuture<String> send(String askId, TurnContext from, String target, String question) {
    Engine e = engine;
    if (e == null) return CompletableFuture.failedFuture(new IllegalStateException("ask is not connected yet"));
    SessionKey to = peers.get(target);
    if (to == null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no peer named '" + target + "'"
          + (peers.isEmpty() ? "; no peers are configured (tools.ask_peers)" : "; known peers: "
          + String.join(", ", new TreeSet<>(peers.keySet())))));
    }
    if (to.equals(from.session())) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("'" + target + "' is this conversation"));
    }
    AskChain chain = from.chain().then(instance + "-" + askId, from.session(), to, e.scheduler.now());
    ToolsConfig tc = e.config.tools();
    Optional<AskLoops.Found> loop = AskLoops.check(chain, tc.askMaxHops(), tc.loopWindowMs());
    if (loop.isPresent()) {
      AskLoops.Found f = loop.get();
      boolean fail = f.via().equals(DeadlockReport.VIA_HOP_LIMIT) || tc.onLoop() == ToolsConfig.OnLoop.FAIL_NEWEST;
      String policy = f.via().equals(DeadlockReport.VIA_HOP_LIMIT) ? "ask_max_hops"
          : tc.onLoop().name().toLowerCase(java.util.Locale.ROOT);
      Objects.requireNonNull(graph).reportLoop(AskLoops.report(chain, f, askId, policy, names), fail);
      if (fail) return CompletableFuture.failedFuture(new AskLoopException(AskLoops.describeForAgent(chain, f, names)));
    }
    String messageId = instance + "-" + askId;
    AskPeer.Question q = new AskPeer.Question(askId, messageId, from.session(), target, to);
    questions.put(messageId, q);
    q.reply.whenComplete((r, t) -> forget(q));
    withPeer(to, p -> p.queue(q));
    if (q.reply.isDone()) return q.reply; // broken as a deadlock victim at once
    InboundMessage m = new InboundMessage(CHANNEL, messageId, from.user(), from.session().value(),
        OrderKey.none(), question, e.scheduler.now(), routing(askId, from.session(), chain));
    switch (e.submitTo(m, to)) {
      case Admission.Accepted a -> { }
      case Admission.Duplicate d -> q.reply.completeExceptionally(new IllegalStateException("duplicate question"));
      case Admission.Busy b -> q.reply.completeExceptionally(new IllegalStateException("'" + target + "' is busy"));
      case Admission.Rejected r ->
          q.reply.completeExceptionally(new IllegalStateException("'" + target + "' refused: " + r.reason()));
    }
    return q.reply;
  }

  private static Map<String, String> routing(String askId, SessionKey from, AskChain chain) {
    StringBuilder path = new StringBuilder();
    StringBuilder sent = new StringBuilder();
    for (SessionKey k : chain.path()) path.append(path.isEmpty() ? "" : "\n").append(k.value());
    for (Instant t : chain.sentAt()) sent.append(sent.isEmpty() ? "" : ",").append(t.toEpochMilli());
    return Map.of("ask.id", askId, "ask.from", from.value(), ROUTE_CHAIN, chain.id(), ROUTE_PATH, path.toString(),
        ROUTE_SENT, sent.toString());
  }

  /**
   * The chain a turn of these messages continues: of its questions (channel {@code ask}), the one with the
   * most hops (a batch of several questions cannot shorten a chain); none for users' messages. Only the engine
   * writes channel {@code ask}, so the routing is its own; a question without a readable chain (journaled by
   * an older version) starts none.
   */
  static AskChain chainOf(List<QueuedMessage> batch) {
    AskChain best = AskChain.none();
    for (QueuedMessage p : batch) {
      InboundMessage m = p.entry.message();
      if (!m.channel().equals(CHANNEL)) continue;
      AskChain c = parse(m.routing());
      if (c.hops() > best.hops()) best = c;
    }
    return best;
  }

  private static AskChain parse(Map<String, String> r) {
    String id = r.get(ROUTE_CHAIN);
    String path = r.get(ROUTE_PATH);
    String sent = r.get(ROUTE_SENT);
    if (id == null || path == null || sent == null || path.isEmpty()) return AskChain.none();
    try {
      List<SessionKey> keys = new ArrayList<>();
      for (String k : path.split("\n", -1)) keys.add(new SessionKey(k));
      List<Instant> times = new ArrayList<>();
      for (String t : sent.split(",", -1)) times.add(Instant.ofEpochMilli(Long.parseLong(t)));
      return new AskChain(id, keys, times);
    } catch (RuntimeException bad) {
      return AskChain.none();
    }
  }

  /** Called on the turn's thread before the agent runs. Never throws. */
  @Override
  public void turnStarted(TurnContext ctx) {
    try {
      holders.put(ctx.turnSeq(), Party.turn(ctx.turnSeq(), "session " + ctx.session()));
      withPeer(ctx.session(), p -> p.turnStarted(ctx));
      // A new permit holder: the questions that wait for a permit wait for it too (or no longer wait, if it is
      // their own session's turn, which took them).
      for (SessionKey k : permitWaiters) {
        if (k.equals(ctx.session())) continue;
        withPeer(k, p -> {
          p.updateQueued();
          if (!p.waitsForPermit()) permitWaiters.remove(k);
        });
      }
    } catch (RuntimeException ex) { // never let bookkeeping break a turn; the asker's timeout still bounds it
      log.error("session {}: ask bookkeeping failed at the start of turn {}", ctx.session(), ctx.turnSeq(), ex);
    }
  }

  /** On the turn's thread after its commit (its replies were delivered), before its slot frees. Never throws. */
  @Override
  public void turnEnded(TurnContext ctx) {
    try {
      withPeer(ctx.session(), p -> p.turnEnded(ctx.turnSeq()));
    } catch (RuntimeException ex) {
      log.error("session {}: ask bookkeeping failed at the end of turn {}", ctx.session(), ctx.turnSeq(), ex);
    }
  }

  /** After the turn gave its permit back (handed it on): it holds none now. Never throws. */
  @Override
  public void permitReturned(TurnContext ctx) {
    holders.remove(ctx.turnSeq());
  }

  /**
   * The turns a turn that is to start now waits for: every permit holder when the listed holders fill the
   * node's max_concurrent_total and the node cannot get more permits (its capacity is that maximum), else
   * none. Saturation is read from the same set that names the blockers, never from the dispatcher's free
   * count: a turn that has its permit but has not reached turnStarted yet is not listed, so the set is below
   * the maximum and no edge is drawn (a cycle is seen at the next turn start instead of an invented one with
   * a holder missing). A listed turn that already gave its permit back waits for nothing, so it can complete
   * no cycle either.
   */
  private List<Party> permitHolders() {
    Engine e = engine;
    if (e == null) return List.of();
    int max = e.concurrency.maxConcurrentTotal();
    if (e.dispatcher.capacity() < max) return List.of();
    List<Party> listed = List.copyOf(holders.values());
    return listed.size() >= max ? listed : List.of();
  }

  /** A reply of channel {@code ask}: the answer to a question (or a late one, dropped). On the commit lane. */
  @Override
  public void answered(Reply r) {
    AskPeer.Question q = questions.get(r.inReplyTo());
    if (q != null && q.target.equals(r.session())) {
      if (r.kind() == Reply.Kind.REPLY) {
        q.reply.complete(r.text());
      } else {
        q.reply.completeExceptionally(new IllegalStateException("'" + q.peer + "' could not answer: " + r.text()));
      }
    }
  }

  private void forget(AskPeer.Question q) {
    questions.remove(q.messageId, q);
    withPeer(q.target, p -> p.forget(q));
  }

  /** Runs {@code action} under the session's AskPeer monitor; retires the AskPeer once it holds nothing. */
  private void withPeer(SessionKey key, java.util.function.Consumer<AskPeer> action) {
    List<Runnable> outer = DEFERRED.get();
    List<Runnable> later = outer == null ? new ArrayList<>() : outer;
    if (outer == null) DEFERRED.set(later);
    try {
      while (true) {
        AskPeer p = sessions.computeIfAbsent(key, k -> new AskPeer(k, Objects.requireNonNull(graph), this::victim,
            this::permitHolders, permitWaiters::add));
        synchronized (p) {
          if (p.retired) continue;
          p.depth++;
          try {
            action.accept(p);
          } finally {
            p.depth--;
          }
          if (p.depth == 0 && p.idle()) {
            p.retired = true;
            sessions.remove(key, p);
          }
          return;
        }
      }
    } finally {
      if (outer == null) {
        DEFERRED.remove();
        for (Runnable r : later) r.run(); // outside every AskPeer monitor: completions may re-enter one
      }
    }
  }

  /** The graph chose a question as a deadlock victim: fail its ask (deferred while under a monitor). */
  private void victim(AskPeer.Question q, DeadlockException d) {
    List<Runnable> later = DEFERRED.get();
    if (later != null) later.add(() -> q.reply.completeExceptionally(d));
    else q.reply.completeExceptionally(d); // the graph's sweep thread
  }
}
