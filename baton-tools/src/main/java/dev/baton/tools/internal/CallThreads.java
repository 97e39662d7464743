package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.BatonContext;
import dev.baton.DeadlockException;
import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.BatonJson;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.Scheduler;
import dev.baton.spi.StoreException;
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolException;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. The thread side of a tool call. start() runs the call on its own virtual thread (the holder
 * thread) with the turn's context bound (P7): take the declared locks in global order (then, in cluster
 * mode, the same claims across nodes), execute, and - in that thread's finally, so never while tool code
 * still runs - release every lock, hand the outcome to the call's Finish (idempotency records it) and
 * complete the call's future. await() makes the caller wait for that future at most until the call's
 * deadline (P4); at the deadline the holder thread is interrupted and the caller gets `timeout` at once. A
 * tool that ignores interruption keeps its locks until it really stops; the graph's watchdog reports it as
 * stuck.
 *
 * Limits (tools.limits): a limited tool's call first passes its ToolGate on the holder thread (a slot, then
 * its start time, FIFO, by the call's deadline), then takes its locks; it leaves the gate in the finally,
 * after its locks, so the next call of the tool starts only when this one really stopped.
 *
 * Cluster mode (a ClusterLocks was given): after the local locks, the holder takes the same claims, in the
 * same key order, across nodes by the call's deadline; they are released in the finally just before the
 * local ones. Local cycles are therefore found by the graph before anything is asked of the database; a
 * cross-node cycle (invisible to the graph) ends at a call's deadline with `timeout` (docs/storage.md, "Tool
 * locks across nodes"). Without ClusterLocks the field is null and nothing else is done.
 *
 * Concurrency. Thread-safe; one instance serves all calls. The holder threads are in a ConcurrentHashMap by
 * party, from just before their start until their call's future completes, so a deadline or an interrupted
 * caller can interrupt them. A call's future completes only normally, on its holder thread.
 *
 * Failure. Whatever the tool throws becomes the call's result (a ToolResult.Failed); the holder thread
 * itself never fails.
 */
final class CallThreads {
  private static final Logger log = LoggerFactory.getLogger(CallThreads.class);

  /**
   * What happens with a call's outcome on its holder thread, after its locks are released and before its
   * caller sees it. {@code recordable} says whether the record policy (P6) allows recording it.
   */
  @FunctionalInterface
  interface Finish {
    Finish NONE = (result, recordable) -> result;

    ToolResult apply(ToolResult result, boolean recordable);
  }

  private final LockManager locks;
  private final WaitGraph graph;
  private final Scheduler scheduler;
  private final MeterRegistry meters;
  /** Cross-node locks (cluster mode), or null: then no call pays anything for them. */
  private final @Nullable ClusterLocks cluster;
  private final ConcurrentHashMap<Party, Thread> holderThreads = new ConcurrentHashMap<>();
  /** tools.limits: the gate a call of a limited tool passes before its locks. */
  private final ToolLimits limits;
  /** Told of each call's start and end (the console's timeline); null (one check per call) without one. */
  private volatile dev.baton.spi.@Nullable TimelineObserver observer;

  CallThreads(LockManager locks, WaitGraph graph, Scheduler scheduler, MeterRegistry meters,
      @Nullable ClusterLocks cluster, ToolLimits limits) {
    this.limits = limits;
    this.locks = locks;
    this.graph = graph;
    this.scheduler = scheduler;
    this.meters = meters;
    this.cluster = cluster;
  }

  /** Tells {@code o} of each call's start and end (set before the first call). */
  void observer(dev.baton.spi.TimelineObserver o) {
    this.observer = o;
  }

  LockManager locks() {
    return locks;
  }

  WaitGraph graph() {
    return graph;
  }

  boolean clustered() {
    return cluster != null;
  }

