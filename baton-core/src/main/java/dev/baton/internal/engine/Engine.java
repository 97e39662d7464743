package dev.baton.internal.engine;

import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.DedupKey;
import dev.baton.EngineSnapshot;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.spi.AgentEnvironment;
import dev.baton.spi.AgentProvider;
import dev.baton.spi.FencedException;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.spi.StoreProvider;
import dev.baton.spi.TurnCommit;
import dev.baton.spi.tool.ToolRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview
 *   The engine (DESIGN §1 steps 2-6 and 8; docs/architecture.md has the picture). submit(): session key from
 *   the authenticated sender (step 2), dedup key, store.ingest = dedup + journal in one step (step 3), then
 *   the session's ownership decides where it is admitted (SessionOwnership: this node always, or under the
 *   session's lease in a cluster), the sender's rate is taken (FlowControl, agent.rate_limits) and its actor
 *   takes it (SessionActor: reorder buffer, mailbox, admission;
 *   steps 4-5); what the actor does not queue is the OverflowPolicy's. Turns are handed global permits by
 *   the FairDispatcher and run as TurnRuns on virtual threads (step 6); their commits and replies go
 *   through the session's CommitLane to the ReplyHandler in outboxSeq order (step 8). docs/concurrency.md
 *   has the lock order.
 *
 *   Above ~300 lines on purpose: it is the composition root (settings, store, agent, ownership, dispatcher,
 *   ask listener) and the one admission path (submit -> admit -> refusal), which reads best in one place;
 *   recovery, overflow, ownership, the lane and the turn are classes of their own.
 *
 * Concurrency
 *   submit() is thread-safe and never waits for a turn. Sessions live in a ConcurrentHashMap<SessionKey,
 *   SessionActor> only while they have work; there is no global lock on the path of a message (the map's
 *   per-bin locks, the actor's own monitor, the dispatcher's lock-free ticket line and counters). `closed`
 *   is volatile. Every collaborator is final and fixed at construction (no hooks set later).
 *
 * Failure
 *   Start: unknown agent type or backend -> IllegalStateException naming what is available. Recovery
 *   (Recovery, P11) runs before start() returns. shutdown(): intake stops (Rejected "engine closed"),
 *   running turns may finish until the deadline, the rest are cancelled without commit and stay journaled.
 *   Past a P11 bound (Bounds) a fresh message is Busy, nothing stored.
 */
/** The engine behind {@link Baton}. */
public final class Engine implements Baton {

  static final String EXPIRED_TEXT = "Sorry, your message waited too long and was not answered. Please send it again.";
  static final String DEDUP_FULL_TEXT = "Too many messages are waiting to be remembered right now. Please try again later.";
  static final String LATE_TEXT = "This message arrived after later ones were already answered and was skipped.";

  final Logger log = LoggerFactory.getLogger(Engine.class);
  final BatonConfig config;
  final ConcurrencyConfig concurrency;
  final Scheduler scheduler;
  final Store store;
  final Agent agent;
  final ToolRuntime tools;
  /** Null: the builder's discardReplies (the engine marks each reply delivered itself). */
  final @Nullable ReplyHandler replies;
  /** agent.stop_commands, as a set. */
  private final java.util.Set<String> stopCommands;
  final EngineMetrics metrics;
  /** P11: max_queued_total and sessions.max_live_per_user (the per-session cap is the actor's). */
  final Bounds bounds;
  final FairDispatcher dispatcher;
  /** sessions.classes: which class a new session is, and the weights the dispatcher serves them by. */
  final SessionClasses classes;
  /** agent.rate_limits: the per-user token buckets and daily token budgets (a limit that is off answers yes). */
  final FlowControl flow;
  /** What becomes of a message its session did not queue: the one place overflow_action is read. */
  final OverflowPolicy overflow;
  final ConcurrentHashMap<SessionKey, SessionActor> actors = new ConcurrentHashMap<>();
  final AtomicLong turnSeqs = new AtomicLong();
  final long queueTimeoutNanos;
  private final boolean ownsStore;
  /** The drain's outcome at shutdown: true (every turn ended) or false (the deadline); the first one wins. */
  private final AtomicReference<@Nullable Boolean> drainOutcome = new AtomicReference<>();
  private final CountDownLatch drained = new CountDownLatch(1);
  volatile boolean closed;
  /** Who runs which session: this node alone, or a cluster node under session leases (SessionOwnership). */
  final SessionOwnership ownership;
  /** The ask channel (fixed at build time): told of every turn, and given the answers to questions. */
  final AskListener asks;
  /** OpenTelemetry spans of the message path (docs/tracing.md); off unless the builder was given one. */
  final EngineTracing tracing;
  /** Told of each turn's start and end (the console's timeline); null (one check per turn) without one. */
  final dev.baton.spi.@Nullable TimelineObserver observer;

