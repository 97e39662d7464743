package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.ManualScheduler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Weighted fairness of the dispatcher across session classes, counted in grants (permits handed out) on one
 * thread with a manual clock: exact shares under saturation, the starvation bound, the heavy class first.
 */
class WeightedDispatchTest {

  /** Class index of every grant, in grant order; a granted turn holds its permit until release(). */
  private final List<Integer> granted = new ArrayList<>();
  /** When true, each grant puts a new ticket of its class in line (a session with a deep backlog). */
  private boolean refill;
  private FairDispatcher d;

  private FairDispatcher dispatcher(int permits, int... weights) {
    d = new FairDispatcher(permits, weights, (s, cls) -> {
      granted.add(cls);
      if (refill) d.offer(null, cls, Long.MAX_VALUE);
      return true;
    }, new ManualScheduler(), () -> {});
    return d;
  }

  private void tickets(int cls, int n) {
    for (int i = 0; i < n; i++) d.offer(null, cls, Long.MAX_VALUE);
    d.pump();
  }

  private long count(int cls) {
    return granted.stream().filter(c -> c == cls).count();
  }

  @Test
  void underSaturationEachClassGetsExactlyItsWeightOfEveryPeriod() {
    dispatcher(1, 1, 3); // standard 1, gold 3
    refill = true;
    d.offer(null, 0, Long.MAX_VALUE); // both lines non-empty before the first grant
    d.offer(null, 1, Long.MAX_VALUE);
    d.pump();
    for (int i = 0; i < 3999; i++) d.release(); // 4,000 grants, every line always non-empty
    assertThat(granted).hasSize(4000);
    assertThat(count(0)).as("the low class's share: 25%").isEqualTo(1000);
    assertThat(count(1)).isEqualTo(3000);
    for (int p = 0; p < 4000; p += 4) { // and in every period, not only on average
      assertThat(granted.subList(p, p + 4).stream().filter(c -> c == 0).count()).isEqualTo(1);
    }
  }

  @Test
  void threeClassesShareFiveThreeOne() {
    dispatcher(1, 5, 3, 1);
    refill = true;
    d.offer(null, 0, Long.MAX_VALUE);
    d.offer(null, 1, Long.MAX_VALUE);
    d.offer(null, 2, Long.MAX_VALUE);
    d.pump();
    for (int i = 0; i < 8999; i++) d.release();
    assertThat(List.of(count(0), count(1), count(2))).containsExactly(5000L, 3000L, 1000L);
  }

  /** With one of three classes idle, the two busy ones share by their own weights (5:1), not by the idle one's. */
  @Test
  void anIdleMiddleClassLeavesTheOthersTheirOwnRatio() {
    dispatcher(1, 5, 3, 1);
    refill = true;
    d.offer(null, 0, Long.MAX_VALUE);
    d.offer(null, 2, Long.MAX_VALUE); // class 1 has nothing to run
    d.pump();
    for (int i = 0; i < 5999; i++) d.release();
    assertThat(List.of(count(0), count(1), count(2))).containsExactly(5000L, 0L, 1000L);
  }

  /** The heaviest class idle: the two lighter ones share 3:1. */
  @Test
  void anIdleHeavyClassLeavesTheOthersTheirOwnRatio() {
    dispatcher(1, 5, 3, 1);
    refill = true;
    d.offer(null, 1, Long.MAX_VALUE);
    d.offer(null, 2, Long.MAX_VALUE);
    d.pump();
    for (int i = 0; i < 3999; i++) d.release();
    assertThat(List.of(count(0), count(1), count(2))).containsExactly(0L, 3000L, 1000L);
  }

  @Test
  void theLowClassIsServedWithinItsBoundBehindAHeavyHighBacklog() {
    dispatcher(1, 1, 3);
    d.offer(null, 1, Long.MAX_VALUE);
    d.pump(); // one gold turn holds the only permit
    tickets(1, 1000); // a heavy gold backlog
    tickets(0, 1); // then one standard ticket
    int bound = d.maxGap(0);
    assertThat(bound).as("weights 3:1 -> at most 4 grants").isEqualTo(4);
    int before = granted.size();
    for (int i = 0; i < bound && count(0) == 0; i++) d.release();
    assertThat(count(0)).as("served within " + bound + " grants").isEqualTo(1);
    assertThat(granted.size() - before).isLessThanOrEqualTo(bound);
  }

  @Test
  void theLowClassNeverStarvesAndItsFirstTicketsEachWaitAtMostTheBound() {
    dispatcher(1, 1, 9);
    d.offer(null, 1, Long.MAX_VALUE);
    d.pump();
    tickets(1, 5000);
    tickets(0, 10);
    int lastLow = granted.size() - 1;
    int served = 0;
    while (served < 10) {
      d.release();
      if (granted.getLast() == 0) {
        assertThat(granted.size() - 1 - lastLow).as("grants between two low grants").isLessThanOrEqualTo(d.maxGap(0));
        lastLow = granted.size() - 1;
        served++;
      }
    }
    assertThat(d.maxGap(0)).isEqualTo(10);
  }

  @Test
  void theHighClassGoesFirstUnderLoad() {
    dispatcher(1, 1, 3);
    d.offer(null, 0, Long.MAX_VALUE);
    d.pump(); // a standard turn holds the only permit
    tickets(0, 1000); // a heavy standard backlog
    tickets(1, 3); // then three gold tickets
    for (int i = 0; i < 4; i++) d.release();
    assertThat(granted.subList(1, 5)).as("the three gold tickets within the next four grants")
        .filteredOn(c -> c == 1).hasSize(3);
    assertThat(d.maxGap(1)).isEqualTo(2);
  }

  @Test
  void anIdleClasssSlotGoesToTheOthersSoNoPermitIdles() {
    dispatcher(2, 1, 3);
    tickets(0, 5); // only standard waits: it takes every grant
    assertThat(granted).containsExactly(0, 0);
    d.release();
    d.release();
    assertThat(granted).containsExactly(0, 0, 0, 0);
  }

  @Test
  void theScheduleInterleavesAndStartsWithTheHeaviest() {
    assertThat(FairDispatcher.smoothSchedule(new int[] {1, 3})).containsExactly(1, 0, 1, 1);
    assertThat(FairDispatcher.smoothSchedule(new int[] {2, 6})).as("reduced by the gcd").hasSize(4);
    assertThat(FairDispatcher.smoothSchedule(new int[] {1})).containsExactly(0);
  }
}
