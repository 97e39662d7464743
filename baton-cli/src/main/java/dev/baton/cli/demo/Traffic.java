package dev.baton.cli.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulated users' plan, fixed by the seed before anything runs: who sends in bursts (overflowing the
 * queue: busy replies), whose turns are slow (queued messages expire), which messages go out swapped with
 * their successor (reordering, P9), and which deliveries are repeated — later, as a platform retry, or at
 * the same instant from a second thread (P2).
 */
final class Traffic {

  static final double BURSTY_USERS = 0.10;
  /** Bursty users whose turns are slow, so that some of their queued messages expire (P4). */
  static final double SLOW_USERS = 0.02;
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
  record UserPlan(String user, boolean bursty, boolean slow, List<List<Send>> groups) {
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
      SplittableRandom r = new SplittableRandom(seed ^ (u * 0x9E3779B97F4A7C15L)); // well mixed per user
      double kind = r.nextDouble();
      boolean slow = kind < SLOW_USERS;
      boolean bursty = kind < BURSTY_USERS;
      List<List<Send>> groups = new ArrayList<>();
      for (long seq = 0; seq < messages; seq++) {
        if (seq + 1 < messages && r.nextDouble() < REORDERED) {
          groups.add(List.of(send(seq + 1, r), send(seq, r))); // the later message goes out first
          seq++;
        } else {
          groups.add(List.of(send(seq, r)));
        }
      }
      plans.add(new UserPlan(DemoMessages.user(u), bursty, slow, groups));
    }
    return plans;
  }

  private static Send send(long seq, SplittableRandom r) {
    if (r.nextDouble() >= DUPLICATED) return new Send(seq, Dup.NONE);
    return new Send(seq, r.nextBoolean() ? Dup.CONCURRENT : Dup.LATER);
  }
}
