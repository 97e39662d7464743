package dev.baton.spring.ai;

import dev.baton.Turn;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The turn a {@link SpringAiAgent} is running, bound in a {@link ScopedValue} around the ChatClient call. Memory
 * and routed tools find their session through it, so nothing a model or a caller passes (a conversation id, a
 * tool argument) can name another session (P1).
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
      throw new IllegalStateException(what + " is used outside a turn of a SpringAiAgent (Baton's Spring AI memory"
          + " and routed tools work only inside SpringAiAgent.onTurn, on its thread)");
    }
    return CURRENT.get();
  }

  /** 0 for the first identical call of this turn, 1 for the second, ... (part of the idempotency key). */
  int occurrence(String tool, String args) {
    return occurrences.merge(tool + '\u0000' + args, 1, Integer::sum) - 1;
  }
}
