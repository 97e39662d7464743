package dev.baton.cli.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The simulated users' plan, fixed by the seed before anything runs: who sends in bursts, which messages go
 * out swapped with their successor (reordering, P9), and which deliveries are repeated — later, as a
 * platform retry, or at the same instant from a second thread (P2).
 */
final class Traffic {

  static final double BURSTY_USERS = 0.10;
  static final double DUPLICATED = 0.10;
  static final double REORDERED = 0.05;

  enum Dup { NONE, LATER, CONCURRENT }

  /** One send: a message, whether it is repeated and how. */
  record Send(long seq, Dup dup) {}

  /**
   * One user's plan. {@code groups} are sent in order; a conversational user waits for every message of a
   * group to settle before the next group (a swapped pair forms one group); a bursty user sends everything
   * at once.
   */
  record UserPlan(String user, boolean bursty, List<List<Send>> groups) {
    long reorderedPairs() {
      return groups.stream().filter(g -> g.size() == 2).count();
    }

    long duplicates() {
      return groups.stream().flatMap(List::stream).filter(s -> s.dup() != Dup.NONE).count();
    }
  }

  private Traffic() {}

  static List<UserPlan> plan(int users, int messages, long seed) {
    List<UserPlan> plans = new ArrayList<>(users);
    for (int u = 0; u < users; u++) {
      Random r = new Random(seed * 1_000_003L + u);
      boolean bursty = r.nextDouble() < BURSTY_USERS;
      List<List<Send>> groups = new ArrayList<>();
      for (long seq = 0; seq < messages; seq++) {
        if (seq + 1 < messages && r.nextDouble() < REORDERED) {
          groups.add(List.of(send(seq + 1, r), send(seq, r))); // the later message goes out first
          seq++;
        } else {
          groups.add(List.of(send(seq, r)));
        }
      }
      plans.add(new UserPlan(DemoMessages.user(u), bursty, groups));
    }
    return plans;
  }

  private static Send send(long seq, Random r) {
    if (r.nextDouble() >= DUPLICATED) return new Send(seq, Dup.NONE);
    return new Send(seq, r.nextBoolean() ? Dup.CONCURRENT : Dup.LATER);
  }
}
