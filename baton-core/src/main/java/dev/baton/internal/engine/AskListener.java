package dev.baton.internal.engine;

import dev.baton.Reply;
import dev.baton.TurnContext;

/**
 * What the engine tells the ask channel (EngineAskRouter), fixed when the engine is built: every turn's start
 * and end, and every committed reply of channel {@code ask} (the answer to a question). Implementations never
 * throw and never block on a turn.
 */
interface AskListener {

  /** No ask channel: turns are not tracked, a stray answer is only marked delivered. */
  AskListener NONE = new AskListener() {
    @Override
    public void turnStarted(TurnContext ctx) {}

    @Override
    public void turnEnded(TurnContext ctx) {}

    @Override
    public void permitReturned(TurnContext ctx) {}

    @Override
    public void answered(Reply r) {}
  };

  /** On the turn's thread before the agent runs. */
  void turnStarted(TurnContext ctx);

  /** On the turn's thread after its commit (its replies were delivered), before its permit frees. */
  void turnEnded(TurnContext ctx);

  /** On the turn's thread after it gave its global permit back (the permit may already run another turn). */
  void permitReturned(TurnContext ctx);

  /** A reply of channel {@code ask}, on the commit lane; the engine marks it delivered afterwards. */
  void answered(Reply r);
}
