package dev.baton.spi.tool;

import dev.baton.SessionState;
import dev.baton.TurnContext;

/**
 * The engine's hook for the tool runtime: for every turn the engine asks for a {@link Tools} bound to that
 * turn's session and context. Implemented by {@code baton-tools}.
 */
@FunctionalInterface
public interface ToolRuntime {

  /**
   * @param context the turn's context (session, deadline, ...)
   * @param state the turn's session state (staged, commits with the turn)
   */
  Tools bind(TurnContext context, SessionState state);

  static ToolRuntime none() {
    return (c, s) -> Tools.none();
  }
}
