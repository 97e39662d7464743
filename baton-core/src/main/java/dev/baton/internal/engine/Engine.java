package dev.baton.internal.engine;

import dev.baton.Baton;

/** Placeholder until the engine lands (issue 2). */
public final class Engine {
  private Engine() {}

  public static Baton start(Baton.Builder b) {
    throw new UnsupportedOperationException("engine not implemented yet");
  }
}
