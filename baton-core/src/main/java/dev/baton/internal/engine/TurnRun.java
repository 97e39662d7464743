package dev.baton.internal.engine;

import dev.baton.BatonContext;
import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.TurnContext;
import dev.baton.spi.ConflictException;
import dev.baton.spi.FencedException;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Scheduler.Cancellable;
import dev.baton.spi.SessionData;
import dev.baton.spi.TurnCommit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/*
 * Overview
 *   One turn of one session, run on a virtual thread (P4, P7): builds the TurnContext, binds it in
 *   BatonContext.CURRENT (and mirrors it into the SLF4J MDC) around the agent call, arms the turn timeout,
 *   and commits the outcome through the session's commit lane: the staged turn (DONE) or an error reply
 *   (FAILED). A ConflictException from the store re-runs the agent on fresh state (bounded attempts, same
 *   deadline).
 *
 *   Thread reuse: a turn thread that ends its turn hands its permit on (FairDispatcher.release, in FIFO
 *   ticket order as always); the first turn that hand-off starts runs next on the same virtual thread
 *   (Worker, found through a ScopedValue) instead of a new one. Only the thread changes, not who runs when.
 *
 * Concurrency
 *   `state` is the single point of truth for how the turn ends: RUNNING -> FINISHING (the turn thread, when
 *   the agent returned), RUNNING -> TIMED_OUT (the timeout timer), RUNNING -> INTERRUPTED (a new message in
 *   queue mode interrupt), RUNNING -> CANCELLED (shutdown), RUNNING -> USER_CANCELLED (Baton.cancel, a stop command). Exactly one CAS out of RUNNING wins; only the
 *   timer/interrupt/cancel winners interrupt the thread, so a turn that is already committing is never
 *   interrupted. The turn thread clears any interrupt before committing.
 *
 * Failure
 *   Agent exception or timeout: an ERROR reply with a generic text (never the exception's message), the
 *   messages end FAILED, the session goes on. Interrupted: nothing is committed and the messages go back to
 *   the front of the mailbox. Cancelled (shutdown): nothing is committed; the messages stay unfinished in
 *   the journal and run after a restart. Cancelled by the user (P10): its messages (steered ones included)
 *   end DONE with one CANCELLED reply carrying what its latest stream showed; its staged state and transcript
 *   are dropped; tool calls it completed stay journaled by the tool runtime (P6).
 */
/** One turn: context, timeout, agent call and commit. Runs on a virtual thread. */
final class TurnRun {

  static final String ERROR_TEXT = "Sorry, something went wrong while answering your message. Please try again.";
  static final String TIMEOUT_TEXT = "Sorry, that took too long to answer. Please try again.";
  private static final int MAX_ATTEMPTS = 10;
  static final String CANCELLED_TEXT = "Stopped.";
  private static final int RUNNING = 0, FINISHING = 1, TIMED_OUT = 2, INTERRUPTED = 3, CANCELLED = 4,
      USER_CANCELLED = 5;

  private final Engine engine;
  private final SessionActor actor;
  /** The turn's messages: its batch, then those it took by steering. Guarded by the actor's monitor. */
  private final List<QueuedMessage> batch;
  private final AtomicInteger state = new AtomicInteger(RUNNING);
  /** A user's cancel that came while the turn was committing: a conflict re-run then ends cancelled. */
  private volatile boolean cancelRequested;
  /** The session lease's fencing token this turn commits with (0 on a single node); set when it runs. */
  private long token;
  private volatile @Nullable Thread thread;
  /** The turn's context, for the observer (set when it runs; null without an observer). */
  private volatile @Nullable TurnContext observed;
  /** Whether a commit of the turn went through (then the observer was told its end, in the session's lane). */
  private volatile boolean endTold;

  TurnRun(Engine engine, SessionActor actor, List<QueuedMessage> batch) {
    this.engine = engine;
    this.actor = actor;
    this.batch = new ArrayList<>(batch);
  }

  /** The turn's messages (the actor's monitor must be held). */
  List<QueuedMessage> batch() {
    return batch;
  }

  /** The hooks its StagedTurns use: ended from outside, steering through the actor, live events to the engine. */
  private final TurnHooks hooks = new TurnHooks() {
    @Override
    public boolean ended() {
      int s = state.get();
      return s != RUNNING && s != FINISHING;
    }

    @Override
    public List<QueuedMessage> takeSteered() {
      return actor.takeSteered(TurnRun.this);
    }

    @Override
    public void live(dev.baton.LiveEvent event) {
      engine.live(event);
    }
  };

