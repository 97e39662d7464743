package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.BatonContext;
import dev.baton.DeadlockException;
import dev.baton.SessionKey;
import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.internal.deadlock.WaitForGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.Scheduler;
import dev.baton.spi.StoreException;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolException;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. Runs one tool call: find the tool, parse the arguments, settle idempotency (replay a record, join
 * a call in flight with the same key, or run), then run it on its own virtual thread (the holder thread) with
 * the turn's context bound (P7): take the declared locks in global order, execute, and - in that thread's
 * finally, so never while it still runs - release every lock, record the outcome and complete the call.
 * The caller waits for the completion at most until the call's deadline (P4); at the deadline the holder
 * thread is interrupted and the caller gets `timeout` at once. A tool that ignores interruption keeps its
 * locks until it really stops; the graph's sweep reports it as stuck.
 *
 * Cluster mode (a ClusterLocks was given): after the local locks, the holder takes the same claims, in the
 * same key order, across nodes by the call's deadline; they are released in the finally just before the
 * local ones. Local cycles are therefore found by the graph before anything is asked of the database; a
 * cross-node cycle (invisible to the graph) ends at a call's deadline with `timeout` (docs/storage.md, "Tool
 * locks across nodes"). Without ClusterLocks the field is null and nothing else is done.
 *
 * Record policy (P6). Recorded (a repeat replays it without running): success, and a ToolException that is
 * not retriable (a deterministic refusal). Not recorded (a repeat runs again): timeout, cancellation,
 * deadlock victim, retriable ToolException, any other exception. A call that finishes after its caller gave
 * up is recorded by what it really did.
 *
 * Concurrency. Thread-safe; one instance serves all sessions. In-flight calls are in a ConcurrentHashMap of
 * futures (created outside, published with putIfAbsent: STYLE 9). A repeat waiting for the first is an edge
 * of the wait-for graph (DUPLICATE_CALL), as is a turn waiting for its calls (OWN_CALLS, see SessionTools).
 */
final class CallRunner {
  private static final Logger log = LoggerFactory.getLogger(CallRunner.class);

  record Settings(Duration defaultTimeout, Duration retention, Path workspaceRoot) {}

  private record FlightKey(SessionKey session, String tool, String key) {}

  private record Flight(String argumentsHash, Party party, CompletableFuture<ToolResult> done) {}

  private volatile Registry registry = new Registry(List.of()); // set once by install(), before any call
  private final LockManager locks;
  private final WaitForGraph graph;
  private final IdempotencyRecords records;
  private final Scheduler scheduler;
  private final MeterRegistry meters;
  private final Settings settings;
  /** Cross-node locks (cluster mode), or null: then no call pays anything for them. */
  private final @Nullable ClusterLocks cluster;
  private final ConcurrentHashMap<FlightKey, Flight> inFlight = new ConcurrentHashMap<>();
  private final AtomicLong callSeq = new AtomicLong();

  CallRunner(LockManager locks, WaitForGraph graph, IdempotencyRecords records,
      Scheduler scheduler, MeterRegistry meters, Settings settings, @Nullable ClusterLocks cluster) {
    this.cluster = cluster;
    this.locks = locks;
    this.graph = graph;
    this.records = records;
    this.scheduler = scheduler;
    this.meters = meters;
    this.settings = settings;
  }

  /** Installs the tools (the built-ins need the runner, so the registry comes after it). */
  void install(Registry r) {
    this.registry = r;
  }

  LockManager locks() {
    return locks;
  }

  WaitForGraph graph() {
    return graph;
  }

  Registry registry() {
    return registry;
  }

  Path sharedRoot() {
    return settings.workspaceRoot().resolve("shared");
  }

  Path workspaceOf(SessionKey s) {
    String safe = s.value().replaceAll("[^A-Za-z0-9._-]", "_");
    if (safe.length() > 40) safe = safe.substring(0, 40);
    return settings.workspaceRoot().resolve("sessions").resolve(safe + "-" + Json.sha256(s.value()).substring(0, 12));
  }

