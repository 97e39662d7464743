package dev.baton.internal.deadlock;

import dev.baton.DeadlockException;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.GraphSnapshot;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. The process-wide wait-for graph (P8), the implementation of dev.baton.deadlock.WaitGraph (other
 * modules create it with WaitGraph.create and see only that interface). Whoever owns a resource (the tool
 * runtime's lock manager, the engine's session slots and global permits, the ask router) reports each wait
 * as one edge set: waiter -> the parties it waits for (its blockers), with Need.ALL or Need.ANY. The owner
 * keeps blockers current with update(); the graph never looks inside a resource. A party waits for at most
 * one thing at a time.
 *
 * Detection runs twice: when a wait is added or gains a blocker (a cycle closed by that edge runs through
 * its waiter, so a search from the waiter finds it), and in a sweep every check_interval_ms that reduces the
 * whole graph (CycleSearch). The victim, chosen among the breakable waits of the cycle by on_deadlock
 * (Victims), loses its wait at once (the graph forgets the edge) and its callback completes its waiting
 * future with a DeadlockException; the victim's own thread then wakes, leaves its queue and releases what it
 * holds. The
 * sweep also asks the StuckCallWatchdog (the running tool calls, kept apart from the edges) to report calls
 * that made no progress for longer than their timeout.
 *
 * Concurrency. Thread-safe. One ReentrantLock guards the edges and the recent deadlocks; it is a leaf lock:
 * callers may hold their own locks when they call in (lock manager -> graph), and the graph calls nothing and
 * logs nothing while holding it: what a change found (log lines, then victim callbacks) is collected in an
 * AfterUnlock and run once the lock is released, on the thread that found the cycle (the caller of
 * await/update, or the scheduler's thread for the sweep). Victim callbacks must not block (complete a future,
 * nothing more). The watchdog has its own leaf lock; the two are never held together, so a snapshot reads the
 * edges and the running calls one after the other, not at one instant.
 *
 * Size. About 400 lines, a third of them the contract comments of the public surface and the Wait handle:
 * what is left is one invariant under one lock (the edges, the change version the sweep skips on, and the
 * detection that must see each change atomically). The search (CycleSearch), the victim choice and its
 * message (Victims), the deferred effects (AfterUnlock) and the running calls (StuckCallWatchdog) are apart.
 *
 * Failure. A callback that throws is logged; the others still run.
 */
public final class WaitForGraph implements WaitGraph.Owned {

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
  private final ArrayDeque<DeadlockReport> recent = new ArrayDeque<>();
  private final Set<Set<Party>> unbreakableReported = new HashSet<>();
  private Scheduler.@Nullable Cancellable sweepTask;
  private long version; // bumped by every change of the edges
  private long cleanVersion = -1; // the version the last sweep found free of deadlocks
  private boolean closed;
  private final StuckCallWatchdog watchdog;
  // Metrics (thread-safe themselves).
  private final Counter viaEdge;
  private final Counter viaSweep;
  private final Timer detectionLatency;
  private final Counter loopsAtHopLimit;
  private final Counter loopsRepeated;
  private final Counter loopsReportedOnly;

  public WaitForGraph(DeadlockDetectionConfig config, Scheduler scheduler, MeterRegistry meters) {
    this.enabled = config.enabled();
    this.checkIntervalMs = config.checkIntervalMs();
    this.onDeadlock = config.onDeadlock();
    this.scheduler = scheduler;
    this.viaEdge = meters.counter("baton.deadlocks.detected", "via", "edge");
    this.viaSweep = meters.counter("baton.deadlocks.detected", "via", "sweep");
    this.watchdog = new StuckCallWatchdog(scheduler, meters);
    this.loopsAtHopLimit = meters.counter("baton.loops.broken", "via", DeadlockReport.VIA_HOP_LIMIT);
    this.loopsRepeated = meters.counter("baton.loops.broken", "via", DeadlockReport.VIA_REPEAT);
    this.loopsReportedOnly = meters.counter("baton.loops.reported", "via", DeadlockReport.VIA_REPEAT);
    this.detectionLatency = Timer.builder("baton.deadlock.detection.latency")
        .description("From the edge that closed a cycle to its detection")
        .register(meters);
    Gauge.builder("baton.waitgraph.waits", this, WaitForGraph::waitCount).register(meters);
  }

