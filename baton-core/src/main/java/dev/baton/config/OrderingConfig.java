package dev.baton.config;

import java.util.Objects;

/** {@code ordering:} */
public record OrderingConfig(
    @Doc("Longest a gap in a contiguous `seq` is waited for before it is skipped and reported (ms).")
        long gapTimeoutMs,
    @Doc("Hold window in which arrivals with a gappy order key (platform ids) are re-sorted (ms; 0 = none).")
        long holdMs,
    @Doc("A message older than one already processed: `process` it anyway, or `drop` it with a reply.")
        LatePolicy latePolicy) {

  public enum LatePolicy { PROCESS, DROP }

  public OrderingConfig {
    Objects.requireNonNull(latePolicy, "late_policy");
    Checks.nonNegative("gap_timeout_ms", gapTimeoutMs);
    Checks.nonNegative("hold_ms", holdMs);
  }

  public static OrderingConfig defaults() {
    return new OrderingConfig(2_000, 0, LatePolicy.PROCESS);
  }
}
