package dev.baton.spi.tool;

import dev.baton.TurnContext;
import java.util.concurrent.CompletableFuture;

/**
 * Delivers an agent-to-agent question ({@code ask}) from one turn to the agent of another session and hands
 * back its reply. Implemented by the engine; used by the {@code ask} tool of {@code baton-tools}.
 *
 * <p><b>Wait-for graph.</b> The asking tool call waits for the party {@code ask#<askId>} (kind {@code ASK}).
 * The implementation reports that party's own waits under the same name: for the target session's slot while
 * the question is queued, then for the turn that answers it. So a cycle A asks B while B asks A is one cycle
 * of the graph and is broken like any other (P8).
 *
 * <p><b>Concurrency.</b> {@link #send} must not block; the future completes on any thread. The caller may
 * {@linkplain CompletableFuture#cancel cancel} the future (timeout, deadlock victim, cancelled turn); the
 * implementation then drops the question or ignores its answer.
 */
@FunctionalInterface
public interface AskRouter {

  /**
   * @param askId unique within the process; names the question in the wait-for graph
   * @param from the asking turn
   * @param target the session to ask, as the deployment names peers (e.g. {@code api:u:bob})
   * @param question the text delivered to the target's agent
   * @return completes with the reply, or exceptionally ({@link IllegalArgumentException} for an unknown
   *     target)
   */
  CompletableFuture<String> send(String askId, TurnContext from, String target, String question);

  /** No peers: every ask fails at once. */
  static AskRouter none() {
    return (id, from, target, q) -> CompletableFuture.failedFuture(
        new IllegalArgumentException("ask is not available in this deployment"));
  }
}