  private Engine(EngineSettings s, EngineTracing tracing, dev.baton.spi.@Nullable TimelineObserver observer) {
    this.tracing = tracing;
    this.observer = observer;
    this.config = s.config();
    this.concurrency = config.agent().concurrency();
    this.scheduler = s.scheduler();
    this.tools = s.tools();
    this.replies = s.replies().orElse(null);
    this.stopCommands = java.util.Set.copyOf(s.config().agent().stopCommands());
    this.bounds = new Bounds(concurrency.maxQueuedTotal(), config.sessions().maxLivePerUser(), s.meters());
    this.metrics = new EngineMetrics(s.meters(), bounds.queued);
    this.flow = new FlowControl(config.agent().rateLimits(), scheduler, s.meters());
    this.queueTimeoutNanos = concurrency.queueTimeoutMs() * 1_000_000L;
    this.ownsStore = s.store().isEmpty();
    this.store = s.store().orElseGet(() -> openStore(config, scheduler));
    try {
      // After the store: a cluster node's agent shares the provider's limit through it (ProviderQuota).
      this.agent = s.agent().orElseGet(() -> loadAgent(config, new AgentEnvironment(scheduler, s.meters(),
          s.asks().map(w -> w.graph()),
          config.cluster().enabled() ? store.providerQuota() : Optional.empty())));
      this.ownership = config.cluster().enabled() ? leased(s) : new LocalOwnership();
      this.classes = new SessionClasses(config.sessions());
      this.dispatcher = new FairDispatcher(ownership.startingPermits(concurrency.maxConcurrentTotal()),
          classes.weights(), this::startTurn, scheduler, ownership::starved);
      metrics.classes(s.meters(), classes.names(), dispatcher::waiting);
      metrics.limit(s.meters(), dispatcher::capacity);
      this.overflow = new OverflowPolicy(this);
      this.asks = s.asks().map(w -> w.router().bind(this, w.graph())).orElse(AskListener.NONE);
    } catch (RuntimeException e) { // no leases for cluster mode, a router bound elsewhere: the store we opened
      if (ownsStore) store.close();
      throw e;
    }
  }

  private LeasedOwnership leased(EngineSettings s) {
    SessionLeases leases = store.leases().orElseThrow(() -> new IllegalStateException(
        "cluster.enabled needs a store with session leases (postgres or sqlite); " + store + " has none"));
    return new LeasedOwnership(this, config.cluster(), leases, store.clusterPermits(),
        Duration.ofMillis(config.storage().leaseTtlMs()), s.meters());
  }

  /**
   * Builds the engine and starts it: a single node recovers unfinished work from the store first, a cluster
   * node takes over what no live node owns in its first poll.
   */
  public static Baton start(EngineSettings settings) {
    return start(settings, io.opentelemetry.api.OpenTelemetry.noop());
  }

  /** {@link #start(EngineSettings)} tracing with {@code otel} (docs/tracing.md). */
  public static Baton start(EngineSettings settings, io.opentelemetry.api.OpenTelemetry otel) {
    return start(settings, otel, null);
  }

