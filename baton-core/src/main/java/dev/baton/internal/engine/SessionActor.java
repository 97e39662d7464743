package dev.baton.internal.engine;

import dev.baton.SessionKey;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.ConcurrencyConfig.QueueMode;
import dev.baton.config.OrderingConfig.LatePolicy;
import dev.baton.spi.Scheduler.Cancellable;
import dev.baton.spi.SessionData;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The in-memory actor of one session with work: its reorder buffer (P9), mailbox (P3/P4 admission), its
 *   running turns, the tickets it holds in the FairDispatcher, its timers (queue expiry, reorder gap/hold,
 *   debounce) and its commit lane. It exists only while the session has something held, queued, running
 *   or committing; then it retires (removes itself from the engine's map), so an idle session costs the
 *   engine nothing — its state lives in the store. Its commits and reply hand-offs go through its
 *   CommitLane, one at a time, in outboxSeq order.
 *
 *   Above ~300 lines on purpose: admission, the tickets, the three timers and retirement all read and
 *   write the same guarded state under the one monitor, and the invariants between them (a message is
 *   queued, held or running; an actor with any of them, a ticket or a busy lane never retires) are checked
 *   in one place. The parts without that state are their own classes (ReorderBuffer, CommitLane,
 *   OverflowPolicy).
 *
 * Concurrency
 *   Every mutable field is guarded by `this`. The monitor is held only for in-memory bookkeeping: never
 *   across a store call, the agent or the ReplyHandler. Under it the actor may offer to the dispatcher's
 *   lock-free queue, schedule/cancel timers (non-blocking by the Scheduler contract), interrupt a turn's
 *   thread, and remove itself from the engine's ConcurrentHashMap (lock order: actor monitor, then map bin;
 *   computeIfAbsent only constructs an actor and never takes a monitor). A thread holding a retired actor
 *   sees `retired` under the monitor and retries with a fresh one.
 *
 * Failure
 *   Lane tasks and timer callbacks catch and log everything; a failed task does not stop the lane.
 */
/** One session's mailbox, reorder buffer, timers and commit lane. Thread-safe (its monitor). */
final class SessionActor {

  /** The outcome of {@link #offer}. */
  enum Offer { QUEUED, FULL, BUSY_RUNNING, LATE_DROPPED, RETIRED, TOTAL_FULL }

  /**
   * Where an offered message comes from. FRESH: a submit (caps, queue mode and reordering apply). RECOVERED:
   * unfinished at start (admitted and released in order before): no caps, no reordering. ADOPTED (cluster
   * mode): accepted by another node or left by a dead owner: no caps (it was acknowledged already), but
   * reordered with the session's other messages.
   */
  enum Source { FRESH, RECOVERED, ADOPTED }

  final SessionKey key;
  /** The sender this live session is charged to (Bounds); null: charged to nobody (test harnesses). */
  private final Bounds.@Nullable Owner owner;
  final Engine engine;
  /** The session class (index into the engine's SessionClasses), fixed at the actor's first message. */
  final int sessionClass;
  private final ConcurrencyConfig conc;
  // ---- guarded by this ----
  private final ArrayDeque<QueuedMessage> queue = new ArrayDeque<>(4);
  private @Nullable ReorderBuffer reorder;
  private final List<TurnRun> runs = new ArrayList<>(1);
  private int tickets;
  /** Stop commands whose completion is on the lane: they count toward max_queue_per_session (P11). */
  private int stopsInLane;
  private boolean retired;
  private @Nullable Timer expiryTimer;
  private @Nullable Timer orderTimer;
  private long orderDue = Long.MAX_VALUE;
  private @Nullable Timer debounceTimer;
  private final CommitLane lane = new CommitLane(this);

  /** A timer whose handle is published under the actor's monitor; callbacks compare identity. */
  private static final class Timer {
    @Nullable Cancellable handle;
  }

  SessionActor(SessionKey key, Engine engine) {
    this(key, engine, null, 0);
  }

  /**
   * An actor of class {@code sessionClass} charged to {@code owner}; the caller has charged it and uncharges it
   * if it is not installed.
   */
  SessionActor(SessionKey key, Engine engine, Bounds.@Nullable Owner owner, int sessionClass) {
    this.key = key;
    this.owner = owner;
    this.sessionClass = sessionClass;
    this.engine = engine;
    this.conc = engine.concurrency;
  }

