package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.AskChain;
import dev.baton.SessionKey;
import dev.baton.deadlock.DeadlockReport;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The loop checks on a chain of asks: the hop limit, and a cycle of agents repeated within the window. */
class AskLoopsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** The chain through these sessions (single letters), one hop every {@code stepMs}. */
  private static AskChain chain(String sessions, long stepMs) {
    AskChain c = AskChain.none();
    for (int i = 1; i < sessions.length(); i++) {
      c = c.then("c1", key(sessions.charAt(0)), key(sessions.charAt(i)), T0.plusMillis(i * stepMs));
    }
    return c;
  }

  private static SessionKey key(char c) {
    return new SessionKey("api:u:" + c);
  }

  private static Optional<String> via(String sessions, int maxHops, long windowMs, long stepMs) {
    return AskLoops.check(chain(sessions, stepMs), maxHops, windowMs).map(AskLoops.Found::via);
  }

  @Test
  void aChainPastTheHopLimitIsFoundAtTheFirstAskBeyondIt() {
    assertThat(via("abcdefghi", 8, 60_000, 1)).as("8 hops, no repeat").isEmpty();
    assertThat(via("abcdefghij", 8, 60_000, 1)).contains(DeadlockReport.VIA_HOP_LIMIT);
  }

  @Test
  void aThreeAgentRingIsFoundAtItsSecondLapWithinTheWindow() {
    assertThat(via("abcabc", 100, 60_000, 1)).as("one lap and a bit").isEmpty();
    assertThat(via("abcabca", 100, 60_000, 1)).contains(DeadlockReport.VIA_REPEAT);
    assertThat(via("xabcabca", 100, 60_000, 1)).as("the origin is not on the ring").contains(DeadlockReport.VIA_REPEAT);
    assertThat(via("ababa", 100, 60_000, 1)).as("ping-pong").contains(DeadlockReport.VIA_REPEAT);
  }

  @Test
  void aRingSlowerThanTheWindowIsLeftToTheHopLimit() {
    assertThat(via("abcabca", 100, 10_000, 6_000)).isEmpty();
    assertThat(via("abcabcabca", 8, 10_000, 6_000)).contains(DeadlockReport.VIA_HOP_LIMIT);
  }

  @Test
  void visitingAnAgentTwiceIsNoLoopUnlessTheSameCycleRepeats() {
    assertThat(via("abacad", 100, 60_000, 1)).isEmpty();
    assertThat(via("abcadaea", 100, 60_000, 1)).as("a->b->c->a, a->d->a, a->e->a: different cycles").isEmpty();
  }

  @Test
  void theReportListsEveryHopInOrderAndTheAgentSeesPeerNamesOnly() {
    AskChain c = chain("abcabca", 1);
    AskLoops.Found f = AskLoops.check(c, 100, 60_000).orElseThrow();
    var names = java.util.Map.of(key('b'), "bee", key('c'), "sea", key('a'), "ay");
    DeadlockReport r = AskLoops.report(c, f, "x9", "fail_newest", names);
    assertThat(r.size()).isEqualTo(6);
    assertThat(r.cycle()).extracting(DeadlockReport.Member::waitsFor).containsExactly("ask to api:u:b (peer bee)",
        "ask to api:u:c (peer sea)", "ask to api:u:a (peer ay)", "ask to api:u:b (peer bee)",
        "ask to api:u:c (peer sea)", "ask to api:u:a (peer ay)");
    assertThat(r.victim()).contains("ask#x9").contains("chain c1");
    assertThat(AskLoops.describeForAgent(c, f, names)).endsWith("chain ay -> bee -> sea -> ay -> bee -> sea -> ay")
        .doesNotContain("api:u:");
  }
}
