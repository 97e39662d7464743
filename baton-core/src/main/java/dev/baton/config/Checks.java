package dev.baton.config;

/** Validation helpers for config compact constructors. Messages say what is allowed, in one sentence. */
final class Checks {
  private Checks() {}

  static void positive(String key, long v) {
    if (v <= 0) throw new IllegalArgumentException(key + " must be a positive number, was " + v);
  }

  static void nonNegative(String key, long v) {
    if (v < 0) throw new IllegalArgumentException(key + " must be 0 or more, was " + v);
  }
}