  // ------------------------------------------------------------------ admission

  synchronized boolean needsReorder() {
    return reorder == null && !retired;
  }

  /** Installs the reorder buffer from committed watermarks (loaded by the caller outside the monitor). */
  synchronized void initReorder(SessionData committed) {
    if (reorder == null) reorder = new ReorderBuffer(engine.config.ordering(), committed, key);
  }

  /**
   * Admits one journaled message: queue mode {@code reject}, the queue cap, the reorder buffer and late
   * policy, then queues what was released. For a message not queued the engine's rejection task (busy
   * reply, drop) is put on this session's lane. See {@link Source} for what is skipped.
   */
  Offer offer(QueuedMessage p, Source source) {
    boolean recovered = source != Source.FRESH;
    Offer result;
    boolean drain = false;
    synchronized (this) {
      if (retired) return Offer.RETIRED;
      int waiting = queue.size() + (reorder == null ? 0 : reorder.held()) + stopsInLane;
      boolean stop = engine.isStop(p); // a stop command is never "busy": it starts no turn
      if (!recovered && !stop && conc.queueMode() == QueueMode.REJECT && (!runs.isEmpty() || waiting > 0)) {
        result = Offer.BUSY_RUNNING;
      } else if (!recovered && waiting >= conc.maxQueuePerSession()) {
        result = Offer.FULL;
      } else if (!recovered && !engine.bounds.tryReserveQueued()) {
        result = Offer.TOTAL_FULL; // the total bound (P11): a CAS, non-blocking under the monitor
      } else {
        if (recovered) engine.bounds.addQueued(1); // counted without a check: admitted before
        result = Offer.QUEUED;
        List<QueuedMessage> released = new ArrayList<>(2);
        if (source == Source.RECOVERED || reorder == null) {
          if (reorder != null) reorder.noteRecovered(p);
          released.add(p);
        } else if (reorder.accept(p, released) == ReorderBuffer.Accept.LATE) {
          engine.metrics.late.increment();
          if (engine.config.ordering().latePolicy() == LatePolicy.DROP) result = Offer.LATE_DROPPED;
          else reorder.passLate(p, released);
        }
        if (result != Offer.QUEUED) engine.bounds.addQueued(-1); // the place taken above, given back
        int releasedCount = released.size();
        if (result == Offer.QUEUED) drain = completeStopsLocked(released);
        if (result == Offer.QUEUED && releasedCount > 0 && released.isEmpty()) { // only stop commands
          if (reorder != null) armOrderTimerLocked();
          maybeRetireLocked();
        } else if (result == Offer.QUEUED) {
          queue.addAll(released);
          if (reorder != null) armOrderTimerLocked();
          if (conc.queueMode() == QueueMode.INTERRUPT && !runs.isEmpty()) {
            for (TurnRun run : runs) run.interruptForNewMessage();
          }
          if (conc.debounceMs() > 0) restartDebounceLocked();
          ticketLocked();
          armExpiryLocked();
        }
      }
      if (result != Offer.QUEUED) {
        Runnable task = engine.overflow.laneTask(this, p, engine.overflow.decide(result));
        if (task != null) drain = lane.addLocked(task);
        maybeRetireLocked();
      }
    }
    if (drain) startLaneDrainer();
    return result;
  }

  /**
   * Takes the stop commands (P10) out of {@code released} and puts their completion (DONE, no turn, no reply)
   * on the lane; their cancel happened at admission. Returns whether the caller must start the lane's drainer.
   */
  private boolean completeStopsLocked(List<QueuedMessage> released) {
    List<QueuedMessage> stops = null;
    for (Iterator<QueuedMessage> it = released.iterator(); it.hasNext(); ) {
      QueuedMessage m = it.next();
      if (!engine.isStop(m)) continue;
      it.remove();
      if (stops == null) stops = new ArrayList<>(1);
      stops.add(m);
    }
    if (stops == null) return false;
    engine.bounds.addQueued(-stops.size());
    int n = stops.size();
    stopsInLane += n;
    Runnable complete = engine.completeTask(this, stops, dev.baton.spi.MessageStatus.DONE);
    return lane.addLocked(() -> {
      try {
        complete.run();
      } finally {
        synchronized (this) {
          stopsInLane -= n;
        }
      }
    });
  }

