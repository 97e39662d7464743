package dev.baton.internal.agent;

import dev.baton.Agent;
import dev.baton.SessionState;
import dev.baton.Turn;
import java.util.Optional;

/**
 * The built-in {@code echo} agent ({@code agent.type: echo}), which demos and black-box tests rely on.
 *
 * <p><b>Reply format.</b> For every message of a turn, in order, it stages one reply with the text
 * {@code "<text> (turn N)"} and {@code turn = N} ({@link Turn#reply(String, long)}), where {@code N} is the
 * number of turns its session has completed including this one: 1 for the session's first turn, 2 for the
 * second, and so on. All messages of one turn (queue modes {@code collect}/{@code interrupt}) carry the same
 * {@code N}. Example: the first message {@code "hi"} of a session is answered {@code "hi (turn 1)"}.
 *
 * <p><b>State.</b> The count lives in the session's state under {@value #TURNS_KEY} (a decimal number),
 * updated with {@link SessionState#compareAndSet}, so with {@code max_concurrent_per_session > 1} a turn that
 * raced another is re-run by the engine instead of counting twice.
 *
 * <p>Stateless and thread-safe; one instance serves every session.
 */
public final class EchoAgent implements Agent {

  /** The session-state key holding the number of completed turns. */
  public static final String TURNS_KEY = "echo.turns";

  @Override
  public void onTurn(Turn turn) {
    SessionState state = turn.state();
    Optional<String> before = state.get(TURNS_KEY);
    long n = before.map(Long::parseLong).orElse(0L) + 1;
    if (!state.compareAndSet(TURNS_KEY, before, Long.toString(n))) {
      throw new IllegalStateException("session state changed under the turn");
    }
    for (Turn.Message m : turn.messages()) {
      turn.reply(format(m.text(), n), n);
    }
  }

  /** The reply text for {@code text} in turn {@code n}: {@code "<text> (turn N)"}. */
  public static String format(String text, long n) {
    return text + " (turn " + n + ")";
  }
}
