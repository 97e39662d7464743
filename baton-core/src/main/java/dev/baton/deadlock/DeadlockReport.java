package dev.baton.deadlock;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One detected deadlock: the whole cycle, who was chosen and why, and how long detection took.
 *
 * @param detectedAt when it was found (scheduler wall clock)
 * @param via {@code edge} when found as the closing edge was added, {@code sweep} when found by the periodic
 *     sweep; for an agent loop (a chain of asks, not a wait) {@code hop_limit} or {@code repeat}, and then
 *     {@code cycle} is the chain's hops in order, the last one the ask that was refused
 * @param cycle the members in wait order: each waits for the next, the last for the first (at most
 *     {@link #MAX_MEMBERS}; {@code size} says how many there were)
 * @param size how many parties the deadlock has
 * @param victim the party whose wait was failed with a {@link dev.baton.DeadlockException}; empty name if no
 *     member could be broken (only turns waiting for their own calls)
 * @param policy the {@code on_deadlock} policy that chose the victim
 * @param latency from the last change of the cycle's edges to detection
 */
public record DeadlockReport(
    Instant detectedAt, String via, List<Member> cycle, int size, String victim, String policy, Duration latency) {

  /** {@code via} of an agent loop stopped at {@code tools.ask_max_hops}. */
  public static final String VIA_HOP_LIMIT = "hop_limit";
  /** {@code via} of an agent loop that repeated a cycle of agents within {@code tools.loop_window_ms}. */
  public static final String VIA_REPEAT = "repeat";

  /** Members kept and logged; a larger cycle is cut (it would make a megabyte log line). */
  public static final int MAX_MEMBERS = 64;

  public DeadlockReport {
    cycle = List.copyOf(cycle.size() > MAX_MEMBERS ? cycle.subList(0, MAX_MEMBERS) : cycle);
  }

  /**
   * One member of a cycle.
   *
   * @param party the waiter, e.g. {@code call#12 (session s1, tool shared.write)}
   * @param waitsFor what it waits for, e.g. {@code lock shared-file:/ledger.txt (exclusive)}
   * @param blockedBy the parties it waits for (holders, or waiters queued ahead of it)
   * @param since when it started waiting
   */
  public record Member(String party, String waitsFor, List<String> blockedBy, Instant since) {
    public Member {
      blockedBy = List.copyOf(blockedBy);
    }

    @Override
    public String toString() {
      return party + " waits since " + since + " for " + waitsFor + " held by " + String.join(", ", blockedBy);
    }
  }

  /**
   * The cycle in one line, for logs and for the victim's exception message. Resource names may come from tool
   * arguments (and so from client text): each member is escaped for a log line.
   */
  public String describe() {
    String members = cycle.stream().map(m -> dev.baton.spi.LogText.escape(m.toString(), 4_000))
        .collect(Collectors.joining("; "));
    return size > cycle.size() ? members + "; ... and " + (size - cycle.size()) + " more" : members;
  }
}
