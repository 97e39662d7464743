package dev.baton.langchain4j;

import dev.baton.Turn;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The turn a {@link LangChain4jAgent} is running, bound in a {@link ScopedValue} for the assistant call and
 * re-bound by {@link BatonExecutors} on LangChain4j's tool threads (P7). Agent code never sees it: memory and
 * tools find their session through it, so nothing takes a session id (P1).
 */
final class TurnScope {

  static final ScopedValue<TurnScope> CURRENT = ScopedValue.newInstance();

  final Turn turn;
  private final Map<String, Integer> occurrences = new ConcurrentHashMap<>();

  TurnScope(Turn turn) {
    this.turn = turn;
  }

  static TurnScope require(String what) {
    if (!CURRENT.isBound()) {
      throw new IllegalStateException(what + " is used outside a turn of a LangChain4jAgent (or on a thread that"
          + " does not carry the turn: give AiServices BatonExecutors.contextPropagating(...))");
    }
    return CURRENT.get();
  }

  /** 0 for the first identical call of this turn, 1 for the second, ... (part of the idempotency key). */
  int occurrence(String memoryId, String tool, String args) {
    return occurrences.merge(memoryId + '\u0000' + tool + '\u0000' + args, 1, Integer::sum) - 1;
  }
}
