package dev.baton.config;

import java.util.Objects;

/** {@code agent.deadlock_detection:} — the guide's keys, verbatim. */
public record DeadlockDetectionConfig(
    @Doc("Whether the wait-for graph is kept and cycles are broken.") boolean enabled,
    @Doc("Period of the sweep that finds cycles and stuck tool calls (ms).") long checkIntervalMs,
    @Doc("Which waiter of a cycle is the victim: `kill_oldest_waiter` or `kill_youngest_waiter`.")
        OnDeadlock onDeadlock) {

  public enum OnDeadlock { KILL_OLDEST_WAITER, KILL_YOUNGEST_WAITER }

  public DeadlockDetectionConfig {
    Objects.requireNonNull(onDeadlock, "on_deadlock");
    Checks.positive("check_interval_ms", checkIntervalMs);
  }

  public static DeadlockDetectionConfig defaults() {
    return new DeadlockDetectionConfig(true, 5_000, OnDeadlock.KILL_OLDEST_WAITER);
  }
}
