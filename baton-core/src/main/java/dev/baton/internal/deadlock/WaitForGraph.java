package dev.baton.internal.deadlock;

import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.GraphSnapshot;
import dev.baton.deadlock.WaitKind;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.DeadlockException;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. The process-wide wait-for graph (P8). Whoever owns a resource (the tool runtime's lock manager,
 * the engine's session slots and global permits, the ask router) reports each wait as one edge set: waiter ->
 * the parties it waits for (its blockers), with Need.ALL or Need.ANY. The owner keeps blockers current with
 * update(); the graph never looks inside a resource. A party waits for at most one thing at a time.
 *
 * Detection runs twice: when a wait is added or gains a blocker (a cycle closed by that edge runs through
 * its waiter, so a search from the waiter finds it), and in a sweep every check_interval_ms that reduces the
 * whole graph (CycleSearch). The victim, chosen among the breakable waits of the cycle by on_deadlock, loses
 * its wait at once (the graph forgets the edge) and its callback completes its waiting future with a
 * DeadlockException; the victim's own thread then wakes, leaves its queue and releases what it holds. The
 * sweep also reports tool calls that made no progress for longer than their timeout.
 *
 * Concurrency. Thread-safe. One ReentrantLock guards all state; it is a leaf lock: callers may hold their own
 * locks when they call in (lock manager -> graph), and the graph calls nothing while holding it. Victim
 * callbacks run after the graph's lock is released, on the thread that found the cycle (the caller of
 * await/update, or the scheduler's thread for the sweep): they must not block (complete a future, nothing
 * more).
 *
 * Failure. A callback that throws is logged; the others still run.
 */
public final class WaitForGraph implements AutoCloseable {

  /** How many waits a snapshot lists at most. */
  public static final int SNAPSHOT_LIMIT = 1_000;

  private static final int RECENT_LIMIT = 100;
  private static final Logger log = LoggerFactory.getLogger(WaitForGraph.class);

  // The config's fields, not the record: Lincheck's object traversal cannot read record fields.
  private final boolean enabled;
  private final long checkIntervalMs;
  private final OnDeadlock onDeadlock;
  private final Scheduler scheduler;
  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final Map<Party, Wait> waits = new HashMap<>();
  private final Map<Party, Running> running = new HashMap<>();
  private final ArrayDeque<DeadlockReport> recent = new ArrayDeque<>();
  private final Set<Set<Party>> unbreakableReported = new HashSet<>();
  private Scheduler.@Nullable Cancellable sweepTask;
  private long version; // bumped by every change of the edges
  private long cleanVersion = -1; // the version the last sweep found free of deadlocks
  private boolean closed;
  // Metrics (thread-safe themselves).
  private final Counter viaEdge;
  private final Counter viaSweep;
  private final Counter stuckCalls;
  private final Timer detectionLatency;

  public WaitForGraph(DeadlockDetectionConfig config, Scheduler scheduler, MeterRegistry meters) {
    this.enabled = config.enabled();
    this.checkIntervalMs = config.checkIntervalMs();
    this.onDeadlock = config.onDeadlock();
    this.scheduler = scheduler;
    this.viaEdge = meters.counter("baton.deadlocks.detected", "via", "edge");
    this.viaSweep = meters.counter("baton.deadlocks.detected", "via", "sweep");
    this.stuckCalls = meters.counter("baton.tool.calls.stuck");
    this.detectionLatency = Timer.builder("baton.deadlock.detection.latency")
        .description("From the edge that closed a cycle to its detection")
        .register(meters);
    Gauge.builder("baton.waitgraph.waits", this, WaitForGraph::waitCount).register(meters);
  }

  /** The detection settings in force. */
  public DeadlockDetectionConfig config() {
    return new DeadlockDetectionConfig(enabled, checkIntervalMs, onDeadlock);
  }

