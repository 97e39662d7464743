package dev.baton.internal.deadlock;

import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.Party;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/*
 * Overview. Which member of a deadlock loses its wait, and what it is told. The victim is chosen among the
 * breakable waits (those with a callback; a turn waiting for its own calls never is) by on_deadlock: the
 * longest waiting (kill_oldest_waiter) or the newest (kill_youngest_waiter), ties by party name. Its message
 * is what an agent may read (P1): parties by number only, never their sessions or tools, and no slot or
 * permit names (they name sessions); lock keys stay, they name what to retry.
 *
 * Concurrency. Stateless; WaitForGraph calls it under its lock with the cycle's waits.
 */
final class Victims {
  private Victims() {}

  /** The victim among {@code members} (the deadlock's waits, in cycle order), or empty if none is breakable. */
  static Optional<WaitForGraph.Wait> choose(List<WaitForGraph.Wait> members, OnDeadlock policy) {
    Comparator<WaitForGraph.Wait> age = Comparator.comparingLong((WaitForGraph.Wait w) -> w.sinceNanos)
        .thenComparing(w -> w.waiter.name());
    List<WaitForGraph.Wait> breakable = members.stream().filter(w -> w.onVictim != null).toList();
    return policy == OnDeadlock.KILL_OLDEST_WAITER ? breakable.stream().min(age) : breakable.stream().max(age);
  }

  /** The victim's DeadlockException message: the cycle, redacted (at most {@link DeadlockReport#MAX_MEMBERS}). */
  static String message(WaitForGraph.Wait victim, String policy, List<WaitForGraph.Wait> members) {
    return "deadlock: you (" + victim.waiter.name() + ") were chosen as the victim (" + policy + ") of the cycle "
        + redacted(members) + ". Your wait was cancelled and what you held is released; the other parties"
        + " proceed. Retry later.";
  }

  private static String redacted(List<WaitForGraph.Wait> members) {
    StringBuilder b = new StringBuilder();
    for (WaitForGraph.Wait w : members.subList(0, Math.min(members.size(), DeadlockReport.MAX_MEMBERS))) {
      if (b.length() > 0) b.append("; ");
      String what = switch (w.kind) {
        case LOCK -> "lock " + w.resource;
        case ASK_REPLY -> "the reply to an ask";
        case SESSION_SLOT -> "a session slot";
        case GLOBAL_PERMIT -> "a global permit";
        case DUPLICATE_CALL -> "an earlier call with the same idempotency key";
        case OWN_CALLS -> "its own tool calls";
        case TOOL_LIMIT -> "the limit of " + w.resource;
        case PROVIDER -> "capacity of " + w.resource;
      };
      b.append(w.waiter.name()).append(" waits for ").append(what).append(" held by ")
          .append(String.join(", ", w.blockers.stream().map(Party::name).toList()));
    }
    if (members.size() > DeadlockReport.MAX_MEMBERS) {
      b.append("; ... and ").append(members.size() - DeadlockReport.MAX_MEMBERS).append(" more");
    }
    return b.toString();
  }
}