  /** {@link #start(EngineSettings, io.opentelemetry.api.OpenTelemetry)} telling {@code observer} of each turn. */
  public static Baton start(EngineSettings settings, io.opentelemetry.api.OpenTelemetry otel,
      dev.baton.spi.@Nullable TimelineObserver observer) {
    Engine e = new Engine(settings, new EngineTracing(otel), observer);
    try {
      e.ownership.start(e::recover);
    } catch (RuntimeException ex) {
      // Nothing ran yet: give back what the half-built engine took (its ask router, the store it opened).
      settings.asks().ifPresent(w -> w.router().unbind(e));
      if (e.ownsStore) e.store.close();
      throw ex;
    }
    return e;
  }

  private static Agent loadAgent(BatonConfig config, AgentEnvironment env) {
    List<String> known = new ArrayList<>();
    for (AgentProvider p : ServiceLoader.load(AgentProvider.class)) {
      if (p.type().equals(config.agent().type())) return p.create(config, env);
      known.add(p.type());
    }
    throw new IllegalStateException("no agent of type '" + config.agent().type() + "' is available (known: "
        + String.join(", ", known) + ")");
  }

  private static Store openStore(BatonConfig config, Scheduler scheduler) {
    List<String> known = new ArrayList<>();
    for (StoreProvider p : ServiceLoader.load(StoreProvider.class)) {
      if (p.backend() == config.storage().backend()) return p.open(config, scheduler);
      known.add(p.backend().name().toLowerCase(java.util.Locale.ROOT));
    }
    throw new IllegalStateException("storage backend '" + config.storage().backend().name().toLowerCase(
        java.util.Locale.ROOT) + "' is not available (known: " + String.join(", ", known)
        + "); is baton-jdbc on the class path?");
  }

  /** Rows recovery holds at once (P11): one page of the outbox, then of the journal, plus one session's work. */
  static final int RECOVERY_PAGE = Recovery.PAGE;

  /** A single node's start: re-offers undelivered replies, re-queues unfinished messages (Recovery). */
  private void recover() {
    new Recovery(this).run();
  }

  /** Admits a message found unfinished at start (admitted and released in order before). */
  void admitRecovered(QueuedMessage m) {
    admit(m, SessionActor.Source.RECOVERED);
  }

  // ------------------------------------------------------------------ submit

  @Override
  public Admission submit(InboundMessage message) {
    return submitTo(message, SessionKey.derive(message, config.sessions().idSource()));
  }

  @Override
  public Cancelled cancel(SessionKey session, boolean dropQueued) {
    SessionActor a = actors.get(session);
    return a == null ? new Cancelled(0, 0) : a.cancel(dropQueued);
  }

  /** Whether {@code p} is a stop command (P10): it cancels its session's turn and starts none itself. */
  boolean isStop(QueuedMessage p) {
    var m = p.entry.message();
    if (stopCommands.isEmpty() || m.channel().equals(EngineAskRouter.CHANNEL)) return false;
    String t = m.text().strip();
    int at = t.indexOf('@'); // Telegram groups send a tapped command as "/stop@YourBot"
    if (t.startsWith("/") && at > 1 && t.chars().noneMatch(Character::isWhitespace)) t = t.substring(0, at);
    return stopCommands.contains(t);
  }

  /** A lane task completing messages without a turn or a reply: stop commands, or queued ones a cancel drops. */
  Runnable completeTask(SessionActor a, List<QueuedMessage> done, MessageStatus status) {
    List<DedupKey> keys = new ArrayList<>(done.size());
    for (QueuedMessage p : done) keys.add(p.key());
    return () -> commitAndDeliver(a, finish(a, keys, status, List.of()));
  }

  /** Hands a live event (P10) to the reply handler; not for answers to asks (they are no user's). */
  void live(dev.baton.LiveEvent event) {
    ReplyHandler h = replies;
    if (h == null || event.channel().equals(EngineAskRouter.CHANNEL)) return;
    try {
      h.onLive(event);
    } catch (RuntimeException e) {
      log.error("session {}: reply handler failed for a live event", event.session(), e);
    }
  }

