package dev.baton.deadlock;

import java.time.Instant;
import java.util.List;

/**
 * A point-in-time view of the wait-for graph for the admin API and dashboard.
 *
 * @param takenAt when it was taken
 * @param waits every current wait edge (at most 1,000, oldest first)
 * @param totalWaits how many waits there are in all
 * @param runningCalls tool calls that are running, with their last progress
 * @param recentDeadlocks the most recent deadlocks, newest last
 */
public record GraphSnapshot(
    Instant takenAt,
    List<DeadlockReport.Member> waits,
    int totalWaits,
    List<RunningCall> runningCalls,
    List<DeadlockReport> recentDeadlocks) {

  public GraphSnapshot {
    waits = List.copyOf(waits);
    runningCalls = List.copyOf(runningCalls);
    recentDeadlocks = List.copyOf(recentDeadlocks);
  }

  /**
   * A tool call that runs (or hangs).
   *
   * @param party the call
   * @param since when it started
   * @param lastProgress when it last started, took a lock or reported progress
   * @param stuck whether it made no progress for longer than its timeout
   */
  public record RunningCall(String party, Instant since, Instant lastProgress, boolean stuck) {}
}
