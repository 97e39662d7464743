package dev.baton;

/**
 * The agent: what runs one turn of a session. Implementations are shared by all sessions and must keep no
 * per-session state in fields; everything a session remembers lives in {@link Turn#state()} and
 * {@link Turn#transcript()} (P1).
 *
 * <p><b>Concurrency.</b> {@link #onTurn} is called on a virtual thread, with the turn's {@link TurnContext}
 * bound in {@link BatonContext#CURRENT}. Turns of one session never overlap unless
 * {@code max_concurrent_per_session > 1}; turns of different sessions run in parallel. The method may block.
 * When the turn times out or is interrupted (queue mode {@code interrupt}) the thread is interrupted;
 * blocking calls should let {@link InterruptedException} propagate.
 *
 * <p><b>Failure.</b> An exception thrown from {@code onTurn} becomes an error reply to the user (its
 * message is not shown; a generic text is), nothing of the turn is committed, and the session goes on with
 * its next message.
 */
@FunctionalInterface
public interface Agent {

  void onTurn(Turn turn) throws Exception;
}
