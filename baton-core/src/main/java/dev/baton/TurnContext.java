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
 * @param chain the chain of asks this turn continues (none for a turn of users' messages); the asks it makes
 *     add hops to it
 */
public record TurnContext(SessionKey session, String user, List<String> messageIds, String traceId, long turnSeq,
    Instant deadline, AskChain chain) {

  public TurnContext {
    messageIds = List.copyOf(messageIds);
    java.util.Objects.requireNonNull(chain, "chain");
  }

  /** A turn in no chain of asks. */
  public TurnContext(
      SessionKey session, String user, List<String> messageIds, String traceId, long turnSeq, Instant deadline) {
    this(session, user, messageIds, traceId, turnSeq, deadline, AskChain.none());
  }
}
