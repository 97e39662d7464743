package dev.baton.internal.engine;

import dev.baton.LiveEvent;
import java.util.List;

/**
 * What a {@link StagedTurn} asks of the turn that runs it (P10): whether the turn was ended from outside, the
 * messages that steer it, and where its live events go. Implemented by {@link TurnRun}; tests give their own.
 *
 * <p><b>Concurrency.</b> Thread-safe; {@link #takeSteered} takes the session actor's monitor, so the caller may
 * hold the StagedTurn's monitor (lock order: stream, StagedTurn, actor) but no actor's.
 */
interface TurnHooks {

  /** Whether the turn was cancelled, timed out or interrupted: its stream methods throw CancellationException. */
  boolean ended();

  /** The session's messages queued since the last call, now part of this turn (queue mode steer); or none. */
  List<QueuedMessage> takeSteered();

  /** Hands a live event to the reply handler. Must not block. */
  void live(LiveEvent event);

  /** Hooks of a turn that is never ended from outside, steered or shown (tests, ask-less harnesses). */
  TurnHooks NONE = new TurnHooks() {
    @Override public boolean ended() { return false; }
    @Override public List<QueuedMessage> takeSteered() { return List.of(); }
    @Override public void live(LiveEvent event) {}
  };
}
