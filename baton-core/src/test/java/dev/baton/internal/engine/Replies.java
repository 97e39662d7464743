package dev.baton.internal.engine;

import dev.baton.testing.ReplyLog;

/** The shared {@link ReplyLog}, and a wait for the engine's actors to retire (which reads engine internals). */
final class Replies extends ReplyLog {

  /**
   * Waits (bounded) until the engine holds no session actor: every session is idle. The retirement happens on
   * the turn's thread right after its replies are handed over, so a test that saw the replies may have to
   * wait for it; the condition is re-checked with yields, never a sleep.
   */
  static void awaitRetired(Engine engine) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!engine.actors.isEmpty()) {
      if (System.nanoTime() > deadline) throw new AssertionError("sessions still active: " + engine.actors.keySet());
      Thread.yield();
    }
  }
}