  /** Runs {@code call} for the turn; blocks the caller until it ends or its deadline passes. */
  ToolResult run(TurnContext turn, SessionState state, ToolCall call, Consumer<Party> waitStarts,
      Consumer<Party> waitEnds) throws InterruptedException {
    Optional<Tool> found = registry.find(call.tool());
    if (found.isEmpty()) return count(call.tool(), fail("unknown_tool", "no tool named '" + call.tool() + "'"));
    Tool tool = found.get();
    JsonNode args;
    try {
      args = Json.parse(call.argumentsJson());
    } catch (Exception e) {
      return count(tool.name(), fail("invalid_arguments", "arguments are not valid JSON"));
    }
    if (args == null || !args.isObject()) return count(tool.name(), fail("invalid_arguments", "arguments must be a JSON object"));
    Duration timeout = tool.timeout().orElse(settings.defaultTimeout());
    Duration turnLeft = Duration.between(scheduler.now(), turn.deadline());
    if (turnLeft.compareTo(timeout) < 0) timeout = turnLeft;
    if (timeout.isNegative() || timeout.isZero()) return count(tool.name(), fail("timeout", "the turn has no time left"));
    long deadlineNanos = scheduler.nanoTime() + timeout.toNanos();
    Party party = Party.call(callSeq.incrementAndGet(), "session " + turn.session() + ", tool " + tool.name());
    Optional<String> key = call.idempotencyKey().or(() -> tool.idempotencyKey(args));
    if (key.isEmpty()) {
      CompletableFuture<ToolResult> done = start(tool, args, turn, state, party, timeout, deadlineNanos, null);
      return count(tool.name(), await(done, party, timeout, deadlineNanos, true, waitStarts, waitEnds));
    }
    String hash = Json.hash(args);
    FlightKey fk = new FlightKey(turn.session(), tool.name(), key.get());
    Optional<ToolResult> stored = replay(fk, hash);
    if (stored.isPresent()) return count(tool.name(), stored.get());
    Flight mine = new Flight(hash, party, new CompletableFuture<>());
    Flight first = inFlight.putIfAbsent(fk, mine);
    if (first != null) {
      if (!first.argumentsHash().equals(hash)) return count(tool.name(), conflict(key.get()));
      return count(tool.name(), awaitDuplicate(first, party, timeout, deadlineNanos, waitStarts, waitEnds));
    }
    stored = replay(fk, hash); // a first call may have finished between the lookup and our publication
    if (stored.isPresent()) {
      inFlight.remove(fk, mine);
      mine.done().complete(stored.get());
      return count(tool.name(), stored.get());
    }
    // The flight ends on the holder thread before the caller can see the result: a repeat the caller makes
    // as soon as it has the result must not find this flight and wait for it instead of running.
    CompletableFuture<ToolResult> done = start(tool, args, turn, state, party, timeout, deadlineNanos, fk, hash,
        r -> {
          inFlight.remove(fk, mine);
          mine.done().complete(r);
        });
    return count(tool.name(), await(done, party, timeout, deadlineNanos, true, waitStarts, waitEnds));
  }

  private CompletableFuture<ToolResult> start(Tool tool, JsonNode args, TurnContext turn, SessionState state,
      Party party, Duration timeout, long deadlineNanos, FlightKey fk) {
    return start(tool, args, turn, state, party, timeout, deadlineNanos, fk, "", r -> {});
  }