  /**
   * Starts this turn on a virtual thread. Called from a turn thread that is handing its permit on (see
   * {@link #handOff}), the turn runs next on that same thread instead of a new one: the permit and the
   * ticket order are the dispatcher's as before, only the thread is reused.
   */
  void start() {
    Worker w = WORKER.isBound() ? WORKER.get() : null;
    if (w != null && w.accepting && w.next == null) {
      w.next = this;
      return;
    }
    Thread.ofVirtual().start(new Worker(this));
  }

  /** Runs {@code release} (which may start turns) so that the first turn it starts reuses this thread. */
  static void handOff(Runnable release) {
    Worker w = WORKER.isBound() ? WORKER.get() : null;
    if (w == null) {
      release.run();
      return;
    }
    w.accepting = true;
    try {
      release.run();
    } finally {
      w.accepting = false;
    }
  }

  private static final ScopedValue<Worker> WORKER = ScopedValue.newInstance();

  /** The body of a turn's virtual thread: runs its turn, then the turn handed to it, and so on. Confined. */
  private static final class Worker implements Runnable {
    @Nullable TurnRun next;
    boolean accepting;

    Worker(TurnRun first) {
      next = first;
    }

    @Override
    public void run() {
      ScopedValue.where(WORKER, this).run(() -> {
        for (TurnRun r; (r = next) != null; ) {
          next = null;
          Thread.interrupted(); // nothing of the previous turn may leak into the next one
          r.run();
        }
      });
    }
  }

  /** Queue mode interrupt: a new message cancels this turn (if it has not finished yet). */
  void interruptForNewMessage() {
    end(INTERRUPTED);
  }

  /** Shutdown: cancel without committing. */
  void cancel() {
    end(CANCELLED);
  }

  /**
   * P10, {@code Baton.cancel} or a stop command: interrupts the turn, which then completes its messages with a
   * CANCELLED reply. Returns whether this call ended it (false: it was already ending).
   */
  boolean cancelByUser() {
    cancelRequested = true;
    return end(USER_CANCELLED);
  }

  private void timeout() {
    end(TIMED_OUT);
  }

  // Synchronized so that the turn thread, by taking the monitor after it left RUNNING, knows any interrupt
  // of a winning end() has already landed and can be cleared for good before committing.
  private synchronized boolean end(int how) {
    if (!state.compareAndSet(RUNNING, how)) return false;
    Thread t = thread;
    if (t != null) t.interrupt();
    return true;
  }

  private synchronized void clearInterrupt() {
    Thread.interrupted();
  }

  private void run() {
    thread = Thread.currentThread();
    if (state.get() != RUNNING) thread.interrupt();
    long start = engine.scheduler.nanoTime();
    for (QueuedMessage p : actor.batchOf(this)) engine.metrics.queueWait.record(start - p.arrivalNanos, TimeUnit.NANOSECONDS);
    List<QueuedMessage> first = actor.batchOf(this);
    // Tracing (off: null, nothing made): the turn's span, current on this thread until the turn ends.
    io.opentelemetry.api.trace.Span span = engine.tracing.startTurn(first, start, queueMode());
    // closed in the finally below (a try-with-resources cannot span the turn's optional span)
    @SuppressWarnings("MustBeClosedChecker")
    io.opentelemetry.context.@Nullable Scope scope = span == null ? null : engine.tracing.turnContext(span).makeCurrent();
    QueuedMessage last = first.getLast();
    List<String> ids = new ArrayList<>(first.size());
    for (QueuedMessage p : first) ids.add(p.messageId());
    long turnSeq = engine.turnSeqs.incrementAndGet();
    TurnContext ctx = new TurnContext(actor.key, last.entry.message().sender(), ids,
        span == null ? traceId() : span.getSpanContext().getTraceId(),
        turnSeq, engine.scheduler.now().plusMillis(engine.config.agent().turnTimeoutMs()),
        EngineAskRouter.chainOf(first));
    Cancellable timer = engine.scheduler.schedule(
        Duration.ofMillis(engine.config.agent().turnTimeoutMs()), this::timeout);
    boolean requeue = false;
    boolean engineFailed = false;
    dev.baton.spi.TimelineObserver observer = engine.observer;
    if (observer != null) { // the console's timeline: the exact start (the deadline less the turn timeout)
      observed = ctx;
      observer.turnStarted(ctx, ctx.deadline().minusMillis(engine.config.agent().turnTimeoutMs()));
    }
    AskListener asks = engine.asks;
    asks.turnStarted(ctx);
    if (state.get() == RUNNING) engine.live(StagedTurn.status(last, dev.baton.LiveEvent.State.RUNNING));
    try {
      requeue = attempts(ctx, start);
    } catch (RuntimeException | Error e) {
      engineFailed = true;
      engine.log.error("session {}: turn {} failed in the engine", actor.key, turnSeq, e);
    } finally {
      timer.cancel();
      state.compareAndSet(RUNNING, FINISHING); // after an engine failure: no end() may interrupt us later
      clearInterrupt();
      engine.metrics.turnDuration.record(engine.scheduler.nanoTime() - start, TimeUnit.NANOSECONDS);
      asks.turnEnded(ctx);
      if (observer != null && !endTold) observer.turnEnded(ctx, engineFailed ? "failed" : uncommitted());
      if (span != null) {
        span.setAttribute(EngineTracing.TURN_SEQ, turnSeq);
        span.setAttribute(EngineTracing.OUTCOME, outcome());
        span.end();
      }
      if (scope != null) scope.close();
      try {
        actor.finished(this, requeue);
        handOff(() -> engine.turnEnded(this));
      } finally {
        asks.permitReturned(ctx); // whatever failed above: a stale holder would hide every later permit cycle
      }
    }
  }

