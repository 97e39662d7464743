package dev.baton.internal.flow;

import dev.baton.BatonContext;
import dev.baton.TurnContext;
import dev.baton.config.ProviderLimitsConfig;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.flow.ProviderLimitException;
import dev.baton.flow.ProviderLimiter;
import dev.baton.spi.ProviderQuota;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. One model provider's flow control. A call reserves the earliest instant at which it may start:
 * not before the last reservation (FIFO), not before the end of a shared pause, and where one more request (and
 * its token estimate) keeps every 60 s window of each SlidingWindow at or below its limit. If that instant is
 * past the call's deadline, the call is refused at once (P4) and nothing is reserved. Otherwise the calling
 * thread parks on a future that a timer of the injected Scheduler completes at exactly that instant: one timer
 * per waiter, so waiters start one by one in reservation order, never as a herd woken to race for a slot.
 *   Shared backoff: pauseUntil(t) moves the pause end to t (only ever later) and re-reserves every waiter that has
 * not started, in queue order, from t; one whose new instant is past its deadline fails at once.
 *   Cluster mode (a ProviderQuota): after the local instant, the call takes one unit of the fixed 60 s window's
 * counter in the shared store; if the window is full it waits for the next window (within the deadline).
 *
 * Concurrency. `lock` (a ReentrantLock, a leaf: docs/concurrency.md level 6) guards the windows, the queue,
 * lastSlot and every Waiter's mutable fields; under it only arithmetic and Scheduler.scheduleAt/cancel (which do
 * not block). Futures are completed, the graph is told, and the log is written after the lock is released.
 * pausedUntil is volatile so the fast path (no limit, no pause) reads it without the lock.
 *
 * Failure. A refusal is a ProviderLimitException with a sentence for the user. An interrupt gives the waiter's
 * reservation back and rethrows. A store failure of the quota propagates (the call fails rather than exceeding
 * the cluster's limit).
 */
/** The {@link ProviderLimiter} of one provider: sliding windows, FIFO reservations, a shared pause. */
public final class WindowLimiter implements ProviderLimiter {

  private static final Logger LOG = LoggerFactory.getLogger(WindowLimiter.class);
  /** A wait at least this long is logged at INFO (at most once per LONG_WAIT_LOG_EVERY); shorter ones at DEBUG. */
  static final Duration LONG_WAIT = Duration.ofSeconds(5);
  private static final long LONG_WAIT_LOG_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

  private static final Permit NOTHING = used -> {};

  private final String name;
  private final String resource;
  private final Scheduler scheduler;
  private final int requestsPerMinute;
  private final @Nullable SlidingWindow requests;
  private final @Nullable SlidingWindow tokens;
  private final Optional<WaitGraph> graph;
  private final Optional<ProviderQuota> quota;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
  private long lastSlot = Long.MIN_VALUE;
  private long lastLongWaitLog = Long.MIN_VALUE;
  private volatile long pausedUntil = Long.MIN_VALUE;

  private final Timer waitTimer;
  private final Counter refused;
  private final Counter startedAtOnce;
  private final Counter pauses;

  public WindowLimiter(String name, ProviderLimitsConfig limits, Scheduler scheduler, MeterRegistry meters,
      Optional<WaitGraph> graph, Optional<ProviderQuota> quota) {
    this.name = name;
    this.resource = "provider:" + name;
    this.scheduler = scheduler;
    this.requestsPerMinute = limits.requestsPerMinute();
    this.requests = limits.requestsPerMinute() > 0 ? new SlidingWindow(limits.requestsPerMinute()) : null;
    this.tokens = limits.tokensPerMinute() > 0 ? new SlidingWindow(limits.tokensPerMinute()) : null;
    this.graph = graph;
    this.quota = limits.requestsPerMinute() > 0 ? quota : Optional.empty();
    this.waitTimer = Timer.builder("baton.provider.wait").tag("provider", name)
        .description("How long model calls that had to wait waited for the provider's capacity (limits, pause)")
        .publishPercentileHistogram().register(meters);
    this.startedAtOnce = Counter.builder("baton.provider.immediate").tag("provider", name)
        .description("Model calls that started at once (no wait for the provider's capacity)").register(meters);
    this.refused = Counter.builder("baton.provider.refused").tag("provider", name)
        .description("Model calls refused because the capacity would not come before the turn's deadline")
        .register(meters);
    this.pauses = Counter.builder("baton.provider.pauses").tag("provider", name)
        .description("Shared pauses after a 429 with Retry-After (each extension counts)").register(meters);
    Gauge.builder("baton.provider.waiting", this, WindowLimiter::waiting).tag("provider", name)
        .description("Model calls waiting for the provider's capacity now").register(meters);
  }

  /** One reservation not yet started. Mutable fields guarded by the limiter's lock. */
  private static final class Waiter {
    final long deadline;
    final long tokens;
    /** Completed by the waiter's timer; created only when the waiter is queued (the fast path allocates none). */
    @Nullable CompletableFuture<Permit> started;
    long slot;
    int generation;
    boolean done;
    SlidingWindow.@Nullable Entry request;
    SlidingWindow.@Nullable Entry tokenEntry;
    Scheduler.@Nullable Cancellable timer;

    Waiter(long deadline, long tokens) {
      this.deadline = deadline;
      this.tokens = tokens;
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Permit acquire(long estimate, Instant deadline) throws InterruptedException, ProviderLimitException {
    long begin = scheduler.nanoTime();
    if (requests == null && tokens == null && pausedUntil <= begin) return NOTHING;
    long dl = nanosAt(deadline, begin);
    long n = tokens == null ? 0 : Math.min(Math.max(0, estimate), tokens.limit);
    Waiter w = new Waiter(dl, n);
    long refusedAt = Long.MIN_VALUE;
    boolean logLong = false;
    boolean immediate = false;
    boolean byPause = false;
    long reserved = 0;
    int waitingNow;
    lock.lock();
    try {
      long now = scheduler.nanoTime();
      long slot = earliest(now, n);
      if (slot > dl) {
        refusedAt = slot;
        byPause = slot == pausedUntil;
      } else {
        reserve(w, slot);
        reserved = slot;
        if (slot > now) {
          w.started = new CompletableFuture<>();
          queue.addLast(w);
          arm(w);
          if (slot - now >= LONG_WAIT.toNanos() && now - lastLongWaitLog >= LONG_WAIT_LOG_EVERY_NANOS) {
            lastLongWaitLog = now;
            logLong = true;
          }
        } else {
          w.done = true;
          immediate = true;
        }
      }
      waitingNow = queue.size();
    } finally {
      lock.unlock();
    }
    if (refusedAt != Long.MIN_VALUE) throw byPause ? pauseRefusal(refusedAt) : refusal(refusedAt, begin);
    Permit permit;
    if (immediate) {
      permit = permitOf(w);
    } else {
      long waitMs = (reserved - begin) / 1_000_000;
      if (logLong) {
        LOG.info("provider {} is at its limit: a model call waits {} ms ({} waiting)", name, waitMs, waitingNow);
      } else {
        LOG.debug("provider {}: a model call waits {} ms ({} waiting)", name, waitMs, waitingNow);
      }
      permit = await(w);
    }
    boolean waited = takeQuota(deadline, begin) || !immediate;
    if (waited) waitTimer.record(scheduler.nanoTime() - begin, TimeUnit.NANOSECONDS);
    else startedAtOnce.increment(); // a histogram update costs more than the rest of the fast path
    return permit;
  }

  /** Parks until the waiter's timer starts it; gives the reservation back if interrupted. */
  private Permit await(Waiter w) throws InterruptedException, ProviderLimitException {
    Optional<WaitGraph.Wait> edge = edge();
    try {
      return java.util.Objects.requireNonNull(w.started).get();
    } catch (InterruptedException e) {
      lock.lock();
      try {
        if (!w.done) {
          w.done = true;
          queue.remove(w);
          unreserve(w);
        }
      } finally {
        lock.unlock();
      }
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ProviderLimitException p) throw p;
      throw new IllegalStateException(e.getCause());
    } finally {
      edge.ifPresent(x -> graph.orElseThrow().end(x));
    }
  }

  /** The turn's wait as an edge of the graph (no blockers: nothing in the graph holds a provider). */
  private Optional<WaitGraph.Wait> edge() {
    Optional<TurnContext> ctx = BatonContext.current();
    if (graph.isEmpty() || ctx.isEmpty()) return Optional.empty();
    Party me = Party.turn(ctx.get().turnSeq(), "session " + ctx.get().session());
    try {
      return Optional.of(graph.get().await(me, WaitKind.PROVIDER, resource, Need.ALL, List.of(), null));
    } catch (IllegalStateException alreadyWaiting) { // the turn's party waits for something else already
      return Optional.empty();
    }
  }

  /** Cluster mode: one unit of the shared window, waiting for the next window while it is full (then true). */
  private boolean takeQuota(Instant deadline, long begin) throws InterruptedException, ProviderLimitException {
    if (quota.isEmpty()) return false;
    boolean waited = false;
    while (!quota.get().tryTake(name, scheduler.now(), requestsPerMinute)) {
      Instant next = ProviderQuota.nextWindow(scheduler.now());
      if (next.isAfter(deadline)) throw refusal(nanosAt(next, scheduler.nanoTime()), begin);
      CompletableFuture<@Nullable Void> at = new CompletableFuture<>();
      Scheduler.Cancellable timer = scheduler.schedule(Duration.between(scheduler.now(), next), () -> at.complete(null));
      waited = true;
      try {
        at.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      } finally {
        timer.cancel();
      }
    }
    return waited;
  }

  @Override
  public void pauseUntil(Instant until) {
    List<Waiter> failed = new ArrayList<>();
    int moved;
    lock.lock();
    try {
      long now = scheduler.nanoTime();
      long u = nanosAt(until, now);
      if (u <= pausedUntil || u <= now) return;
      pausedUntil = u;
      pauses.increment();
      for (Waiter w : queue) {
        unreserve(w);
        Scheduler.Cancellable t = w.timer;
        if (t != null) t.cancel();
      }
      lastSlot = Math.max(requests == null ? Long.MIN_VALUE : requests.last(),
          tokens == null ? Long.MIN_VALUE : tokens.last());
      List<Waiter> again = new ArrayList<>(queue);
      queue.clear();
      for (Waiter w : again) {
        long slot = earliest(now, w.tokens);
        if (slot > w.deadline) {
          w.done = true;
          w.slot = slot;
          failed.add(w);
        } else {
          reserve(w, slot);
          queue.addLast(w);
          arm(w);
        }
      }
      moved = queue.size();
    } finally {
      lock.unlock();
    }
    LOG.info("provider {} asked to pause (429) until {}: {} waiting calls start then, {} fail (past their deadline)",
        name, until, moved, failed.size());
    for (Waiter w : failed) {
      refused.increment();
      ProviderLimitException e = new ProviderLimitException("The model provider asked to pause until " + until
          + " (HTTP 429), which is past this turn's deadline. Please try again later.", until);
      java.util.Objects.requireNonNull(w.started).completeExceptionally(e);
    }
  }

  @Override
  public Instant pausedUntil() {
    long p = pausedUntil;
    long now = scheduler.nanoTime();
    return p == Long.MIN_VALUE ? Instant.EPOCH : scheduler.now().plusNanos(p - now);
  }

  @Override
  public int waiting() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- under the lock

  /** The earliest instant a call of {@code n} tokens may start (FIFO, pause, both windows). */
  private long earliest(long now, long n) {
    long t = Math.max(now, Math.max(lastSlot, pausedUntil));
    if (requests != null) t = requests.fit(t, 1);
    if (tokens != null) t = tokens.fit(t, n); // at a later t the request window still fits: it only empties
    return t;
  }

  private void reserve(Waiter w, long slot) {
    w.slot = slot;
    if (requests != null) {
      requests.prune(slot);
      w.request = requests.add(slot, 1);
    }
    if (tokens != null) {
      tokens.prune(slot);
      w.tokenEntry = tokens.add(slot, w.tokens);
    }
    lastSlot = Math.max(lastSlot, slot);
  }

  private void unreserve(Waiter w) {
    SlidingWindow.Entry r = w.request;
    SlidingWindow.Entry t = w.tokenEntry;
    if (requests != null && r != null) requests.remove(r);
    if (tokens != null && t != null) tokens.remove(t);
    w.request = null;
    w.tokenEntry = null;
  }

  private void arm(Waiter w) {
    int gen = ++w.generation;
    w.timer = scheduler.scheduleAt(w.slot, () -> wake(w, gen));
  }

  /** The waiter's timer: starts it unless it was re-reserved (another generation), cancelled or failed. */
  private void wake(Waiter w, int generation) {
    boolean start = false;
    lock.lock();
    try {
      if (!w.done && w.generation == generation) {
        w.done = true;
        queue.remove(w);
        start = true;
      }
    } finally {
      lock.unlock();
    }
    if (start) java.util.Objects.requireNonNull(w.started).complete(permitOf(w));
  }

  private Permit permitOf(Waiter w) {
    SlidingWindow.Entry e = w.tokenEntry;
    SlidingWindow window = tokens;
    if (window == null || e == null) return NOTHING;
    return used -> {
      lock.lock();
      try {
        window.correct(e, Math.max(0, used));
      } finally {
        lock.unlock();
      }
    };
  }

  /** The call came during a pause (429) that lasts past its deadline. */
  private ProviderLimitException pauseRefusal(long at) {
    refused.increment();
    Instant until = scheduler.now().plusNanos(at - scheduler.nanoTime());
    LOG.info("provider {}: a model call refused, the provider's pause (429) lasts until {}, after the turn's deadline",
        name, until);
    return new ProviderLimitException("The model provider asked to pause until " + until + " (HTTP 429), which is"
        + " past this turn's deadline. Please try again later.", until);
  }

  private ProviderLimitException refusal(long at, long now) {
    refused.increment();
    long seconds = Math.max(1, (at - now + 999_999_999L) / 1_000_000_000L);
    Instant when = scheduler.now().plusNanos(at - scheduler.nanoTime());
    LOG.info("provider {}: a model call refused, its capacity comes in {} s, after the turn's deadline", name, seconds);
    return new ProviderLimitException("The model provider's rate limit leaves no room for this request before the"
        + " turn's deadline (the next free slot is in " + seconds + " s). Please try again later.", when);
  }

  /** {@code t} on the scheduler's nanosecond clock, given that {@code nowNanos} is now; saturating. */
  private long nanosAt(Instant t, long nowNanos) {
    try {
      return Math.addExact(nowNanos, Duration.between(scheduler.now(), t).toNanos());
    } catch (ArithmeticException e) {
      return t.isBefore(scheduler.now()) ? Long.MIN_VALUE + 1 : Long.MAX_VALUE;
    }
  }
}
