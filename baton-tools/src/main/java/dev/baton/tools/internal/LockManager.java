package dev.baton.tools.internal;

import dev.baton.DeadlockException;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.Scheduler;
import dev.baton.tools.Access;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview. Shared/exclusive locks on canonical resource keys for tool calls (P5). Each key has its holders
 * (owner -> mode, re-entry count) and a FIFO queue of waiting requests. A request is granted at once only if
 * it is compatible with the holders AND nobody queues (so a stream of readers cannot starve a writer); else it
 * queues. When holders leave, the queue is served from its head while the head is compatible (a run of
 * shared requests is granted together). Re-entry by a holder never queues; an upgrade (shared -> exclusive)
 * queues at the head, so two upgraders form a cycle that the wait-for graph breaks.
 *
 * Every queued request is an edge set in the wait-for graph: to the conflicting holders if it is at the head
 * of its conflict group, else to the nearest conflicting group queued ahead of it (which reaches the same
 * holders). A blocking acquire waits on the request's future without a timeout; the scheduler fails the
 * future at the call's deadline (LockTimeoutException) and the graph fails it if the call is a deadlock
 * victim (DeadlockException); the woken waiter removes its own request.
 *
 * Concurrency. Thread-safe. One ReentrantLock (mu) guards all keys; critical sections are short and never
 * block. Lock order: mu -> the graph's lock (a leaf). Grants complete futures under mu; the futures have no
 * dependent actions (only the waiting thread joins them). A party (one tool call) runs on one thread and
 * has at most one request queued at a time.
 *
 * Failure. Releasing what is not held is ignored (a call's release-all after a partial acquire is normal).
 *
 * Size. About 340 lines, a third of them comments: grant, queue service, upgrade and the wait-for edges of
 * each queued request are one invariant under mu (who holds, who waits behind whom), checked by
 * LockManagerLincheckTest as one object; splitting it would put that invariant across two locks.
 */
public final class LockManager {

  private final WaitGraph graph;
  private final Scheduler scheduler;
  private final ReentrantLock mu = new ReentrantLock();
  // Guarded by mu.
  private final Map<String, Entry> locks = new HashMap<>();
  private final Map<Party, Set<String>> heldBy = new HashMap<>();
  private final Timer waitTimer;
  private final MeterRegistry meters;
  /** Told of each wait that queues (the console's timeline); null (one check per queued wait) without one. */
  private volatile dev.baton.spi.@Nullable TimelineObserver observer;

  public LockManager(WaitGraph graph, Scheduler scheduler, MeterRegistry meters) {
    this.graph = graph;
    this.scheduler = scheduler;
    this.meters = meters;
    this.waitTimer = Timer.builder("baton.lock.wait").description("Time tool calls waited for locks")
        .register(meters);
  }

  /** Tells {@code o} of each lock wait that queues and how it ended (set before the first call). */
  void observer(dev.baton.spi.TimelineObserver o) {
    this.observer = o;
  }

  /** A request for one lock; granted when its future completes normally. */
  public static final class Request {
    final Party owner;
    final String key;
    final Access mode;
    final long queuedAt;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    WaitGraph.@Nullable Wait wait; // guarded by mu

    Request(Party owner, String key, Access mode, long queuedAt) {
      this.owner = owner;
      this.key = key;
      this.mode = mode;
      this.queuedAt = queuedAt;
    }

    public CompletableFuture<Void> future() {
      return future;
    }
  }

  private static final class Hold {
    Access mode;
    int count;

    Hold(Access mode) {
      this.mode = mode;
    }
  }

  private static final class Entry {
    final LinkedHashMap<Party, Hold> holders = new LinkedHashMap<>();
    final ArrayDeque<Request> queue = new ArrayDeque<>();
  }

  /**
   * Asks for {@code key} in {@code mode} without blocking. The returned request's future is already complete
   * if the lock was granted at once; else the request queues and is an edge in the wait-for graph.
   */
  public Request request(Party owner, String key, Access mode) {
    mu.lock();
    try {
      Request r = new Request(owner, key, mode, scheduler.nanoTime());
      Entry e = locks.computeIfAbsent(key, k -> new Entry());
      Hold mine = e.holders.get(owner);
      if (mine != null && (mine.mode == Access.EXCLUSIVE || mode == Access.SHARED)) {
        mine.count++;
        r.future.complete(null);
        return r;
      }
      if (mine != null && e.holders.size() == 1) { // sole holder upgrades at once
        mine.mode = Access.EXCLUSIVE;
        mine.count++;
        r.future.complete(null);
        return r;
      }
      if (mine == null && e.queue.isEmpty() && compatible(e, owner, mode)) {
        grant(e, r);
        return r;
      }
      if (mine != null) e.queue.addFirst(r); else e.queue.addLast(r);
      r.wait = graph.await(owner, WaitKind.LOCK, key + " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + ")",
          Need.ALL, List.of(), ex -> r.future.completeExceptionally(ex));
      refreshBlockers(e);
      return r;
    } finally {
      mu.unlock();
    }
  }

  /**
   * Takes {@code key} in {@code mode}, waiting at most until {@code deadlineNanos} (scheduler time).
   *
   * @throws LockTimeoutException if the deadline passed first; nothing is held from this request
   * @throws DeadlockException if this call was chosen as a deadlock victim; nothing is held from this request
   * @throws InterruptedException if interrupted while waiting; nothing is held from this request
   */
  public void acquire(Party owner, String key, Access mode, long deadlineNanos)
      throws InterruptedException, LockTimeoutException {
    Request r = request(owner, key, mode);
    if (r.future.isDone() && !r.future.isCompletedExceptionally()) return;
    // The console's timeline: a wait that really queued (the holder thread has its turn bound), and its end.
    dev.baton.spi.TimelineObserver obs = observer;
    dev.baton.TurnContext turn = obs != null && dev.baton.BatonContext.CURRENT.isBound()
        ? dev.baton.BatonContext.CURRENT.get() : null;
    String what = turn == null ? "" : key + " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + ")";
    if (obs != null && turn != null) obs.lockWaitStarted(turn, owner.name(), what, holdersOf(key, owner));
    String outcome = "interrupted";
    long remaining = deadlineNanos - scheduler.nanoTime();
    LockTimeoutException late = new LockTimeoutException("lock " + key + " not granted within the call's time");
    if (remaining <= 0) r.future.completeExceptionally(late); // no time left: do not wait for a timer to run
    Scheduler.Cancellable timer = remaining <= 0 ? () -> false
        : scheduler.scheduleAt(deadlineNanos, () -> r.future.completeExceptionally(late));
    // Time may have passed the deadline while the timer was being armed: then it is over now.
    if (scheduler.nanoTime() >= deadlineNanos) r.future.completeExceptionally(late);
    try {
      r.future.get();
      waitTimer.record(scheduler.nanoTime() - r.queuedAt, TimeUnit.NANOSECONDS);
      outcome = "granted";
      graph.progress(owner);
    } catch (ExecutionException ex) {
      cancel(r);
      outcome = ex.getCause() instanceof DeadlockException ? "deadlock" : "timeout";
      meters.counter("baton.lock.failed", "cause", outcome).increment();
      Throwable cause = ex.getCause();
      if (cause instanceof LockTimeoutException t) throw t;
      if (cause instanceof DeadlockException d) throw d;
      throw new IllegalStateException("lock wait failed", ex);
    } catch (InterruptedException ie) {
      cancel(r);
      throw ie;
    } finally {
      timer.cancel();
      if (obs != null && turn != null) {
        obs.lockWaitEnded(turn, owner.name(), what,
            java.time.Duration.ofNanos(Math.max(0, scheduler.nanoTime() - r.queuedAt)), outcome);
      }
    }
  }

  /** The parties holding {@code key} now, but {@code me} (names, for the timeline). */
  private List<String> holdersOf(String key, Party me) {
    mu.lock();
    try {
      Entry e = locks.get(key);
      List<String> out = new ArrayList<>();
      if (e != null) for (Party p : e.holders.keySet()) if (!p.equals(me)) out.add(p.name());
      return out;
    } finally {
      mu.unlock();
    }
  }

  /**
   * Takes a declared set in the one global order (sorted by key, each key once in its strongest mode), so two
   * calls declaring overlapping sets never wait for each other in opposite orders.
   */
  public void acquireAll(Party owner, Map<String, Access> claims, long deadlineNanos)
      throws InterruptedException, LockTimeoutException {
    SortedMap<String, Access> ordered = new TreeMap<>(claims);
    for (Map.Entry<String, Access> c : ordered.entrySet()) acquire(owner, c.getKey(), c.getValue(), deadlineNanos);
  }

  /** Withdraws a request that was not granted; if the grant won the race, releases it once. */
  public void cancel(Request r) {
    mu.lock();
    try {
      Entry e = locks.get(r.key);
      if (r.wait != null) graph.end(r.wait);
      if (e == null) return;
      if (e.queue.remove(r)) {
        r.future.completeExceptionally(new java.util.concurrent.CancellationException());
        drain(r.key, e);
      } else if (r.future.isDone() && !r.future.isCompletedExceptionally()) {
        releaseLocked(r.owner, r.key);
      }
    } finally {
      mu.unlock();
    }
  }

  /** Releases one hold of {@code key} by {@code owner}; ignored if not held. */
  public void release(Party owner, String key) {
    mu.lock();
    try {
      releaseLocked(owner, key);
    } finally {
      mu.unlock();
    }
  }

  /** Releases everything {@code owner} holds, at every re-entry depth. Call only once its thread stopped. */
  public void releaseAll(Party owner) {
    mu.lock();
    try {
      Set<String> keys = heldBy.remove(owner);
      if (keys == null) return;
      for (String key : keys) {
        Entry e = locks.get(key);
        if (e != null && e.holders.remove(owner) != null) drain(key, e);
      }
    } finally {
      mu.unlock();
    }
  }

  /** The holders of {@code key} as {@code name:mode}, in grant order (for tests, snapshots). */
  public List<String> holders(String key) {
    mu.lock();
    try {
      Entry e = locks.get(key);
      if (e == null) return List.of();
      List<String> out = new ArrayList<>();
      e.holders.forEach((p, h) -> out.add(p.name() + ":" + h.mode.name().toLowerCase(java.util.Locale.ROOT)));
      return out;
    } finally {
      mu.unlock();
    }
  }

  /** The keys {@code owner} holds now. */
  public Set<String> heldBy(Party owner) {
    mu.lock();
    try {
      return Set.copyOf(heldBy.getOrDefault(owner, Set.of()));
    } finally {
      mu.unlock();
    }
  }

  /** How many requests wait on {@code key}. */
  public int queued(String key) {
    mu.lock();
    try {
      Entry e = locks.get(key);
      return e == null ? 0 : e.queue.size();
    } finally {
      mu.unlock();
    }
  }

  // ------------------------------------------------------------------------------------- guarded by mu

  private void releaseLocked(Party owner, String key) {
    Entry e = locks.get(key);
    if (e == null) return;
    Hold h = e.holders.get(owner);
    if (h == null) return;
    if (--h.count > 0) return;
    e.holders.remove(owner);
    Set<String> mine = heldBy.get(owner);
    if (mine != null && mine.remove(key) && mine.isEmpty()) heldBy.remove(owner);
    drain(key, e);
  }

  private static boolean compatible(Entry e, Party owner, Access mode) {
    for (Map.Entry<Party, Hold> h : e.holders.entrySet()) {
      if (h.getKey().equals(owner)) continue;
      if (mode == Access.EXCLUSIVE || h.getValue().mode == Access.EXCLUSIVE) return false;
    }
    return true;
  }

  private void grant(Entry e, Request r) {
    if (!r.future.complete(null)) return; // timed out or broken meanwhile; its waiter cleans up
    Hold h = e.holders.computeIfAbsent(r.owner, o -> new Hold(r.mode));
    h.mode = h.mode.max(r.mode);
    h.count++;
    heldBy.computeIfAbsent(r.owner, o -> new LinkedHashSet<>()).add(r.key);
  }

  /** Serves the queue head while compatible, then re-points the remaining waiters' edges. */
  private void drain(String key, Entry e) {
    while (!e.queue.isEmpty()) {
      Request head = e.queue.peekFirst();
      if (head.future.isDone()) { // failed by timeout or deadlock; leaves on its own, skip now
        e.queue.pollFirst();
        if (head.wait != null) graph.end(head.wait);
        continue;
      }
      if (!compatible(e, head.owner, head.mode)) break;
      e.queue.pollFirst();
      if (head.wait != null) graph.end(head.wait);
      grant(e, head);
    }
    if (e.holders.isEmpty() && e.queue.isEmpty()) {
      locks.remove(key);
    } else {
      refreshBlockers(e);
    }
  }

  /**
   * Each waiter's blockers: an exclusive one waits for the group just ahead of it (the run of shared waiters,
   * or the one exclusive waiter), or for all other holders at the head; a shared one waits for the nearest
   * exclusive waiter ahead, or for the exclusive holders.
   */
  private void refreshBlockers(Entry e) {
    List<Party> exclusiveHolders = new ArrayList<>();
    e.holders.forEach((p, h) -> {
      if (h.mode == Access.EXCLUSIVE) exclusiveHolders.add(p);
    });
    List<Party> allHolders = List.copyOf(e.holders.keySet());
    @Nullable Party lastExclusive = null;
    List<Party> sharedRun = new ArrayList<>();
    for (Request r : e.queue) {
      List<Party> blockers;
      if (r.mode == Access.SHARED) {
        blockers = lastExclusive != null ? List.of(lastExclusive) : exclusiveHolders;
        sharedRun.add(r.owner);
      } else {
        blockers = !sharedRun.isEmpty() ? List.copyOf(sharedRun)
            : lastExclusive != null ? List.of(lastExclusive) : allHolders;
        lastExclusive = r.owner;
        sharedRun.clear();
      }
      if (r.wait != null) graph.update(r.wait, blockers);
    }
  }
}
