package dev.baton.internal.engine;

import dev.baton.AskChain;
import dev.baton.SessionKey;
import dev.baton.deadlock.DeadlockReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/*
 * Overview
 *   Loop detection for agents asking agents (P8's sibling for loops that do not wait): an ask that does not
 *   wait for its peer's turn (or whose peer answers and asks on) draws no wait-for edge, so a ring of agents
 *   each asking the next can run all night. Every ask carries its chain (AskChain: the sessions in order and
 *   when each hop was sent), and the router checks the chain *as it would be after the ask*, before anything
 *   is submitted:
 *     - hop limit: more than tools.ask_max_hops asks in one chain;
 *     - repeat: the ask closes a cycle of sessions (from the last earlier visit of the target to the target)
 *       that already appears, hop for hop, earlier in the chain, and that earlier run began within
 *       tools.loop_window_ms. A ring A->B->C->A is thus caught at its second lap (hop 6), whatever the limit.
 *   Both are checks on an immutable value, O(hops^2) with hops <= ask_max_hops (at most 1,000).
 *
 * Concurrency
 *   Pure functions of their arguments; any thread.
 */
/** Checks a chain of asks against the hop limit and the repeated-cycle window; builds the report. */
final class AskLoops {
  private AskLoops() {}

  /** A chain that must be reported: why, and the hops from {@code from} (inclusive) that show it. */
  record Found(String via, int from, String reason) {}

  /**
   * @param next the chain as it would be with the new ask as its last hop
   * @return what is wrong with it, if anything: the hop limit first, then a repeated cycle
   */
  static Optional<Found> check(AskChain next, int maxHops, long windowMs) {
    int n = next.hops();
    if (n > maxHops) {
      return Optional.of(new Found(DeadlockReport.VIA_HOP_LIMIT, 0, "the chain has " + n
          + " asks and tools.ask_max_hops is " + maxHops));
    }
    List<SessionKey> p = next.path();
    SessionKey to = p.get(n);
    int j = n - 1;
    while (j >= 0 && !p.get(j).equals(to)) j--;
    if (j < 0) return Optional.empty();
    int len = n - j; // the cycle p[j..n] just closed, len hops
    Instant now = next.sentAt().get(n - 1);
    for (int k = j - len; k >= 0; k--) {
      if (!sameRun(p, k, j, len)) continue;
      if (Duration.between(next.sentAt().get(k), now).toMillis() > windowMs) return Optional.empty();
      return Optional.of(new Found(DeadlockReport.VIA_REPEAT, k, "the cycle of " + len
          + " agents ran twice within tools.loop_window_ms (" + windowMs + " ms)"));
    }
    return Optional.empty();
  }

  private static boolean sameRun(List<SessionKey> p, int a, int b, int len) {
    for (int i = 0; i <= len; i++) {
      if (!p.get(a + i).equals(p.get(b + i))) return false;
    }
    return true;
  }

  /**
   * The report of a loop: the chain's hops in order (each member is one ask: from a session, to a session,
   * when it was sent), the last the refused (or report-only) ask.
   */
  static DeadlockReport report(AskChain next, Found f, String askId, String policy, Map<SessionKey, String> names) {
    List<DeadlockReport.Member> hops = new ArrayList<>(next.hops());
    for (int i = 0; i < next.hops(); i++) {
      SessionKey from = next.path().get(i);
      SessionKey to = next.path().get(i + 1);
      hops.add(new DeadlockReport.Member("hop " + (i + 1) + " session " + from + label(names, from),
          "ask to " + to + label(names, to), List.of("session " + to), next.sentAt().get(i)));
    }
    String victim = "ask#" + askId + " (hop " + next.hops() + " of chain " + next.id() + "; " + f.reason() + ")";
    return new DeadlockReport(next.sentAt().getLast(), f.via(), hops, hops.size(), victim, policy, Duration.ZERO);
  }

  /** The chain as the asking agent may see it: peer names, never session keys of others (P1). */
  static String describeForAgent(AskChain next, Found f, Map<SessionKey, String> names) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i <= next.hops(); i++) {
      if (i > 0) b.append(" -> ");
      b.append(names.getOrDefault(next.path().get(i), i == 0 ? "(start)" : "(peer)"));
    }
    return "ask refused as an agent loop: " + f.reason() + "; chain " + b;
  }

  private static String label(Map<SessionKey, String> names, SessionKey s) {
    String n = names.get(s);
    return n == null ? "" : " (peer " + n + ")";
  }
}