  /**
   * Queue mode steer (P10): moves every message queued now into {@code run}, which answers them; none if the
   * mode is another, the run is over, or nothing is queued. The monitor makes the hand-off atomic with claim
   * and finished: a message is taken by exactly one turn, and one the run did not take stays for the next turn.
   */
  List<QueuedMessage> takeSteered(TurnRun run) {
    synchronized (this) {
      if (conc.queueMode() != QueueMode.STEER || queue.isEmpty() || !runs.contains(run)) return List.of();
      List<QueuedMessage> out = new ArrayList<>(queue);
      queue.clear();
      for (QueuedMessage p : out) p.started = true;
      engine.bounds.addQueued(-out.size());
      run.batch().addAll(out);
      cancel(expiryTimer);
      expiryTimer = null;
      return out;
    }
  }

  /** A copy of {@code run}'s messages (its batch and what it took by steering). */
  synchronized List<QueuedMessage> batchOf(TurnRun run) {
    return List.copyOf(run.batch());
  }

  /**
   * P10: cancels the running turns (each completes its messages with a CANCELLED reply) and, with
   * {@code dropQueued}, completes the queued messages without a turn (DROPPED, no reply). Messages the reorder
   * buffer still holds are not queued yet and stay.
   */
  dev.baton.Baton.Cancelled cancel(boolean dropQueued) {
    int turns = 0;
    int dropped = 0;
    boolean drain = false;
    synchronized (this) {
      if (retired) return new dev.baton.Baton.Cancelled(0, 0);
      for (TurnRun r : runs) if (r.cancelByUser()) turns++;
      if (dropQueued && !queue.isEmpty()) {
        List<QueuedMessage> out = new ArrayList<>(queue);
        queue.clear();
        dropped = out.size();
        engine.bounds.addQueued(-dropped);
        cancel(expiryTimer);
        expiryTimer = null;
        drain = lane.addLocked(engine.completeTask(this, out, dev.baton.spi.MessageStatus.DROPPED));
      }
    }
    if (drain) startLaneDrainer();
    return new dev.baton.Baton.Cancelled(turns, dropped);
  }

  /** Whether the session may take another ticket now; if so takes as many as it can use. */
  private void ticketLocked() {
    if (retired || engine.closed || debounceTimer != null) return;
    int batches = switch (conc.queueMode()) {
      case FOLLOWUP, REJECT -> queue.size();
      case COLLECT, INTERRUPT, STEER -> queue.isEmpty() ? 0 : 1;
    };
    while (runs.size() + tickets < conc.maxConcurrentPerSession() && batches > tickets) {
      tickets++;
      engine.dispatcher.offer(this, sessionClass, oldestDueLocked());
    }
  }

  /**
   * Called by the dispatcher with a global permit held for one of this session's tickets: expires what
   * waited too long, then takes the next turn's messages (one in followup/reject, all in collect/interrupt).
   *
   * @return the new turn, or null if nothing is left to run (the caller gives the permit back)
   */
  @Nullable TurnRun claim() {
    TurnRun run = null;
    boolean drain = false;
    synchronized (this) {
      tickets--;
      List<QueuedMessage> expired = takeExpiredLocked(engine.scheduler.nanoTime());
      if (!expired.isEmpty()) drain = lane.addLocked(engine.expiryTask(this, expired));
      if (!queue.isEmpty() && !engine.closed) {
        List<QueuedMessage> batch;
        if (conc.queueMode() != QueueMode.FOLLOWUP && conc.queueMode() != QueueMode.REJECT) {
          batch = new ArrayList<>(queue);
          queue.clear();
        } else {
          batch = List.of(queue.poll());
        }
        for (QueuedMessage p : batch) p.started = true;
        engine.bounds.addQueued(-batch.size());
        run = new TurnRun(engine, this, batch);
        runs.add(run);
      }
      if (queue.isEmpty()) {
        cancel(expiryTimer);
        expiryTimer = null;
      }
      ticketLocked();
      armExpiryLocked();
      if (run == null) maybeRetireLocked();
    }
    if (drain) startLaneDrainer();
    return run;
  }

