package dev.baton.testing;

import dev.baton.SessionState;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link SessionState} over a map, for tests that bind a tool runtime or an agent without an engine.
 * Thread-safe: {@link #compareAndSet} is atomic against itself and the other methods.
 */
public final class MapSessionState implements SessionState {

  private final ConcurrentHashMap<String, String> map;

  /** An empty state. */
  public MapSessionState() {
    this(new ConcurrentHashMap<>());
  }

  /** A state over {@code backing}, which the caller may read (and seed) directly. */
  public MapSessionState(ConcurrentHashMap<String, String> backing) {
    this.map = backing;
  }

  @Override
  public Optional<String> get(String key) {
    return Optional.ofNullable(map.get(key));
  }

  @Override
  public void put(String key, String value) {
    map.put(key, value);
  }

  @Override
  public void remove(String key) {
    map.remove(key);
  }

  @Override
  public boolean compareAndSet(String key, Optional<String> expected, String newValue) {
    boolean[] set = new boolean[1];
    map.compute(key, (k, old) -> {
      set[0] = Optional.ofNullable(old).equals(expected);
      return set[0] ? newValue : old;
    });
    return set[0];
  }

  @Override
  public Set<String> keys() {
    return Set.copyOf(map.keySet());
  }

  /** A copy of what the state holds now. */
  public Map<String, String> snapshot() {
    return Map.copyOf(map);
  }
}