  /** Starts the holder thread; the future completes when it has stopped and released everything. */
  private CompletableFuture<ToolResult> start(Tool tool, JsonNode args, TurnContext turn, SessionState state,
      Party party, Duration timeout, long deadlineNanos, FlightKey fk, String hash, Consumer<ToolResult> ended) {
    CompletableFuture<ToolResult> done = new CompletableFuture<>();
    Instant deadline = scheduler.now().plus(timeout);
    CallContext ctx = new CallContext(party, turn, state, this, deadlineNanos, deadline);
    Runnable body = () -> {
      ToolResult result = fail("tool_error", "call failed");
      boolean record = false;
      graph.callStarted(party, timeout);
      try {
        Map<String, Access> claims = new TreeMap<>();
        for (Resource r : tool.resources(args, ctx)) claims.merge(r.key(), r.access(), Access::max);
        locks.acquireAll(party, claims, deadlineNanos);
        if (cluster != null && !claims.isEmpty()) ctx.holdCluster(acquireCluster(party, claims, deadline));
        graph.progress(party);
        JsonNode out = tool.execute(args, ctx);
        result = new ToolResult.Ok(Json.print(out == null ? ctx.json().nullNode() : out));
        record = true;
      } catch (ToolException e) {
        result = fail(e.code(), e.getMessage());
        record = !e.retriable();
      } catch (DeadlockException e) {
        result = fail("deadlock", e.getMessage());
      } catch (LockTimeoutException e) {
        result = fail("timeout", "locks were not free within the call's time");
      } catch (ClusterLocks.ClusterLockTimeoutException e) {
        result = fail("timeout", e.getMessage());
      } catch (InterruptedException e) {
        result = fail("timeout", "the call was interrupted at its deadline or cancelled");
      } catch (Exception e) {
        log.warn("tool {} failed: {}", tool.name(), e.getClass().getName());
        result = fail("tool_error", "tool '" + tool.name() + "' failed (" + e.getClass().getSimpleName() + ")");
      } finally {
        ctx.releaseCluster(); // cluster locks go first: no other node gets in while this node still holds
        locks.releaseAll(party); // the holder thread has stopped running tool code: now, and only now
        graph.callEnded(party);
        if (record && fk != null) result = store(fk, hash, result);
        ended.accept(result);
        done.complete(result);
      }
    };
    Thread t = Thread.ofVirtual().name("baton-tool-" + party.id())
        .unstarted(() -> ScopedValue.where(BatonContext.CURRENT, turn).run(body));
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
    ClusterLocks c = Objects.requireNonNull(cluster);
    List<ClusterLocks.Claim> claims = new ArrayList<>(ordered.size());
    StringBuilder what = new StringBuilder("cluster");
    ordered.forEach((k, a) -> {
      claims.add(new ClusterLocks.Claim(k, a == Access.EXCLUSIVE));
      what.append(' ').append(k).append(" (").append(a.name().toLowerCase(java.util.Locale.ROOT)).append(')');
    });
    // Shown in the graph's snapshot; with no local blockers it can never close a local cycle.
    WaitForGraph.Wait shown = graph.await(party, WaitKind.LOCK, what.toString(), Need.ALL, List.of(), null);
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

  boolean clustered() {
    return cluster != null;
  }

  private final ConcurrentHashMap<Party, Thread> holderThreads = new ConcurrentHashMap<>();

  /**
   * Waits for a call's completion until its deadline. At the deadline (or if the caller is interrupted) the
   * holder thread is interrupted if {@code owner}; the caller returns at once, the holder keeps its locks
   * until it stops.
   */
  private ToolResult await(CompletableFuture<ToolResult> done, Party party, Duration timeout, long deadlineNanos,
      boolean owner, Consumer<Party> waitStarts, Consumer<Party> waitEnds) throws InterruptedException {
    CompletableFuture<ToolResult> view = new CompletableFuture<>();
    done.whenComplete((r, e) -> view.complete(r));
    // The timer counts to the call's absolute deadline (fixed when the call began), not a fresh timeout.
    Runnable expire = () -> {
      if (view.complete(fail("timeout", "the call did not finish within " + timeout.toMillis() + " ms")) && owner) {
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
      return fail("tool_error", "call failed");
    } finally {
      timer.cancel();
      waitEnds.accept(party);
    }
  }

  private ToolResult awaitDuplicate(Flight first, Party me, Duration timeout, long deadlineNanos,
      Consumer<Party> waitStarts,
      Consumer<Party> waitEnds) throws InterruptedException {
    CompletableFuture<ToolResult> view = new CompletableFuture<>();
    WaitForGraph.Wait w = graph.await(me, WaitKind.DUPLICATE_CALL, "result of " + first.party().name(), Need.ALL,
        List.of(first.party()), e -> view.complete(fail("deadlock", e.getMessage())));
    try {
      first.done().whenComplete((r, e) -> view.complete(r == null ? fail("tool_error", "call failed") : replayed(r)));
      return await(view, me, timeout, deadlineNanos, false, waitStarts, waitEnds);
    } finally {
      graph.end(w);
    }
  }

  private void interruptHolder(Party party) {
    Thread t = holderThreads.get(party);
    if (t != null) t.interrupt();
  }

  private Optional<ToolResult> replay(FlightKey fk, String hash) {
    Optional<IdempotencyRecords.Record> r = records.find(fk.session(), fk.tool(), fk.key());
    if (r.isEmpty() || !r.get().expiresAt().isAfter(scheduler.now())) return Optional.empty();
    if (!r.get().argumentsHash().equals(hash)) return Optional.of(conflict(fk.key()));
    return Optional.of(fromRecord(r.get()));
  }

  private ToolResult store(FlightKey fk, String hash, ToolResult result) {
    String outcome = result instanceof ToolResult.Failed f ? f.code() : "ok";
    String payload = switch (result) {
      case ToolResult.Ok ok -> ok.json();
      case ToolResult.Failed f -> f.message();
    };
    IdempotencyRecords.Record rec = new IdempotencyRecords.Record(hash, outcome, payload,
        scheduler.now().plus(settings.retention()));
    try {
      IdempotencyRecords.Record kept = records.putIfAbsent(fk.session(), fk.tool(), fk.key(), rec);
      return kept == rec || kept.equals(rec) ? result : fromRecord(kept);
    } catch (RuntimeException e) {
      log.warn("could not record the result of tool {}: {}", fk.tool(), e.getClass().getName());
      return result;
    }
  }

  private static ToolResult fromRecord(IdempotencyRecords.Record r) {
    return r.outcome().equals("ok") ? new ToolResult.Ok(r.result(), true) : new ToolResult.Failed(r.outcome(), r.result());
  }

  private static ToolResult replayed(ToolResult r) {
    return r instanceof ToolResult.Ok ok ? new ToolResult.Ok(ok.json(), true) : r;
  }

  private static ToolResult conflict(String key) {
    return fail("conflict", "idempotency key '" + key + "' was already used with different arguments");
  }

  static ToolResult fail(String code, String message) {
    return new ToolResult.Failed(code, message);
  }

  private ToolResult count(String tool, ToolResult r) {
    String outcome = switch (r) {
      case ToolResult.Ok ok -> ok.replayed() ? "replayed" : "ok";
      case ToolResult.Failed f -> f.code();
    };
    meters.counter("baton.tool.calls", "tool", registry.find(tool).isPresent() ? tool : "unknown", "outcome", outcome)
        .increment();
    return r;
  }
}
