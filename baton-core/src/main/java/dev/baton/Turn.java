package dev.baton;

import dev.baton.spi.tool.Tools;
import java.time.Instant;
import java.util.List;

/**
 * One turn of one session, as the agent sees it. Everything reachable from here is bound to this turn's
 * session: no method takes a session id (P1).
 *
 * <p>State changes, transcript appends and replies made through this object are staged and committed
 * together with the completion of the turn's messages, in one step (a turn happened or it did not). If the
 * agent throws, times out or is cancelled, nothing staged is committed (tool side effects already done are
 * remembered by the tool runtime, P6).
 */
public interface Turn {

  /** The messages this turn answers, in order (one in queue mode {@code followup}, possibly several in
   *  {@code collect} and {@code interrupt}). Never empty. */
  List<Message> messages();

  /** This session's key-value state, with read-your-writes inside the turn. */
  SessionState state();

  /** This session's conversation transcript. */
  Transcript transcript();

  /** The tools this turn may call, bound to this session. */
  Tools tools();

  /** The turn's context: session, user, message ids, trace id, deadline. */
  TurnContext context();

  /** Stages a reply to the last message of the turn. */
  void reply(String text);

  /** Stages a reply that carries the agent's turn number (shown as {@code turn} by the HTTP API). */
  void reply(String text, long turnNumber);

  /**
   * Stages an error reply ({@link Reply.Kind#ERROR}, {@code "kind": "error"} in the HTTP API) to the last
   * message of the turn: the agent could not answer (its model provider failed) and {@code text} says why in
   * words fit for the user. Unlike throwing, the turn still commits what it staged. The default, for Turns
   * outside the engine (test fakes), stages it as a plain reply.
   */
  default void replyError(String text) {
    reply(text);
  }

  /**
   * Opens a reply that the user sees while it is written (P10, see {@link ReplyStream}); its {@code finish()}
   * stages it like {@link #reply(String)}. A turn may open several, one after another or at once. The default,
   * for Turns outside the engine (test fakes), buffers the text and stages it with {@link #reply(String)} on
   * finish, showing nothing before.
   */
  default ReplyStream openStream() {
    return new BufferedReplyStream(messages().getFirst().id() + "#1", this::reply);
  }

  /**
   * Takes the messages that arrived for this session since the turn started, or since the last call, in order
   * (queue mode {@code steer}; P10). Each is then part of this turn: it is answered by this turn's reply (which
   * names it in {@link Reply#covers()}), is completed with this turn's commit, and will not start a turn of its own.
   * Messages the turn does not take before it ends become the next turn. Non-blocking; empty when nothing arrived
   * or the queue mode is not {@code steer}. Agents call it between model rounds (the openai agent: after a tool
   * round, before the next model request). The default, for Turns outside the engine, returns nothing.
   */
  default List<Message> takeSteered() {
    return List.of();
  }

  /**
   * The daily model-token budget of this turn's user ({@code agent.rate_limits.tokens_per_user_per_day}): check
   * {@link TokenBudget#spent()} before a model call, {@link TokenBudget#record} its usage after. The default, for
   * Turns outside the engine (test fakes), is {@link TokenBudget#unlimited()}.
   */
  default TokenBudget budget() {
    return TokenBudget.unlimited();
  }

  /** When this turn's time runs out ({@code agent.turn_timeout_ms}). */
  default Instant deadline() {
    return context().deadline();
  }

  /** One user message as the agent sees it: no routing data, no other session's anything. */
  record Message(String id, String sender, String text, Instant sentAt) {}
}