  /** A turn ended. {@code requeue}: it was interrupted by a new message; its messages go back in front. */
  void finished(TurnRun run, boolean requeue) {
    synchronized (this) {
      runs.remove(run);
      if (requeue) {
        List<QueuedMessage> back = run.batch();
        for (int i = back.size() - 1; i >= 0; i--) queue.addFirst(back.get(i));
        engine.bounds.addQueued(back.size());
      }
      ticketLocked();
      armExpiryLocked();
      maybeRetireLocked();
    }
  }

  // ------------------------------------------------------------------ timers

  private void armExpiryLocked() {
    if (expiryTimer != null || queue.isEmpty()) return;
    // Only for messages that wait for their own session (a turn of it runs, or the debounce): a message
    // with a ticket is watched by the dispatcher's sweep, so the fast path arms no timer at all.
    boolean allTicketed = (conc.queueMode() == QueueMode.FOLLOWUP || conc.queueMode() == QueueMode.REJECT)
        ? queue.size() <= tickets : tickets > 0;
    if (allTicketed) return;
    long due = oldestDueLocked();
    if (due == Long.MAX_VALUE) return;
    Timer t = new Timer();
    expiryTimer = t;
    t.handle = engine.scheduler.schedule(
        Duration.ofNanos(Math.max(0, due - engine.scheduler.nanoTime())), () -> onExpiryTimer(t));
  }

  private void onExpiryTimer(Timer t) {
    boolean drain = false;
    try {
      synchronized (this) {
        if (expiryTimer != t || engine.closed) return;
        expiryTimer = null;
        List<QueuedMessage> expired = takeExpiredLocked(engine.scheduler.nanoTime());
        if (!expired.isEmpty()) drain = lane.addLocked(engine.expiryTask(this, expired));
        armExpiryLocked();
        maybeRetireLocked();
      }
    } catch (RuntimeException e) {
      engine.log.error("session {}: queue expiry failed", key, e);
    }
    if (drain) startLaneDrainer();
  }

  /** When the oldest waiting (not yet started) message expires, or {@code Long.MAX_VALUE}. */
  private long oldestDueLocked() {
    long arrival = Long.MAX_VALUE;
    for (QueuedMessage p : queue) {
      if (p.started) continue;
      arrival = Math.min(arrival, p.arrivalNanos);
      if (reorder == null) break; // unordered: the queue is in arrival order
    }
    return arrival == Long.MAX_VALUE ? arrival : arrival + engine.queueTimeoutNanos;
  }

  /**
   * Called by the dispatcher's sweep (a timer thread): expires what is due.
   *
   * @return when the next waiting message expires, or {@code Long.MAX_VALUE}
   */
  long expireDue(long now) {
    boolean drain = false;
    long next;
    synchronized (this) {
      if (retired || engine.closed) return Long.MAX_VALUE;
      List<QueuedMessage> expired = takeExpiredLocked(now);
      if (!expired.isEmpty()) drain = lane.addLocked(engine.expiryTask(this, expired));
      next = oldestDueLocked();
    }
    if (drain) startLaneDrainer();
    return next;
  }

  private List<QueuedMessage> takeExpiredLocked(long now) {
    List<QueuedMessage> expired = null;
    for (Iterator<QueuedMessage> it = queue.iterator(); it.hasNext(); ) {
      QueuedMessage p = it.next();
      if (p.started) continue;
      if (now - p.arrivalNanos >= engine.queueTimeoutNanos) {
        it.remove();
        if (expired == null) expired = new ArrayList<>();
        expired.add(p);
      } else if (reorder == null) {
        break; // unordered: the rest arrived later and are not due either (keeps claim O(1))
      }
    }
    if (expired == null) return List.of();
    engine.bounds.addQueued(-expired.size());
    return expired;
  }

  private void armOrderTimerLocked() {
    ReorderBuffer r = reorder;
    if (r == null) return;
    long due = r.nextDeadline();
    if (orderTimer != null && due == orderDue) return;
    cancel(orderTimer);
    orderTimer = null;
    orderDue = due;
    if (due == Long.MAX_VALUE) return;
    Timer t = new Timer();
    orderTimer = t;
    t.handle = engine.scheduler.schedule(
        Duration.ofNanos(Math.max(0, due - engine.scheduler.nanoTime())), () -> onOrderTimer(t));
  }