  /** Runs the agent until a commit succeeds; returns whether the messages must be re-queued. */
  private boolean attempts(TurnContext ctx, long start) {
    token = engine.fencingToken(actor.key); // before the state is read: a later owner's writes fence us
    dev.baton.TokenBudget budget = engine.flow.budget(actor.batchOf(this).getLast().entry.message().channel(),
        ctx.user());
    for (int attempt = 1; ; attempt++) {
      SessionData data = engine.store.loadSession(actor.key);
      StagedTurn turn = new StagedTurn(ctx, actor.batchOf(this), data, engine.scheduler::now, engine.tools, hooks,
          budget);
      // agent.rate_limits.tokens_per_user_per_day: a spent budget is answered here, and no model is called.
      Throwable failure = null;
      if (budget.spent()) {
        engine.flow.budgetRefused.increment();
        turn.refuse(budget.message());
      } else {
        failure = callAgent(ctx, turn);
      }
      turn.seal(); // from here no message can be steered into the turn: its keys are final
      List<QueuedMessage> covered = turn.taken();
      List<DedupKey> keys = new ArrayList<>(covered.size());
      for (QueuedMessage p : covered) keys.add(p.key());
      int how = state.compareAndExchange(RUNNING, FINISHING);
      clearInterrupt();
      switch (how) {
        case INTERRUPTED -> { return true; }
        case CANCELLED -> { return false; }
        case USER_CANCELLED -> {
          engine.metrics.turnsCancelled.increment();
          engine.live(StagedTurn.status(covered.getLast(), dev.baton.LiveEvent.State.CANCELLED));
          commitEnd(keys, MessageStatus.DONE, turn.cancelledReplies(CANCELLED_TEXT), "cancelled");
          return false;
        }
        case TIMED_OUT -> {
          engine.metrics.turnsTimedOut.increment();
          engine.log.warn("session {}: turn {} timed out after {} ms", actor.key, ctx.turnSeq(),
              engine.config.agent().turnTimeoutMs());
          commitError(turn, covered, keys, TIMEOUT_TEXT, "timeout");
          return false;
        }
        default -> { }
      }
      if (failure != null) {
        engine.metrics.turnsFailed.increment();
        engine.log.warn("session {}: turn {} failed: {}", actor.key, ctx.turnSeq(), failure.getClass().getName());
        commitError(turn, covered, keys, ERROR_TEXT, "failed");
        return false;
      }
      try {
        commit(turn.commit(keys, actor.watermarks()), "replied");
        return false;
      } catch (FencedException e) {
        return false; // another node owns the session now and runs these messages; logged by the engine
      } catch (ConflictException e) {
        boolean late = engine.scheduler.nanoTime() - start >= engine.config.agent().turnTimeoutMs() * 1_000_000L;
        if (attempt >= MAX_ATTEMPTS || late) {
          engine.log.warn("session {}: turn {} kept conflicting; giving up", actor.key, ctx.turnSeq());
          commitError(turn, covered, keys, ERROR_TEXT, "failed");
          return false;
        }
        if (cancelRequested) { // a cancel came while this attempt was committing: no re-run
          state.set(USER_CANCELLED);
          engine.metrics.turnsCancelled.increment();
          engine.live(StagedTurn.status(covered.getLast(), dev.baton.LiveEvent.State.CANCELLED));
          commitEnd(keys, MessageStatus.DONE, turn.cancelledReplies(CANCELLED_TEXT), "cancelled");
          return false;
        }
        // FINISHING is left only by this thread (every end() moves from RUNNING), so no CAS is needed: the
        // re-run is RUNNING again, and a timeout or interrupt may end it as the first attempt.
        state.set(RUNNING);
      }
    }
  }