  /** submit() into a session the engine chose itself (an ask question: the target is a configured peer). */
  Admission submitTo(InboundMessage message, SessionKey session) {
    DedupKey key = DedupKey.of(message, config.dedup().fingerprintBucketMs());
    if (closed) return new Admission.Rejected(key, "engine closed");
    // P11, a cheap early look: a message the bounds would refuse costs no journal insert and release.
    if (bounds.queuedFull()) return refused(key, bounds.refusedQueuedTotal, Bounds.QUEUED_TOTAL_TEXT);
    if (!actors.containsKey(session) && bounds.sessionsFull(Bounds.Owner.of(message))) {
      return refused(key, bounds.refusedSessions, Bounds.SESSIONS_TEXT);
    }
    JournalEntry entry = new JournalEntry(key, session, message, scheduler.now());
    // Tracing off: the plain call, not even the lambda is made.
    switch (tracing.on ? tracing.journalInsert(message.channel(), () -> store.ingest(entry)) : store.ingest(entry)) {
      case IngestResult.Existing x -> {
        metrics.duplicates.increment();
        return new Admission.Duplicate(key);
      }
      case IngestResult.Full full -> {
        // Refused rather than forget a record that may still be redelivered (P2); the sender may retry.
        metrics.dedupFull.increment();
        log.debug("message refused: {}", full.reason()); // a flood must not flood the log: the metric counts
        return new Admission.Busy(key, DEDUP_FULL_TEXT);
      }
      case IngestResult.Inserted x -> { }
    }
    // The per-user rate (agent.rate_limits.per_user) after the dedup insert, so a redelivery is a Duplicate
    // and costs no token; and under the session's ownership, so a key released here was never seen by a poll.
    // A stop command is never rate limited (P10: a user flooding a runaway agent must still be able to stop it;
    // it starts no turn, so it costs the agent nothing).
    return ownership.admitFresh(entry, () -> {
      QueuedMessage queued = new QueuedMessage(entry, scheduler.nanoTime(), tracing.capture());
      if (isStop(queued)) return admit(queued, SessionActor.Source.FRESH);
      if (!flow.admits(message)) return rateLimited(key);
      Admission a = admit(queued, SessionActor.Source.FRESH);
      if (!(a instanceof Admission.Accepted)) flow.giveBack(message); // refused by another bound: not charged
      return a;
    });
  }

  /** A fresh message beyond its sender's rate: the key is given back, nothing else stored, Busy. */
  private Admission rateLimited(DedupKey key) {
    store.release(key);
    released(key);
    log.debug("message refused: sender over agent.rate_limits.per_user"); // a flood must not flood the log
    return refused(key, flow.refusedRate, flow.busyMessage);
  }

  /** Cluster mode: journaled messages this node took (another node accepted them, or their owner died). */
  void adopt(List<JournalEntry> entries) {
    long now = scheduler.nanoTime();
    for (JournalEntry e : entries) admit(new QueuedMessage(e, now), SessionActor.Source.ADOPTED);
    dispatcher.pump();
  }

  /** Cluster mode: the session's lease was lost; drop its in-memory work (it stays journaled). */
  void abandon(SessionKey session) {
    SessionActor a = actors.get(session);
    if (a != null) a.abandon();
  }

  /** A refusal by a P11 bound: busy, nothing stored, counted. */
  private Admission refused(DedupKey key, io.micrometer.core.instrument.Counter bound, String text) {
    bound.increment();
    metrics.busy.increment();
    return new Admission.Busy(key, text);
  }

  /**
   * The session's actor, made and charged to the message's sender if it has none (P11: a fresh message is
   * refused, null, when its sender is at sessions.max_live_per_user). Not computeIfAbsent: the charge and the
   * install are two steps, and a charge whose actor lost the race to be installed is given back.
   */
  private @Nullable SessionActor actorFor(QueuedMessage p, SessionActor.Source source) {
    SessionKey session = p.entry.session();
    SessionActor a = actors.get(session);
    if (a != null) return a;
    Bounds.Owner owner = Bounds.Owner.of(p.entry.message());
    if (!bounds.charge(owner, source == SessionActor.Source.FRESH)) return null;
    SessionActor fresh = new SessionActor(session, this, owner, classes.of(p.entry.message()));
    SessionActor prev = actors.putIfAbsent(session, fresh);
    if (prev == null) return fresh;
    bounds.uncharge(owner);
    return prev;
  }