  private void onOrderTimer(Timer t) {
    try {
      synchronized (this) {
        ReorderBuffer r = reorder;
        if (orderTimer != t || r == null || engine.closed) return;
        orderTimer = null;
        List<QueuedMessage> released = new ArrayList<>();
        int gaps = r.onTimer(engine.scheduler.nanoTime(), released);
        if (gaps > 0) engine.metrics.gaps.increment(gaps);
        if (gaps > 0) engine.log.warn("session {}: skipped {} gap(s) in seq after {} ms", key, gaps,
            engine.config.ordering().gapTimeoutMs());
        boolean drain = completeStopsLocked(released); // a stop released by the gap timer starts no turn either
        queue.addAll(released);
        armOrderTimerLocked();
        ticketLocked();
        armExpiryLocked();
        if (drain) lane.startDrainer();
      }
    } catch (RuntimeException e) {
      engine.log.error("session {}: reorder timer failed", key, e);
    }
    engine.dispatcher.pump();
  }

  private void restartDebounceLocked() {
    cancel(debounceTimer);
    Timer t = new Timer();
    debounceTimer = t;
    t.handle = engine.scheduler.schedule(Duration.ofMillis(conc.debounceMs()), () -> onDebounceTimer(t));
  }

  private void onDebounceTimer(Timer t) {
    synchronized (this) {
      if (debounceTimer != t) return;
      debounceTimer = null;
      ticketLocked();
      armExpiryLocked();
      maybeRetireLocked();
    }
    engine.dispatcher.pump();
  }

  private static void cancel(@Nullable Timer t) {
    if (t != null && t.handle != null) t.handle.cancel();
  }

  // ------------------------------------------------------------------ commit lane

  /** Queues {@code task} on the commit lane; if the lane was idle the calling thread drains it now. */
  void runInLane(Runnable task) {
    // The lane may run the task on another turn's thread: it keeps this turn's tracing context (docs/tracing.md).
    lane.run(engine.tracing.on ? io.opentelemetry.context.Context.current().wrap(task) : task);
  }

  private void startLaneDrainer() {
    lane.startDrainer();
  }

  /** The lane ran dry (called by it under this monitor): the actor may retire. */
  void laneIdleLocked() {
    maybeRetireLocked();
  }

  /** Reserved-key writes that persist the reorder watermarks with a commit (empty if unordered). */
  synchronized Map<String, Optional<String>> watermarks() {
    return reorder == null ? Map.of() : reorder.watermarks();
  }

  // ------------------------------------------------------------------ life

  /** Retires the actor if it has no work (an admission that failed before its offer leaves it empty). */
  synchronized void retireIfIdle() {
    maybeRetireLocked();
  }

  private void maybeRetireLocked() {
    if (retired || !queue.isEmpty() || !runs.isEmpty() || tickets > 0 || lane.busyLocked()) return;
    if (reorder != null && reorder.held() > 0) return;
    if (debounceTimer != null) return;
    retired = true;
    cancel(expiryTimer);
    cancel(orderTimer);
    if (engine.actors.remove(key, this) && owner != null) engine.bounds.uncharge(owner);
  }

  /**
   * Cluster mode, the lease was lost: drops what is queued or held (it stays journaled; the new owner runs
   * it) and cancels running turns (their commits would be refused anyway).
   */
  void abandon() {
    synchronized (this) {
      int n = queue.size() + (reorder == null ? 0 : reorder.held());
      queue.clear();
      reorder = null;
      engine.bounds.addQueued(-n);
      cancel(expiryTimer);
      expiryTimer = null;
      cancel(orderTimer);
      orderTimer = null;
      orderDue = Long.MAX_VALUE;
      cancel(debounceTimer);
      debounceTimer = null;
      for (TurnRun r : runs) r.cancel();
      maybeRetireLocked();
    }
  }

  /** What a session has now: messages queued (including those its reorder buffer holds) and turns running. */
  record Load(int queued, int running) {
    boolean idle() {
      return queued == 0 && running == 0;
    }
  }

  /** For the admin snapshot. */
  synchronized Load load() {
    return new Load(queue.size() + (reorder == null ? 0 : reorder.held()), runs.size());
  }

  synchronized List<TurnRun> runningTurns() {
    return List.copyOf(runs);
  }
}
