package dev.baton;

import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/** The scoped value that carries a running turn's {@link TurnContext} (P7). */
public final class BatonContext {

  /** Bound for the whole of a turn, and in every task the runtime starts for it. */
  public static final ScopedValue<TurnContext> CURRENT = ScopedValue.newInstance();

  private static final String[] MDC_KEYS = {"baton.session", "baton.user", "baton.messages", "baton.trace"};

  private BatonContext() {}

  /** The current turn's context, if this code runs inside one. */
  public static Optional<TurnContext> current() {
    return CURRENT.isBound() ? Optional.of(CURRENT.get()) : Optional.empty();
  }

  /**
   * Captures the calling thread's turn context (and its {@code baton.*} MDC entries) and returns a task that
   * runs {@code task} with them bound, on whatever thread runs it, restoring that thread's MDC afterwards. Use
   * it for every task started for a turn (parallel tool calls, timers) so the task carries the turn's context
   * (P7). Outside a turn the task runs unchanged.
   */
  public static <T> Callable<T> wrap(Callable<T> task) {
    if (!CURRENT.isBound()) return task;
    TurnContext ctx = CURRENT.get();
    @Nullable String[] mdc = new @Nullable String[MDC_KEYS.length];
    for (int i = 0; i < MDC_KEYS.length; i++) mdc[i] = MDC.get(MDC_KEYS[i]);
    return () -> {
      @Nullable String[] saved = new @Nullable String[MDC_KEYS.length];
      for (int i = 0; i < MDC_KEYS.length; i++) {
        saved[i] = MDC.get(MDC_KEYS[i]);
        put(MDC_KEYS[i], mdc[i]);
      }
      try {
        return ScopedValue.where(CURRENT, ctx).call(task::call);
      } finally {
        for (int i = 0; i < MDC_KEYS.length; i++) put(MDC_KEYS[i], saved[i]);
      }
    };
  }

  /** {@link #wrap(Callable)} for a {@link Runnable}. */
  public static Runnable wrap(Runnable task) {
    Callable<Void> c = wrap(() -> {
      task.run();
      return null;
    });
    return () -> {
      try {
        c.call();
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  private static void put(String key, @Nullable String value) {
    if (value == null) MDC.remove(key);
    else MDC.put(key, value);
  }
}