  private Admission admit(QueuedMessage p, SessionActor.Source source) {
    SessionKey session = p.entry.session();
    while (true) {
      SessionActor a = actorFor(p, source);
      if (a == null) {
        store.release(p.key());
        released(p.key());
        return refused(p.key(), bounds.refusedSessions, Bounds.SESSIONS_TEXT);
      }
      if (!(p.order() instanceof OrderKey.None) && a.needsReorder()) {
        try {
          a.initReorder(store.loadSession(session)); // outside any monitor: may do I/O
        } catch (RuntimeException e) {
          // Not admitted: give the fresh actor (and its P11 charge) back, and the key, so a retry is not a
          // "duplicate" of a message nobody runs.
          a.retireIfIdle();
          try {
            store.release(p.key());
          } catch (RuntimeException ignored) {
            // the store is down; recovery finds the entry unfinished and runs it
          }
          throw e;
        }
      }
      SessionActor.Offer o = a.offer(p, source);
      switch (o) {
        case RETIRED -> { continue; }
        case QUEUED -> {
          metrics.admitted.increment();
          // P10: a stop command cancels at once, ahead of the queue and any reordering (it was admitted, so the
          // per-session cap bounds a flood of them); the message itself is completed without a turn when it is
          // released. After a restart there is nothing to stop.
          if (source != SessionActor.Source.RECOVERED && isStop(p)) a.cancel(false);
          dispatcher.pump();
          return new Admission.Accepted(p.key(), session);
        }
        default -> {
          OverflowPolicy.Decision d = overflow.decide(o);
          if (d.releasesKey()) {
            store.release(p.key());
            released(p.key());
          }
          return overflow.admission(p.key(), o, d);
        }
      }
    }
  }

  private void released(DedupKey key) {
    ownership.committed(List.of(key));
  }

  /** The lane task that ends expired messages with an error reply each (P4: expiry is visible). */
  Runnable expiryTask(SessionActor a, List<QueuedMessage> expired) {
    metrics.expired.increment(expired.size());
    List<DedupKey> keys = new ArrayList<>(expired.size());
    List<Reply> rs = new ArrayList<>(expired.size());
    for (QueuedMessage p : expired) {
      keys.add(p.key());
      rs.add(StagedTurn.reply(a.key, p, Reply.Kind.ERROR, EXPIRED_TEXT, OptionalLong.empty()));
    }
    return () -> {
      log.warn("session {}: {} message(s) expired after {} ms in queue", a.key, keys.size(),
          concurrency.queueTimeoutMs());
      commitAndDeliver(a, finish(a, keys, MessageStatus.EXPIRED, rs));
    };
  }

  /** A commit that ends messages without a turn; carries the reorder watermarks read now (on the lane). */
  static TurnCommit finish(SessionActor a, List<DedupKey> keys, MessageStatus status, List<Reply> replies) {
    return new TurnCommit(a.key, keys, status, java.util.Map.of(), a.watermarks(), List.of(), replies, 0);
  }

  /**
   * Runs on the session's lane: one store commit, then its replies to the handler in outboxSeq order. A
   * commit without a token carries the session's current one (cluster mode: its lease's; 0 on a single
   * node); a fenced commit (the lease went to another node) drops the session here and is rethrown.
   */
  void commitAndDeliver(SessionActor a, TurnCommit c) {
    commitAndDeliver(a, c, null);
  }

  /** {@link #commitAndDeliver(SessionActor, TurnCommit)}, running {@code committed} between commit and delivery. */
  void commitAndDeliver(SessionActor a, TurnCommit c, @Nullable Runnable committed) {
    TurnCommit t = c.fencingToken() != 0 ? c : withToken(c, ownership.token(a.key));
    List<Reply> stored;
    try {
      stored = store.commitTurn(t);
    } catch (FencedException e) {
      metrics.fenced.increment();
      log.warn("session {}: commit refused, the session's lease is held by another node now (token {} is stale)",
          a.key, t.fencingToken());
      ownership.fenced(a.key, t.fencingToken());
      throw e;
    }
    ownership.committed(t.messages());
    if (committed != null) committed.run();
    for (Reply r : stored) deliver(r);
  }

