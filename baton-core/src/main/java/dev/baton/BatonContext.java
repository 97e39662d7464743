package dev.baton;

import java.util.Optional;

/** The scoped value that carries a running turn's {@link TurnContext} (P7). */
public final class BatonContext {

  /** Bound for the whole of a turn, and in every task the runtime starts for it. */
  public static final ScopedValue<TurnContext> CURRENT = ScopedValue.newInstance();

  private BatonContext() {}

  /** The current turn's context, if this code runs inside one. */
  public static Optional<TurnContext> current() {
    return CURRENT.isBound() ? Optional.of(CURRENT.get()) : Optional.empty();
  }
}