  @Override
  public DeadlockDetectionConfig config() {
    return new DeadlockDetectionConfig(enabled, checkIntervalMs, onDeadlock);
  }

  @Override
  public void start() {
    if (!enabled) return;
    lock.lock();
    try {
      if (sweepTask == null && !closed) scheduleSweep();
    } finally {
      lock.unlock();
    }
  }

  /** {@inheritDoc} Returns this graph's own handle type (the engine keeps it as {@code WaitForGraph.Wait}). */
  @Override
  public Wait await(Party waiter, WaitKind kind, String resource, Need need, Collection<Party> blockers,
      @Nullable Consumer<DeadlockException> onVictim) {
    AfterUnlock after = new AfterUnlock();
    Wait w;
    lock.lock();
    try {
      if (waits.containsKey(waiter)) throw new IllegalStateException(waiter + " already waits");
      long now = scheduler.nanoTime();
      w = new Wait(waiter, kind, resource, need, without(blockers, waiter), now, scheduler.now(), onVictim);
      waits.put(waiter, w);
      version++;
      if (enabled) detectFrom(waiter, after);
    } finally {
      lock.unlock();
    }
    after.run();
    return w;
  }

  @Override
  public void update(WaitGraph.Wait handle, Collection<Party> blockers) {
    Wait wait = own(handle);
    AfterUnlock after = new AfterUnlock();
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
        if (enabled) detectFrom(wait.waiter, after);
      }
    } finally {
      lock.unlock();
    }
    after.run();
  }

  @Override
  public void end(WaitGraph.Wait handle) {
    Wait wait = own(handle);
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
      Wait w = waitOf(waiter);
      w.blockers = without(blockers, waiter);
      w.changedNanos = scheduler.nanoTime();
      version++;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void callStarted(Party call, Duration timeout) {
    watchdog.started(call, timeout);
  }

  @Override
  public void progress(Party call) {
    watchdog.progress(call);
  }

  @Override
  public void callEnded(Party call) {
    watchdog.ended(call);
  }

  /** Reduces the whole graph, breaks every deadlock found and reports stuck calls. Runs from the timer. */
  @Override
  public void sweep() {
    AfterUnlock after = new AfterUnlock();
    lock.lock();
    try {
      if (enabled) sweepLocked(after);
    } finally {
      lock.unlock();
    }
    after.run();
    watchdog.check();
  }

  @Override
  public int waitCount() {
    lock.lock();
    try {
      return waits.size();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isWaiting(Party party) {
    lock.lock();
    try {
      return waits.containsKey(party);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void reportLoop(DeadlockReport report, boolean broken) {
    lock.lock();
    try {
      recent.addLast(report);
      if (recent.size() > RECENT_LIMIT) recent.removeFirst();
    } finally {
      lock.unlock();
    }
    if (!broken) loopsReportedOnly.increment();
    else (report.via().equals(DeadlockReport.VIA_HOP_LIMIT) ? loopsAtHopLimit : loopsRepeated).increment();
    log.warn("agent loop detected via {}: {}; {} {} by {}", report.via(), report.describe(),
        broken ? "failed" : "reported only, not failed:", report.victim(), report.policy());
  }

  @Override
  public List<DeadlockReport> recentDeadlocks() {
    lock.lock();
    try {
      return List.copyOf(recent);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public GraphSnapshot snapshot() {
    List<GraphSnapshot.RunningCall> calls = watchdog.snapshot();
    lock.lock();
    try {
      List<DeadlockReport.Member> edges = waits.values().stream()
          .sorted(Comparator.comparingLong((Wait w) -> w.sinceNanos))
          .limit(SNAPSHOT_LIMIT).map(Wait::member).toList();
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

  /** The handle as this graph's own; a handle of another graph implementation is a caller's bug. */
  private static Wait own(WaitGraph.Wait handle) {
    if (handle instanceof Wait w) return w;
    throw new IllegalArgumentException("not a wait of this graph: " + handle);
  }

  /** The wait of a party known to wait (a member of a cycle or of the stuck set). */
  private Wait waitOf(Party p) {
    Wait w = waits.get(p);
    if (w == null) throw new IllegalStateException(p + " does not wait");
    return w;
  }

  private void detectFrom(Party start, AfterUnlock after) {
    long began = scheduler.nanoTime();
    while (waits.containsKey(start)) {
      Optional<List<Party>> cycle = CycleSearch.deadlockAt(start, waits::get);
      if (cycle.isEmpty()) return;
      Party victim = breakCycle(cycle.get(), "edge", scheduler.nanoTime() - began, after);
      if (victim == null || victim.equals(start)) return;
    }
  }

  private void sweepLocked(AfterUnlock after) {
    if (version == cleanVersion) return; // nothing changed since a sweep found no deadlock
    while (true) {
      Set<Party> all = new LinkedHashSet<>(waits.keySet());
      for (Wait w : waits.values()) all.addAll(w.blockers);
      Set<Party> stuck = CycleSearch.stuck(all, waits::get);
      if (stuck.isEmpty()) {
        cleanVersion = version;
        return;
      }
      Party from = stuck.stream().min(Comparator.comparingLong((Party p) -> waitOf(p).sinceNanos)).orElseThrow();
      List<Party> cycle = CycleSearch.component(CycleSearch.cycleFrom(from, stuck, waits::get), stuck, waits::get);
      long lastChange = cycle.stream().mapToLong(p -> waitOf(p).changedNanos).max().orElseThrow();
      if (breakCycle(cycle, "sweep", scheduler.nanoTime() - lastChange, after) == null) return;
    }
  }

  /** Reports the cycle, chooses and kills the victim. Returns null if no member may be broken. */
  private @Nullable Party breakCycle(List<Party> cycle, String via, long latencyNanos, AfterUnlock after) {
    List<Wait> members = cycle.stream().map(this::waitOf).toList();
    Optional<Wait> chosen = Victims.choose(members, onDeadlock);
    String policy = onDeadlock.name().toLowerCase(Locale.ROOT);
    DeadlockReport report = new DeadlockReport(scheduler.now(), via,
        members.stream().limit(DeadlockReport.MAX_MEMBERS).map(Wait::member).toList(), cycle.size(),
        chosen.map(w -> w.waiter.toString()).orElse(""), policy, Duration.ofNanos(Math.max(0, latencyNanos)));
    if (chosen.isEmpty()) {
      if (unbreakableReported.add(Set.copyOf(cycle))) {
        after.log(() -> log.error("deadlock detected via {} with no breakable member: {}", via, report.describe()));
      }
      return null;
    }
    recent.addLast(report);
    if (recent.size() > RECENT_LIMIT) recent.removeFirst();
    (via.equals("edge") ? viaEdge : viaSweep).increment();
    detectionLatency.record(report.latency().toNanos(), TimeUnit.NANOSECONDS);
    after.log(() -> log.warn("deadlock detected via {}: {}; victim {} by {}", via, report.describe(),
        report.victim(), policy));
    Wait victim = chosen.get();
    DeadlockException e = new DeadlockException(Victims.message(victim, policy, members));
    victim.active = false;
    waits.remove(victim.waiter);
    version++;
    Consumer<DeadlockException> cb = Objects.requireNonNull(victim.onVictim); // breakable: filtered above
    after.kill(() -> cb.accept(e));
    return victim.waiter;
  }

  private static Set<Party> without(Collection<Party> blockers, Party self) {
    Set<Party> s = new LinkedHashSet<>(blockers);
    s.remove(self);
    return s;
  }

  /** One wait edge set. Fields other than the finals are guarded by the graph's lock. */
  public static final class Wait implements WaitGraph.Wait {
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

    @Override
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
}