  static TurnCommit withToken(TurnCommit c, long token) {
    if (c.fencingToken() == token) return c;
    return new TurnCommit(c.session(), c.messages(), c.status(), c.expected(), c.writes(), c.transcript(),
        c.replies(), token);
  }

  /** The fencing token a turn of {@code session} starting now commits with (0 on a single node). */
  long fencingToken(SessionKey session) {
    return ownership.token(session);
  }

  /**
   * Hands a committed reply on: an answer to a question goes to the ask channel (and is delivered by that),
   * any other to the ReplyHandler, which marks it delivered itself; with no handler (the builder's
   * discardReplies, its default) nobody delivers, so it is marked delivered here and the outbox does not grow.
   */
  void deliver(Reply r) {
    if (r.channel().equals(EngineAskRouter.CHANNEL)) { // the answer to a question, never a channel's reply
      asks.answered(r);
      try {
        store.markDelivered(r.session(), r.outboxSeq());
      } catch (RuntimeException e) {
        log.warn("session {}: could not mark answer {} delivered", r.session(), r.outboxSeq(), e);
      }
      return;
    }
    ReplyHandler h = replies;
    if (h == null) {
      store.markDelivered(r.session(), r.outboxSeq()); // nobody delivers: do not let the outbox grow
      return;
    }
    try {
      h.onReply(r);
    } catch (RuntimeException e) {
      log.error("session {}: reply handler failed for reply {}", r.session(), r.outboxSeq(), e);
    }
  }

  // ------------------------------------------------------------------ turns

  private boolean startTurn(SessionActor a, int cls) {
    TurnRun run = a.claim();
    if (run == null) return false;
    metrics.grants[cls].increment();
    metrics.running.incrementAndGet();
    run.start();
    return true;
  }

  void turnEnded(TurnRun run) {
    if (metrics.running.decrementAndGet() == 0 && closed) drainEnded(true);
    dispatcher.release();
  }

  // ------------------------------------------------------------------ admin, life

  @Override
  public EngineSnapshot snapshot() {
    List<EngineSnapshot.SessionView> views = new ArrayList<>();
    for (SessionActor a : actors.values()) {
      SessionActor.Load v = a.load();
      if (!v.idle()) views.add(new EngineSnapshot.SessionView(a.key, v.queued(), v.running(),
          classes.name(a.sessionClass)));
    }
    views.sort(Comparator.comparingInt((EngineSnapshot.SessionView v) -> -(v.queued() + v.running()))
        .thenComparing(EngineSnapshot.SessionView::session));
    if (views.size() > 1000) views = views.subList(0, 1000);
    return new EngineSnapshot(metrics.running.get(), metrics.queued.get(), views);
  }

  @Override
  public BatonConfig config() {
    return config;
  }

  private void drainEnded(boolean allTurnsEnded) {
    if (drainOutcome.compareAndSet(null, allTurnsEnded)) drained.countDown();
  }

  @Override
  public boolean shutdown(Duration drainDeadline) throws InterruptedException {
    closed = true;
    dispatcher.stop();
    if (metrics.running.get() == 0) drainEnded(true);
    Scheduler.Cancellable t = scheduler.schedule(drainDeadline, () -> drainEnded(false));
    boolean ok;
    try {
      drained.await(); // a later shutdown() or close() returns the same outcome at once
      ok = Boolean.TRUE.equals(drainOutcome.get());
    } finally {
      t.cancel();
    }
    if (!ok) {
      // A running turn is in its actor's `runs` from claim() to finished(), and such an actor never retires.
      int n = 0;
      for (SessionActor a : actors.values()) {
        for (TurnRun r : a.runningTurns()) {
          r.cancel();
          n++;
        }
      }
      log.warn("shutdown: {} turn(s) did not finish in {} and were cancelled", n, drainDeadline);
    }
    ownership.stop();
    if (ownsStore) store.close();
    return ok;
  }

  @Override
  public void close() {
    try {
      shutdown(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