  /** Starts the holder thread of {@code ctx}'s call; the future completes when it has stopped and released everything. */
  CompletableFuture<ToolResult> start(Tool tool, JsonNode args, CallContext ctx, Duration timeout, Finish finish) {
    CompletableFuture<ToolResult> done = new CompletableFuture<>();
    Party party = ctx.party;
    // Tracing: the caller's context (the turn's span) is the parent; the holder thread makes the call's current.
    io.opentelemetry.context.Context parent = io.opentelemetry.context.Context.current();
    dev.baton.spi.TimelineObserver obs = observer;
    Runnable body = () -> {
      ToolResult result = CallRunner.fail("tool_error", "call failed");
      boolean recordable = false;
      graph.callStarted(party, timeout);
      if (obs != null) obs.callStarted(ctx.turn(), party.name(), tool.name());
      ToolGate gate = limits.gate(tool.name());
      io.opentelemetry.api.trace.Span span = ToolSpans.call(parent, tool.name());
      try (var scope = span == null ? null : parent.with(span).makeCurrent()) {
        io.opentelemetry.api.trace.Span wait = ToolSpans.lockWait(span, parent);
        Map<String, Access> claims = new TreeMap<>();
        try {
          // tools.limits before the locks: a call waiting for its tool's slot or rate holds nothing else
          if (gate != null) gate.enter(party, ctx.deadlineNanos());
          for (Resource r : tool.resources(args, ctx)) claims.merge(r.key(), r.access(), Access::max);
          locks.acquireAll(party, claims, ctx.deadlineNanos());
          if (cluster != null && !claims.isEmpty()) ctx.holdCluster(acquireCluster(party, claims, ctx.deadline()));
        } catch (Throwable e) {
          ToolSpans.endWait(wait, claims.size(), e);
          wait = null;
          throw e;
        } finally {
          ToolSpans.endWait(wait, claims.size(), null);
        }
        // A grant (slot, lock) can race with the deadline's timer (another call's leave at the same instant): a
        // call whose time is up never starts its tool, so a caller told `timeout` while waiting ran nothing.
        if (scheduler.nanoTime() >= ctx.deadlineNanos() || Thread.currentThread().isInterrupted()) {
          throw new ToolException("timeout", "the call reached its deadline before the tool could start", true);
        }
        graph.progress(party);
        JsonNode out = tool.execute(args, ctx);
        result = new ToolResult.Ok(BatonJson.print(out == null ? ctx.json().nullNode() : out));
        recordable = true;
      } catch (ToolException e) {
        result = CallRunner.fail(e.code(), CallRunner.messageOf(e));
        recordable = !e.retriable();
      } catch (DeadlockException e) {
        result = CallRunner.fail("deadlock", CallRunner.messageOf(e));
      } catch (LockTimeoutException e) {
        result = CallRunner.fail("timeout", "locks were not free within the call's time");
      } catch (ClusterLocks.ClusterLockTimeoutException e) {
        result = CallRunner.fail("timeout", CallRunner.messageOf(e));
      } catch (InterruptedException e) {
        result = CallRunner.fail("timeout", "the call was interrupted at its deadline or cancelled");
      } catch (Exception e) {
        log.warn("tool {} failed: {}", tool.name(), e.getClass().getName());
        result = CallRunner.fail("tool_error", "tool '" + tool.name() + "' failed (" + e.getClass().getSimpleName() + ")");
      } finally {
        ctx.releaseCluster(); // cluster locks go first: no other node gets in while this node still holds
        locks.releaseAll(party); // the holder thread has stopped running tool code: now, and only now
        if (gate != null) gate.leave(party);
        graph.callEnded(party);
        result = finish.apply(result, recordable);
        ToolSpans.endCall(span, result);
        if (obs != null) obs.callEnded(ctx.turn(), party.name(), tool.name(), outcomeOf(result));
        done.complete(result);
      }
    };
    Thread t = Thread.ofVirtual().name("baton-tool-" + party.id())
        .unstarted(() -> ScopedValue.where(BatonContext.CURRENT, ctx.turn()).run(body));
    holderThreads.put(party, t);
    done.whenComplete((r, e) -> holderThreads.remove(party));
    t.start();
    return done;
  }

