package dev.baton.tools.internal;

import dev.baton.BatonContext;
import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.ToolSpec;
import dev.baton.spi.tool.Tools;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview. The Tools handle of one turn, bound to its session (P1). call() runs one call; callAll() runs each
 * call on its own virtual thread that re-binds the turn's BatonContext (P7) and returns results in call
 * order. While the turn waits for its calls, the turn waits for them in the wait-for graph too (OWN_CALLS,
 * never a victim), so a cycle through a slot the turn holds and a call it waits for is seen (ask A->B->A).
 *
 * Concurrency. Thread-safe: callAll's threads share it. The set of awaited calls is guarded by `lock`, a
 * leaf above the graph's lock.
 */
final class SessionTools implements Tools {
  private final CallRunner runner;
  private final TurnContext turn;
  private final SessionState state;
  private final Party turnParty;
  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final Set<Party> awaited = new LinkedHashSet<>();
  private WaitGraph.@Nullable Wait turnWait;

  SessionTools(CallRunner runner, TurnContext turn, SessionState state) {
    this.runner = runner;
    this.turn = turn;
    this.state = state;
    this.turnParty = Party.turn(turn.turnSeq(), "session " + turn.session());
  }

  @Override
  public List<ToolSpec> available() {
    return runner.registry().specs();
  }

  @Override
  public ToolResult call(ToolCall call) throws InterruptedException {
    return runner.run(turn, state, call, this::waitStarts, this::waitEnds);
  }

  /** {@code task} in {@code trace}; itself when nothing is traced (the root context: tracing off). */
  private static Runnable traced(io.opentelemetry.context.Context trace, Runnable task) {
    return trace == io.opentelemetry.context.Context.root() ? task : trace.wrap(task);
  }

  @Override
  public List<ToolResult> callAll(List<ToolCall> calls) throws InterruptedException {
    if (calls.size() == 1) return List.of(call(calls.getFirst()));
    ToolResult[] results = new ToolResult[calls.size()];
    List<Thread> threads = new ArrayList<>(calls.size());
    // Tracing: each call thread keeps the turn's context, so the parallel calls' spans are the turn span's children.
    io.opentelemetry.context.Context trace = io.opentelemetry.context.Context.current();
    for (int i = 0; i < calls.size(); i++) {
      int idx = i;
      ToolCall c = calls.get(i);
      threads.add(Thread.ofVirtual().name("baton-call-" + turn.turnSeq() + "-" + i)
          .start(traced(trace, () -> ScopedValue.where(BatonContext.CURRENT, turn).run(() -> {
            try {
              results[idx] = call(c);
            } catch (InterruptedException e) {
              results[idx] = CallRunner.fail("timeout", "the call was cancelled");
            }
          }))));
    }
    try {
      for (Thread t : threads) t.join();
    } catch (InterruptedException e) {
      for (Thread t : threads) t.interrupt(); // each interrupts its holder thread in turn
      for (Thread t : threads) t.join();
      throw e;
    }
    return List.of(results);
  }

  private void waitStarts(Party call) {
    lock.lock();
    try {
      awaited.add(call);
      if (turnWait == null) {
        turnWait = runner.graph().await(turnParty, WaitKind.OWN_CALLS, "its tool calls", Need.ALL, awaited, null);
      } else {
        runner.graph().update(turnWait, awaited);
      }
    } finally {
      lock.unlock();
    }
  }

  private void waitEnds(Party call) {
    lock.lock();
    try {
      awaited.remove(call);
      if (turnWait == null) return;
      if (awaited.isEmpty()) {
        runner.graph().end(turnWait);
        turnWait = null;
      } else {
        runner.graph().update(turnWait, awaited);
      }
    } finally {
      lock.unlock();
    }
  }
}
