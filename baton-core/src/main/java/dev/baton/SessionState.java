package dev.baton;

import java.util.Optional;
import java.util.Set;

/**
 * A session's key-value state, handed to agent code bound to its own session (P1). Inside a turn, writes are
 * staged and visible to later reads of the same turn; they commit atomically with the turn.
 *
 * <p>{@link #compareAndSet} compares against the value this turn sees (the committed value plus this turn's
 * own staged writes). With {@code max_concurrent_per_session: 1} (the default) no other turn of the session
 * can interleave, so a successful compare stays valid until commit. With more than one concurrent turn per
 * session the store re-checks every compared value at commit; a turn whose compared value changed is not
 * committed and runs again.
 *
 * <p>Keys starting with {@code baton.} are reserved for the engine: they read as absent and writing one throws
 * {@link IllegalArgumentException}.
 */
public interface SessionState {

  Optional<String> get(String key);

  void put(String key, String value);

  void remove(String key);

  /**
   * Sets {@code key} to {@code newValue} if its current value equals {@code expected} ({@code Optional.empty()}
   * meaning absent).
   *
   * @return whether the value was set
   */
  boolean compareAndSet(String key, Optional<String> expected, String newValue);

  Set<String> keys();
}