  /**
   * Takes a call's cross-node locks: the same resources as its local locks, in the same (key) order, by the
   * call's deadline. A store failure fails the call as retriable; the tool did not run. Metrics: the wait
   * ({@code baton.cluster.lock.wait}), and {@code baton.lock.failed{cause=cluster_timeout|cluster_unavailable}}.
   */
  ClusterLocks.Held acquireCluster(Party party, Map<String, Access> ordered, Instant deadline)
      throws InterruptedException {
    ClusterLocks c = Objects.requireNonNull(cluster, "cluster locks are taken in cluster mode only");
    List<ClusterLocks.Claim> claims = new ArrayList<>(ordered.size());
    StringBuilder what = new StringBuilder("cluster");
    ordered.forEach((k, a) -> {
      claims.add(new ClusterLocks.Claim(k, a == Access.EXCLUSIVE));
      what.append(' ').append(k).append(" (").append(a.name().toLowerCase(Locale.ROOT)).append(')');
    });
    // Shown in the graph's snapshot; with no local blockers it can never close a local cycle.
    WaitGraph.Wait shown = graph.await(party, WaitKind.LOCK, what.toString(), Need.ALL, List.of(), null);
    long start = scheduler.nanoTime();
    try {
      ClusterLocks.Held held = c.acquire(claims, deadline);
      meters.timer("baton.cluster.lock.wait").record(scheduler.nanoTime() - start, TimeUnit.NANOSECONDS);
      return held;
    } catch (ClusterLocks.ClusterLockTimeoutException e) {
      meters.counter("baton.lock.failed", "cause", "cluster_timeout").increment();
      throw e;
    } catch (StoreException e) {
      meters.counter("baton.lock.failed", "cause", "cluster_unavailable").increment();
      log.warn("cluster locks unavailable: {}", e.getClass().getName());
      throw new ToolException("unavailable", "cluster locks could not be taken (the database did not answer)", true);
    } finally {
      graph.end(shown);
    }
  }

  /**
   * Waits for a call's completion until its deadline. At the deadline (or if the caller is interrupted) the
   * holder thread is interrupted if {@code owner} (the caller started it; a repeat waiting for the first call
   * is not its owner); the caller returns at once, the holder keeps its locks until it stops.
   *
   * @param waitStarts told before the caller starts waiting, {@code waitEnds} after (the turn's OWN_CALLS wait)
   */
  ToolResult await(CompletableFuture<ToolResult> done, Party party, Duration timeout, long deadlineNanos,
      boolean owner, Consumer<Party> waitStarts, Consumer<Party> waitEnds) throws InterruptedException {
    CompletableFuture<ToolResult> view = new CompletableFuture<>();
    done.thenAccept(view::complete);
    // The timer counts to the call's absolute deadline (fixed when the call began), not a fresh timeout.
    Runnable expire = () -> {
      if (view.complete(CallRunner.fail("timeout", "the call did not finish within " + timeout.toMillis() + " ms"))
          && owner) {
        interruptHolder(party);
      }
    };
    long remaining = deadlineNanos - scheduler.nanoTime();
    Scheduler.Cancellable timer;
    if (remaining <= 0) {
      expire.run();
      timer = () -> false;
    } else {
      timer = scheduler.scheduleAt(deadlineNanos, expire);
      if (scheduler.nanoTime() >= deadlineNanos) expire.run(); // time passed the deadline while arming
    }
    waitStarts.accept(party);
    try {
      return view.get();
    } catch (InterruptedException e) {
      if (owner) interruptHolder(party);
      throw e;
    } catch (ExecutionException e) {
      // view completes only normally (done never fails: its holder thread completes it with a result)
      throw new IllegalStateException("a call's completion failed", e);
    } finally {
      timer.cancel();
      waitEnds.accept(party);
    }
  }

  private static String outcomeOf(ToolResult result) {
    return switch (result) {
      case ToolResult.Ok ok -> ok.replayed() ? "replayed" : "ok";
      case ToolResult.Failed f -> f.code();
    };
  }

  private void interruptHolder(Party party) {
    Thread t = holderThreads.get(party);
    if (t != null) t.interrupt();
  }
}