  /** Starts the periodic sweep on the scheduler (no-op if detection is disabled). Idempotent. */
  public void start() {
    if (!enabled) return;
    lock.lock();
    try {
      if (sweepTask == null && !closed) scheduleSweep();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records that {@code waiter} starts waiting for {@code resource}, blocked by {@code blockers}; then looks
   * for a cycle closed by these edges and breaks it.
   *
   * @param onVictim completes the waiter's wait with the exception if it is chosen as a victim; null for a
   *     wait that cannot be broken ({@link WaitKind#OWN_CALLS}). Runs once at most, must not block.
   * @return the wait, to pass to {@link #update} and {@link #end}
   * @throws IllegalStateException if {@code waiter} already waits
   */
  public Wait await(Party waiter, WaitKind kind, String resource, Need need, Collection<Party> blockers,
      @Nullable Consumer<DeadlockException> onVictim) {
    List<Runnable> kills = new ArrayList<>();
    Wait w;
    lock.lock();
    try {
      if (waits.containsKey(waiter)) throw new IllegalStateException(waiter + " already waits");
      long now = scheduler.nanoTime();
      w = new Wait(waiter, kind, resource, need, without(blockers, waiter), now, scheduler.now(), onVictim);
      waits.put(waiter, w);
      version++;
      if (enabled) detectFrom(waiter, kills);
    } finally {
      lock.unlock();
    }
    runAll(kills);
    return w;
  }

  /** Replaces the blockers of a live wait (a holder left, a waiter ahead was granted, ...). No-op once ended. */
  public void update(Wait wait, Collection<Party> blockers) {
    List<Runnable> kills = new ArrayList<>();
    lock.lock();
    try {
      if (!wait.active) return;
      Set<Party> next = without(blockers, wait.waiter);
      // A new blocker may close a cycle; for Need.ANY losing one may too (the one left may be stuck).
      boolean riskier = !wait.blockers.containsAll(next) || (wait.need == Need.ANY && !next.equals(wait.blockers));
      wait.blockers = next;
      version++;
      if (riskier) {
        wait.changedNanos = scheduler.nanoTime();
        if (enabled) detectFrom(wait.waiter, kills);
      }
    } finally {
      lock.unlock();
    }
    runAll(kills);
  }

  /** Ends a wait (granted, timed out, cancelled). No-op if it already ended or was broken. */
  public void end(Wait wait) {
    lock.lock();
    try {
      if (wait.active) {
        wait.active = false;
        waits.remove(wait.waiter);
        version++;
      }
    } finally {
      lock.unlock();
    }
  }

  /** For tests of the sweep: replaces blockers of {@code waiter}'s wait without looking for a cycle. */
  void insertBlockersWithoutDetection(Party waiter, Set<Party> blockers) {
    lock.lock();
    try {
      Wait w = waits.get(waiter);
      w.blockers = without(blockers, waiter);
      w.changedNanos = scheduler.nanoTime();
      version++;
    } finally {
      lock.unlock();
    }
  }

  /** A tool call started; the sweep reports it if it makes no progress for {@code timeout}. */
  public void callStarted(Party call, Duration timeout) {
    lock.lock();
    try {
      long now = scheduler.nanoTime();
      running.put(call, new Running(now, scheduler.now(), now, timeout.toNanos()));
    } finally {
      lock.unlock();
    }
  }

  /** The call made progress (took a lock, reported a step). */
  public void progress(Party call) {
    lock.lock();
    try {
      Running r = running.get(call);
      if (r != null) {
        r.lastProgressNanos = scheduler.nanoTime();
        r.reported = false;
      }
    } finally {
      lock.unlock();
    }
  }

  /** The call has really stopped. */
  public void callEnded(Party call) {
    lock.lock();
    try {
      running.remove(call);
    } finally {
      lock.unlock();
    }
  }

  /** Reduces the whole graph, breaks every deadlock found and reports stuck calls. Runs from the timer. */
  public void sweep() {
    List<Runnable> kills = new ArrayList<>();
    lock.lock();
    try {
      if (enabled) sweepLocked(kills);
      reportStuckCalls();
    } finally {
      lock.unlock();
    }
    runAll(kills);
  }

  public int waitCount() {
    lock.lock();
    try {
      return waits.size();
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@code party} waits now. */
  public boolean isWaiting(Party party) {
    lock.lock();
    try {
      return waits.containsKey(party);
    } finally {
      lock.unlock();
    }
  }

  public List<DeadlockReport> recentDeadlocks() {
    lock.lock();
    try {
      return List.copyOf(recent);
    } finally {
      lock.unlock();
    }
  }

  public GraphSnapshot snapshot() {
    lock.lock();
    try {
      List<DeadlockReport.Member> edges = waits.values().stream()
          .sorted(Comparator.comparingLong((Wait w) -> w.sinceNanos))
          .limit(SNAPSHOT_LIMIT).map(Wait::member).toList();
      long now = scheduler.nanoTime();
      List<GraphSnapshot.RunningCall> calls = running.entrySet().stream()
          .map(e -> new GraphSnapshot.RunningCall(e.getKey().toString(), e.getValue().since,
              e.getValue().since.plusNanos(e.getValue().lastProgressNanos - e.getValue().startNanos),
              e.getValue().isStuck(now)))
          .toList();
      return new GraphSnapshot(scheduler.now(), edges, waits.size(), calls, List.copyOf(recent));
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      if (sweepTask != null) sweepTask.cancel();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------- internals

  private void scheduleSweep() {
    sweepTask = scheduler.schedule(Duration.ofMillis(checkIntervalMs), () -> {
      try {
        sweep();
      } finally {
        lock.lock();
        try {
          if (!closed) scheduleSweep();
        } finally {
          lock.unlock();
        }
      }
    });
  }

  private void detectFrom(Party start, List<Runnable> kills) {
    long began = scheduler.nanoTime();
    while (waits.containsKey(start)) {
      Optional<List<Party>> cycle = CycleSearch.deadlockAt(start, waits::get);
      if (cycle.isEmpty()) return;
      Party victim = breakCycle(cycle.get(), "edge", scheduler.nanoTime() - began, kills);
      if (victim == null || victim.equals(start)) return;
    }
  }

  private void sweepLocked(List<Runnable> kills) {
    if (version == cleanVersion) return; // nothing changed since a sweep found no deadlock
    while (true) {
      Set<Party> all = new LinkedHashSet<>(waits.keySet());
      for (Wait w : waits.values()) all.addAll(w.blockers);
      Set<Party> stuck = CycleSearch.stuck(all, waits::get);
      if (stuck.isEmpty()) {
        cleanVersion = version;
        return;
      }
      Party from = stuck.stream().min(Comparator.comparingLong((Party p) -> waits.get(p).sinceNanos)).orElseThrow();
      List<Party> cycle = CycleSearch.component(CycleSearch.cycleFrom(from, stuck, waits::get), stuck, waits::get);
      long lastChange = cycle.stream().mapToLong(p -> waits.get(p).changedNanos).max().orElseThrow();
      if (breakCycle(cycle, "sweep", scheduler.nanoTime() - lastChange, kills) == null) return;
    }
  }

  /** Reports the cycle, chooses and kills the victim. Returns null if no member may be broken. */
  private @Nullable Party breakCycle(List<Party> cycle, String via, long latencyNanos, List<Runnable> kills) {
    Comparator<Wait> age = Comparator.comparingLong((Wait w) -> w.sinceNanos)
        .thenComparing(w -> w.waiter.name());
    List<Wait> breakable = cycle.stream().map(waits::get).filter(w -> w.onVictim != null).toList();
    Optional<Wait> chosen = onDeadlock == OnDeadlock.KILL_OLDEST_WAITER
        ? breakable.stream().min(age) : breakable.stream().max(age);
    String policy = onDeadlock.name().toLowerCase(java.util.Locale.ROOT);
    DeadlockReport report = new DeadlockReport(scheduler.now(), via,
        cycle.stream().limit(DeadlockReport.MAX_MEMBERS).map(p -> waits.get(p).member()).toList(), cycle.size(),
        chosen.map(w -> w.waiter.toString()).orElse(""), policy, Duration.ofNanos(Math.max(0, latencyNanos)));
    if (chosen.isEmpty()) {
      if (unbreakableReported.add(Set.copyOf(cycle))) {
        log.error("deadlock detected via {} with no breakable member: {}", via, report.describe());
      }
      return null;
    }
    recent.addLast(report);
    if (recent.size() > RECENT_LIMIT) recent.removeFirst();
    (via.equals("edge") ? viaEdge : viaSweep).increment();
    detectionLatency.record(report.latency().toNanos(), TimeUnit.NANOSECONDS);
    log.warn("deadlock detected via {}: {}; victim {} by {}", via, report.describe(), report.victim(), policy);
    Wait victim = chosen.get();
    DeadlockException e = new DeadlockException("deadlock: you (" + victim.waiter.name() + ") were chosen as"
        + " the victim (" + policy + ") of the cycle " + redacted(cycle) + ". Your wait was cancelled and what"
        + " you held is released; the other parties proceed. Retry later.");
    victim.active = false;
    waits.remove(victim.waiter);
    version++;
    Consumer<DeadlockException> cb = victim.onVictim;
    kills.add(() -> cb.accept(e));
    return victim.waiter;
  }

  /**
   * The cycle as the victim's agent may see it (P1): parties by number only, never their sessions or tools,
   * and no slot or permit names (they name sessions); lock keys stay, they name what to retry.
   */
  private String redacted(List<Party> cycle) {
    StringBuilder b = new StringBuilder();
    for (Party p : cycle.subList(0, Math.min(cycle.size(), DeadlockReport.MAX_MEMBERS))) {
      Wait w = waits.get(p);
      if (b.length() > 0) b.append("; ");
      String what = switch (w.kind) {
        case LOCK -> "lock " + w.resource;
        case ASK_REPLY -> "the reply to an ask";
        case SESSION_SLOT -> "a session slot";
        case GLOBAL_PERMIT -> "a global permit";
        case DUPLICATE_CALL -> "an earlier call with the same idempotency key";
        case OWN_CALLS -> "its own tool calls";
      };
      b.append(p.name()).append(" waits for ").append(what).append(" held by ")
          .append(String.join(", ", w.blockers.stream().map(Party::name).toList()));
    }
    if (cycle.size() > DeadlockReport.MAX_MEMBERS) b.append("; ... and ").append(cycle.size() - DeadlockReport.MAX_MEMBERS).append(" more");
    return b.toString();
  }

  private void reportStuckCalls() {
    long now = scheduler.nanoTime();
    for (Map.Entry<Party, Running> e : running.entrySet()) {
      Running r = e.getValue();
      if (!r.reported && r.isStuck(now)) {
        r.reported = true;
        stuckCalls.increment();
        log.warn("tool call {} made no progress for {} ms (timeout {} ms); it still runs and keeps its locks",
            dev.baton.spi.LogText.escape(e.getKey().toString(), 1_000), (now - r.lastProgressNanos) / 1_000_000, r.timeoutNanos / 1_000_000);
      }
    }
  }

  private static Set<Party> without(Collection<Party> blockers, Party self) {
    Set<Party> s = new LinkedHashSet<>(blockers);
    s.remove(self);
    return s;
  }

  private static void runAll(List<Runnable> kills) {
    for (Runnable r : kills) {
      try {
        r.run();
      } catch (RuntimeException ex) {
        log.error("deadlock victim callback failed: {}", ex.toString());
      }
    }
  }

  /** One wait edge set. Fields other than the finals are guarded by the graph's lock. */
  public static final class Wait {
    final Party waiter;
    final WaitKind kind;
    final String resource;
    final Need need;
    final long sinceNanos;
    final Instant since;
    final @Nullable Consumer<DeadlockException> onVictim;
    Set<Party> blockers;
    long changedNanos;
    boolean active = true;

    Wait(Party waiter, WaitKind kind, String resource, Need need, Set<Party> blockers, long sinceNanos,
        Instant since, @Nullable Consumer<DeadlockException> onVictim) {
      this.waiter = waiter;
      this.kind = kind;
      this.resource = resource;
      this.need = need;
      this.blockers = blockers;
      this.sinceNanos = sinceNanos;
      this.changedNanos = sinceNanos;
      this.since = since;
      this.onVictim = onVictim;
    }

    public Party waiter() {
      return waiter;
    }

    Need need() {
      return need;
    }

    Set<Party> blockers() {
      return blockers;
    }

    DeadlockReport.Member member() {
      return new DeadlockReport.Member(waiter.toString(), kind.label() + " " + resource,
          blockers.stream().map(Party::name).toList(), since);
    }
  }

  private static final class Running {
    final long startNanos;
    final Instant since;
    final long timeoutNanos;
    long lastProgressNanos;
    boolean reported;

    Running(long startNanos, Instant since, long lastProgressNanos, long timeoutNanos) {
      this.startNanos = startNanos;
      this.since = since;
      this.lastProgressNanos = lastProgressNanos;
      this.timeoutNanos = timeoutNanos;
    }

    boolean isStuck(long now) {
      return now - lastProgressNanos > timeoutNanos;
    }
  }
}
