package dev.baton.internal.engine;

/**
 * Where a Lincheck test keeps the {@link ActorHarness} of the running invocation. Lincheck 2.39 walks the
 * test class's instance and static fields with Unsafe, which fails on records (the engine's configuration and
 * keys); a slot in another class is outside that walk. Lincheck runs invocations one at a time and creates a
 * new test instance (and harness) for each.
 */
final class HarnessSlot {
  static volatile ActorHarness current;

  private HarnessSlot() {}
}
