package dev.baton.langchain4j;

import dev.baton.BatonContext;
import dev.baton.TurnContext;
import java.util.concurrent.Executor;

/**
 * Executors for LangChain4j's {@code AiServices.executeToolsConcurrently(Executor)} that carry the submitting
 * turn's context (P7): the {@link BatonContext#CURRENT} turn context and the turn that memory and tools use.
 * A {@code ScopedValue} is not inherited by a pool's threads, so without this a {@code @Tool} method run
 * concurrently would see no session, or, with a hand-rolled ThreadLocal, possibly another session's.
 *
 * <p><b>Concurrency.</b> The bindings are captured when a task is submitted ({@link Executor#execute}, on the
 * submitting thread) and bound around the task on the thread that runs it; they end when the task ends.
 */
public final class BatonExecutors {

  private BatonExecutors() {}

  /** Runs each task on its own virtual thread, with the submitting turn's context. */
  public static Executor virtualThreads() {
    return contextPropagating(task -> Thread.ofVirtual().name("baton-lc4j-tool").start(task));
  }

  /** Wraps {@code delegate} so that every task runs with the submitting turn's context bound. */
  public static Executor contextPropagating(Executor delegate) {
    return task -> {
      TurnContext context = BatonContext.CURRENT.isBound() ? BatonContext.CURRENT.get() : null;
      TurnScope scope = TurnScope.CURRENT.isBound() ? TurnScope.CURRENT.get() : null;
      // Tracing: the submitting turn's span stays the parent of what the task traces (its tool calls).
      io.opentelemetry.context.Context trace = io.opentelemetry.context.Context.current();
      Runnable body = () -> {
        ScopedValue.Carrier carrier = null;
        if (context != null) carrier = ScopedValue.where(BatonContext.CURRENT, context);
        if (scope != null) {
          carrier = carrier == null ? ScopedValue.where(TurnScope.CURRENT, scope) : carrier.where(TurnScope.CURRENT, scope);
        }
        if (carrier == null) task.run();
        else carrier.run(task);
      };
      delegate.execute(trace == io.opentelemetry.context.Context.root() ? body : trace.wrap(body));
    };
  }
}
