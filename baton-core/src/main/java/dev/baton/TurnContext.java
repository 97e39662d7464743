package dev.baton;

import java.time.Instant;
import java.util.List;

/**
 * Who and what a piece of running code is working for (P7). Bound in {@link BatonContext#CURRENT} for the
 * whole of a turn and carried into every task the runtime starts for it, and mirrored into the SLF4J MDC
 * under {@code baton.session}, {@code baton.user}, {@code baton.messages}, {@code baton.trace}.
 *
 * @param session the session
 * @param user the authenticated user
 * @param messageIds the ids of the messages this turn answers
 * @param traceId a trace id for logs and tracing
 * @param turnSeq a number unique to this turn within the process (used to name waiters and holders)
 * @param deadline when the turn's time runs out
 */
public record TurnContext(
    SessionKey session, String user, List<String> messageIds, String traceId, long turnSeq, Instant deadline) {

  public TurnContext {
    messageIds = List.copyOf(messageIds);
  }
}
