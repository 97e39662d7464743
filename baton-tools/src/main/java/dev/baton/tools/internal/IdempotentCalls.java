package dev.baton.tools.internal;

import dev.baton.SessionKey;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.ToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. The calls that carry an idempotency key (P6): for (session, tool, key) a call either gets the
 * stored record (replayed, or `conflict` if the arguments differ), or joins a first call with the same key
 * that is still in flight (and gets its result), or becomes the first and runs; when it ends, its outcome is
 * recorded if the record policy says so and its flight ends. A repeat that waits for the first is an edge of
 * the wait-for graph (DUPLICATE_CALL), so a cycle through it is found like any other.
 *
 * Record policy. Recorded (a repeat replays it without running): success, and a ToolException that is not
 * retriable (a deterministic refusal). Not recorded (a repeat runs again): timeout, cancellation, deadlock
 * victim, retriable ToolException, any other exception. CallThreads decides which outcome is recordable;
 * a call that finishes after its caller gave up is recorded by what it really did.
 *
 * Concurrency. Thread-safe; one instance serves all sessions. Flights are in a ConcurrentHashMap, created
 * outside and published with putIfAbsent (STYLE 9). A flight ends (leaves the map, completes its future) on
 * the first call's holder thread before that call's caller can see the result, so a repeat made as soon as
 * the caller has it cannot find the flight and wait for it instead of replaying the record.
 *
 * Failure. A record that cannot be written is logged; the call's result is still returned (unrecorded, so a
 * repeat runs again).
 */
final class IdempotentCalls {
  private static final Logger log = LoggerFactory.getLogger(IdempotentCalls.class);

  private record FlightKey(SessionKey session, String tool, String key) {}

  /** A first call in flight: a repeat with the same key waits for {@code done}. */
  record Flight(String argumentsHash, Party party, CompletableFuture<ToolResult> done) {}

  /** What a keyed call does: return at once, wait for the first call, or run. */
  sealed interface Claim {
    /** A stored result or a conflict: nothing runs. */
    record Answered(ToolResult result) implements Claim {}

    /** A first call with the same key and arguments is in flight: wait for it ({@link #awaitFirst}). */
    record Joined(Flight first) implements Claim {}

    /** This call is the first: run it, and hand its outcome to {@code finish} on its holder thread. */
    record Runs(CallThreads.Finish finish) implements Claim {}
  }

  /** How a repeat waits for its view of the first call's result (bounded by the repeat's own deadline). */
  @FunctionalInterface
  interface Waiter {
    ToolResult await(CompletableFuture<ToolResult> view) throws InterruptedException;
  }

  private final IdempotencyRecords records;
  private final WaitGraph graph;
  private final Scheduler scheduler;
  private final Duration retention;
  private final ConcurrentHashMap<FlightKey, Flight> inFlight = new ConcurrentHashMap<>();

  IdempotentCalls(IdempotencyRecords records, WaitGraph graph, Scheduler scheduler, Duration retention) {
    this.records = records;
    this.graph = graph;
    this.scheduler = scheduler;
    this.retention = retention;
  }

  /** Settles a call with {@code key} whose arguments hash to {@code hash}; {@code party} is the call. */
  Claim claim(SessionKey session, String tool, String key, String hash, Party party) {
    FlightKey fk = new FlightKey(session, tool, key);
    Optional<ToolResult> stored = replay(fk, hash);
    if (stored.isPresent()) return new Claim.Answered(stored.get());
    Flight mine = new Flight(hash, party, new CompletableFuture<>());
    Flight first = inFlight.putIfAbsent(fk, mine);
    if (first != null) {
      return first.argumentsHash().equals(hash) ? new Claim.Joined(first) : new Claim.Answered(conflict(key));
    }
    stored = replay(fk, hash); // a first call may have finished between the lookup and our publication
    if (stored.isPresent()) {
      inFlight.remove(fk, mine);
      mine.done().complete(stored.get());
      return new Claim.Answered(stored.get());
    }
    return new Claim.Runs((result, recordable) -> {
      ToolResult kept = recordable ? store(fk, hash, result) : result;
      inFlight.remove(fk, mine);
      mine.done().complete(kept);
      return kept;
    });
  }

  /**
   * Waits (through {@code waiter}) for the first call's result, as a DUPLICATE_CALL wait of {@code me} in the
   * graph; a success comes back marked replayed. A deadlock victim gets {@code deadlock}.
   */
  ToolResult awaitFirst(Flight first, Party me, Waiter waiter) throws InterruptedException {
    CompletableFuture<ToolResult> view = new CompletableFuture<>();
    WaitGraph.Wait w = graph.await(me, WaitKind.DUPLICATE_CALL, "result of " + first.party().name(), Need.ALL,
        List.of(first.party()), e -> view.complete(CallRunner.fail("deadlock", CallRunner.messageOf(e))));
    try {
      first.done().whenComplete((r, e) -> view.complete(r == null ? CallRunner.fail("tool_error", "call failed")
          : replayed(r)));
      return waiter.await(view);
    } finally {
      graph.end(w);
    }
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
        scheduler.now().plus(retention));
    try {
      IdempotencyRecords.Record kept = records.putIfAbsent(fk.session(), fk.tool(), fk.key(), rec);
      return kept.equals(rec) ? result : fromRecord(kept); // records compare by value
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
    return CallRunner.fail("conflict", "idempotency key '" + key + "' was already used with different arguments");
  }
}
