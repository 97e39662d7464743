package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.BatonJson;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.Tool;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/*
 * Overview. Runs one tool call from the agent's request to its result: find the tool, parse the arguments,
 * fix the call's deadline (the tool's timeout or agent.tool_call_timeout_ms, never past the turn's), then
 * either run it (CallThreads: its own holder thread, locks, the deadline wait) or, when it has an
 * idempotency key, let IdempotentCalls settle it first (replay a record, join a call in flight with the same
 * key, or run and record) (P4, P5, P6). Counts every outcome (baton.tool.calls{tool, outcome}).
 *
 * Concurrency. Thread-safe; one instance serves all sessions. The registry is set once by install(), before
 * any call (the built-in tools need the runner, so they are made after it); the rest is final.
 */
final class CallRunner {

  record Settings(Duration defaultTimeout, Duration retention, Path workspaceRoot) {}

  private volatile Registry registry = new Registry(List.of()); // set once by install(), before any call
  private final CallThreads threads;
  private final IdempotentCalls idempotent;
  private final Scheduler scheduler;
  private final MeterRegistry meters;
  private final Settings settings;
  private final AtomicLong callSeq = new AtomicLong();

  CallRunner(LockManager locks, WaitGraph graph, IdempotencyRecords records,
      Scheduler scheduler, MeterRegistry meters, Settings settings, @Nullable ClusterLocks cluster, ToolLimits limits) {
    this.threads = new CallThreads(locks, graph, scheduler, meters, cluster, limits);
    this.idempotent = new IdempotentCalls(records, graph, scheduler, settings.retention());
    this.scheduler = scheduler;
    this.meters = meters;
    this.settings = settings;
  }

  /** Tells {@code o} of each call and lock wait (the console's timeline); before the first call. */
  void observer(dev.baton.spi.TimelineObserver o) {
    threads.observer(o);
    threads.locks().observer(o);
  }

  /** Installs the tools (the built-ins need the runner, so the registry comes after it). */
  void install(Registry r) {
    this.registry = r;
  }

  LockManager locks() {
    return threads.locks();
  }

  WaitGraph graph() {
    return threads.graph();
  }

  Registry registry() {
    return registry;
  }

  /** {@code tools.workspace_root}, absolute; SafePaths names the folders under it. */
  Path workspaceRoot() {
    return settings.workspaceRoot();
  }

  /** Runs {@code call} for the turn; blocks the caller until it ends or its deadline passes. */
  ToolResult run(TurnContext turn, SessionState state, ToolCall call, Consumer<Party> waitStarts,
      Consumer<Party> waitEnds) throws InterruptedException {
    Optional<Tool> found = registry.find(call.tool());
    if (found.isEmpty()) return count(call.tool(), fail("unknown_tool", "no tool named '" + call.tool() + "'"));
    Tool tool = found.get();
    JsonNode args;
    try {
      args = BatonJson.parse(call.argumentsJson());
    } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
      // BatonJson's limits (strings up to 1 MiB, numbers up to 40 digits, 64 levels): say which, not "invalid"
      return count(tool.name(), fail("too_large", "arguments exceed a JSON limit (a string of at most 1 MiB,"
          + " a number of at most 40 digits, at most 64 levels of nesting)"));
    } catch (Exception e) {
      return count(tool.name(), fail("invalid_arguments", "arguments are not valid JSON (or repeat a key)"));
    }
    if (args == null || !args.isObject()) return count(tool.name(), fail("invalid_arguments", "arguments must be a JSON object"));
    Duration timeout = tool.timeout().orElse(settings.defaultTimeout());
    Duration turnLeft = Duration.between(scheduler.now(), turn.deadline());
    if (turnLeft.compareTo(timeout) < 0) timeout = turnLeft;
    if (timeout.isNegative() || timeout.isZero()) return count(tool.name(), fail("timeout", "the turn has no time left"));
    long deadlineNanos = scheduler.nanoTime() + timeout.toNanos();
    Party party = Party.call(callSeq.incrementAndGet(), "session " + turn.session() + ", tool " + tool.name());
    Optional<String> key = call.idempotencyKey().or(() -> tool.idempotencyKey(args));
    CallThreads.Finish finish = CallThreads.Finish.NONE;
    if (key.isPresent()) {
      Duration t = timeout;
      switch (idempotent.claim(turn.session(), tool.name(), key.get(), BatonJson.hash(args), party)) {
        case IdempotentCalls.Claim.Answered a -> {
          return count(tool.name(), a.result());
        }
        case IdempotentCalls.Claim.Joined j -> {
          return count(tool.name(), idempotent.awaitFirst(j.first(), party,
              view -> threads.await(view, party, t, deadlineNanos, false, waitStarts, waitEnds)));
        }
        case IdempotentCalls.Claim.Runs r -> finish = r.finish();
      }
    }
    CallContext ctx = new CallContext(party, turn, state, threads, settings.workspaceRoot(), deadlineNanos,
        scheduler.now().plus(timeout));
    CompletableFuture<ToolResult> done = threads.start(tool, args, ctx, timeout, finish);
    return count(tool.name(), threads.await(done, party, timeout, deadlineNanos, true, waitStarts, waitEnds));
  }

  static ToolResult fail(String code, String message) {
    return new ToolResult.Failed(code, message);
  }

  /** The message of an exception Baton made (they all carry one), for a result the agent reads. */
  static String messageOf(Throwable e) {
    String m = e.getMessage();
    return m != null ? m : e.getClass().getSimpleName();
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
