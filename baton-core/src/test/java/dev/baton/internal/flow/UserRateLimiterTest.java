package dev.baton.internal.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The per-user token bucket (GCRA) and its bounded, self-evicting map, on the manual clock. */
class UserRateLimiterTest {

  private final ManualScheduler clock = new ManualScheduler();

  private UserRateLimiter<String> limiter(int perMinute, int burst, int maxTracked) {
    return new UserRateLimiter<>(perMinute, burst, maxTracked, clock.nanoTime());
  }

  private boolean take(UserRateLimiter<String> l, String user) {
    return l.tryAcquire(user, clock.nanoTime());
  }

  /** The engine gives a token back when another bound refused the message: the user may send it again. */
  @Test
  void aTokenGivenBackCanBeTakenAgainButNeverOverfillsTheBucket() {
    UserRateLimiter<String> l = limiter(1, 1, 100);
    assertThat(take(l, "alice")).isTrue();
    assertThat(take(l, "alice")).isFalse();
    l.giveBack("alice"); // the message was refused by its queue
    assertThat(take(l, "alice")).as("the retry is not charged twice").isTrue();
    assertThat(take(l, "alice")).isFalse();
    l.giveBack("bob"); // a bucket the limiter does not hold (a fresh one is full): nothing happens
    assertThat(take(l, "bob")).isTrue();
    assertThat(take(l, "bob")).as("a full bucket is not filled beyond its burst").isFalse();
    clock.advance(java.time.Duration.ofMinutes(5));
    l.giveBack("carol");
    assertThat(take(l, "carol")).isTrue();
    assertThat(take(l, "carol")).isFalse();
  }

  @Test
  void nPerMinuteAreAdmittedTheNextIsRefusedAndOneComesBackAfterExactlySixtyOverNSeconds() {
    UserRateLimiter<String> l = limiter(6, 6, 1000);
    for (int i = 0; i < 6; i++) assertThat(take(l, "alice")).as("message %d", i + 1).isTrue();
    assertThat(take(l, "alice")).as("the 7th in the same minute").isFalse();
    clock.advance(Duration.ofSeconds(10).minusNanos(1));
    assertThat(take(l, "alice")).as("1 ns before 60/6 s").isFalse();
    clock.advance(Duration.ofNanos(1));
    assertThat(take(l, "alice")).as("at exactly 60/6 s").isTrue();
    assertThat(take(l, "alice")).isFalse();
    clock.advance(Duration.ofSeconds(60));
    for (int i = 0; i < 6; i++) assertThat(take(l, "alice")).isTrue(); // refilled to the burst, not beyond
    assertThat(take(l, "alice")).isFalse();
  }

  @Test
  void overAnHourTheRateIsExactlyNPerMinutePlusTheBurst() {
    UserRateLimiter<String> l = limiter(7, 3, 1000); // 60/7 s does not divide: rounded up, never above 7/min
    int admitted = 0;
    for (int s = 0; s < 3600; s++) {
      while (take(l, "bob")) admitted++;
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(admitted).isBetween(3 + 7 * 60 - 1, 3 + 7 * 60);
  }

  @Test
  void theBurstIsItsOwnSizeAndUsersDoNotShareBuckets() {
    UserRateLimiter<String> l = limiter(60, 3, 1000);
    assertThat(take(l, "a")).isTrue();
    assertThat(take(l, "a")).isTrue();
    assertThat(take(l, "a")).isTrue();
    assertThat(take(l, "a")).isFalse();
    assertThat(take(l, "b")).as("another user has a bucket of his own").isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(take(l, "a")).isTrue();
    assertThat(take(l, "a")).isFalse();
  }

  @Test
  void manyThreadsOnOneBucketNeverTakeMoreThanItHolds() throws Exception {
    UserRateLimiter<String> l = limiter(10, 10, 1000);
    for (int round = 0; round < 20; round++) {
      AtomicInteger won = new AtomicInteger();
      long now = clock.nanoTime();
      List<Integer> per = TestThreads.together(8, t -> () -> {
        int n = 0;
        for (int i = 0; i < 200; i++) {
          if (l.tryAcquire("u" + (i % 4), now)) n++;
        }
        won.addAndGet(n);
        return n;
      });
      // 4 users: on the first round each has its 10; later rounds each got exactly 10 minutes' worth back
      assertThat(won.get()).as("round %d (%s)", round, per).isEqualTo(40);
      clock.advance(Duration.ofMinutes(1));
    }
  }

  @Test
  void aMillionUserIdsKeepAtMostTheBoundAndEveryNewIdStillGetsItsBurst() throws Exception {
    UserRateLimiter<String> l = limiter(1, 2, 1000);
    AtomicInteger refusedFresh = new AtomicInteger();
    TestThreads.together(4, t -> () -> {
      for (int i = 0; i < 250_000; i++) {
        if (!l.tryAcquire("sprayer-" + t + "-" + i, clock.nanoTime())) refusedFresh.incrementAndGet();
        assertThat(l.tracked()).isLessThanOrEqualTo(1000 + 16);
      }
      return null;
    });
    assertThat(refusedFresh.get()).isZero();
    assertThat(l.tracked()).isLessThanOrEqualTo(1000 + 16); // racing inserts may each add one before their check
  }

  @Test
  void idleUsersAreForgottenAfterTwoRefillTimesAndComeBackFull() {
    UserRateLimiter<String> l = limiter(60, 5, 1_000_000); // refill: 5 s
    for (int i = 0; i < 100; i++) take(l, "idle-" + i);
    assertThat(take(l, "busy")).isTrue();
    assertThat(l.tracked()).isEqualTo(101);
    clock.advance(Duration.ofSeconds(5));
    take(l, "busy"); // a rotation: the idle ones are in the previous generation
    assertThat(l.tracked()).isEqualTo(101);
    clock.advance(Duration.ofSeconds(5));
    take(l, "busy"); // the second: they were full, and are dropped
    assertThat(l.tracked()).isEqualTo(1);
    for (int i = 0; i < 5; i++) assertThat(take(l, "idle-0")).isTrue();
    assertThat(take(l, "idle-0")).isFalse();
  }

  @Test
  void aUserWhoKeepsSendingKeepsHisBucketAcrossRotations() {
    UserRateLimiter<String> l = limiter(60, 5, 1_000_000);
    for (int i = 0; i < 5; i++) assertThat(take(l, "alice")).isTrue();
    for (int s = 0; s < 30; s++) {
      clock.advance(Duration.ofSeconds(1));
      assertThat(take(l, "alice")).as("second %d: one back per second", s).isTrue();
      assertThat(take(l, "alice")).as("second %d: never a fresh bucket", s).isFalse();
    }
  }
}