  private @Nullable Throwable callAgent(TurnContext ctx, StagedTurn turn) {
    Throwable[] failure = new Throwable[1];
    ScopedValue.where(BatonContext.CURRENT, ctx).run(() -> {
      String[] saved = Mdc.push(ctx);
      try {
        engine.agent.onTurn(turn);
      } catch (Throwable t) {
        failure[0] = t;
        if (engine.tracing.on) EngineTracing.failed(io.opentelemetry.api.trace.Span.current(), t);
      } finally {
        Mdc.restore(saved);
      }
    });
    return failure[0];
  }

  /** The error reply names the stream the turn left half-shown, so a channel turns that preview into it. */
  private void commitError(StagedTurn turn, List<QueuedMessage> covered, List<DedupKey> keys, String text,
      String outcome) {
    StagedTurn.LiveStream shown = turn.latestUnfinishedWithText();
    commitEnd(keys, MessageStatus.FAILED, List.of(StagedTurn.reply(actor.key, covered, Reply.Kind.ERROR, text,
        OptionalLong.empty(), shown == null ? "" : shown.id())), outcome);
  }

  /** Ends the turn's messages with {@code status} and the replies {@code rs}, nothing else of the turn. */
  private void commitEnd(List<DedupKey> keys, MessageStatus status, List<Reply> rs, String outcome) {
    try {
      commit(new TurnCommit(actor.key, keys, status, Map.of(), actor.watermarks(), List.of(), rs, token), outcome);
    } catch (FencedException e) {
      // another node owns the session now; logged by the engine
    }
  }

  /** Commits through the session's lane and waits for it; rethrows ConflictException. */
  private void commit(TurnCommit unfenced, String outcome) {
    TurnCommit c = token == 0 ? unfenced : Engine.withToken(unfenced, token);
    CompletableFuture<Void> done = new CompletableFuture<>();
    Runnable told = endHook(engine.observer, observed, outcome);
    actor.runInLane(() -> {
      try {
        engine.commitAndDeliver(actor, c, told);
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    try {
      done.join();
      if (told != null) endTold = true;
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw e;
    }
  }

  private static final HexFormat HEX = HexFormat.of();

  /**
   * What tells {@code observer} of the turn's end once its commit is durable and before its replies go out
   * (Engine.commitAndDeliver runs it between the two); null, and nothing made, without an observer.
   */
  static @Nullable Runnable endHook(dev.baton.spi.@Nullable TimelineObserver observer, @Nullable TurnContext ctx,
      String outcome) {
    return observer == null || ctx == null ? null : () -> observer.turnEnded(ctx, outcome);
  }

  private String queueMode() {
    return engine.concurrency.queueMode().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** How a turn that committed nothing ended, for the observer. */
  private String uncommitted() {
    return switch (state.get()) {
      case TIMED_OUT -> "timeout";
      case CANCELLED, USER_CANCELLED -> "cancelled";
      default -> "requeued"; // interrupted by a new message, or fenced: its messages run again
    };
  }

  /** How the turn ended, for its span: completed (committed, an error reply included), or why not. */
  private String outcome() {
    return switch (state.get()) {
      case TIMED_OUT -> "timed_out";
      case INTERRUPTED -> "interrupted";
      case CANCELLED -> "cancelled";
      case USER_CANCELLED -> "user_cancelled";
      default -> "completed";
    };
  }

  /** 32 lower-case hex digits (128 random bits). */
  private static String traceId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    byte[] b = new byte[16];
    long a = r.nextLong(), c = r.nextLong();
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (a >>> (56 - 8 * i));
      b[8 + i] = (byte) (c >>> (56 - 8 * i));
    }
    return HEX.formatHex(b);
  }
}
