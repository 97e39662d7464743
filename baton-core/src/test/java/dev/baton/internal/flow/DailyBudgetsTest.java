package dev.baton.internal.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Daily token counts per user: spent at the limit, reset at midnight UTC, bounded. */
class DailyBudgetsTest {

  private static final Instant NOON = Instant.parse("2026-03-01T12:00:00Z");

  @Test
  void spentAtTheLimitUntilMidnightUtc() {
    DailyBudgets<String> b = new DailyBudgets<>(100, 10);
    b.record("alice", 99, NOON);
    assertThat(b.spent("alice", NOON)).isFalse();
    b.record("alice", 1, NOON);
    assertThat(b.spent("alice", NOON)).isTrue();
    assertThat(b.spent("bob", NOON)).isFalse();
    Instant lastNs = Instant.parse("2026-03-01T23:59:59.999999999Z");
    assertThat(b.spent("alice", lastNs)).isTrue();
    Instant midnight = Instant.parse("2026-03-02T00:00:00Z");
    assertThat(b.spent("alice", midnight)).isFalse();
    assertThat(b.spentTokens("alice", midnight)).isZero();
    assertThat(b.tracked(midnight)).isZero();
  }

  @Test
  void pastTheBoundNewUsersAreStillCountedNeverFreeForTheDay() {
    DailyBudgets<String> b = new DailyBudgets<>(10, 3);
    for (int i = 0; i < 3; i++) b.record("u" + i, 10, NOON); // a sprayer fills the day's map
    assertThat(b.spent("late", NOON)).as("a new user past the bound starts with its budget").isFalse();
    b.record("late", 1_000, NOON);
    assertThat(b.tracked(NOON)).isEqualTo(3);
    assertThat(b.spent("late", NOON)).as("and spends it like anyone: counted in a shared counter").isTrue();
    assertThat(b.untracked()).isEqualTo(1);
    b.record("u0", 5, NOON); // a tracked user keeps counting
    assertThat(b.spentTokens("u0", NOON)).isEqualTo(15);
    assertThat(b.spent("late", NOON.plus(java.time.Duration.ofDays(1)))).as("a new day for everyone").isFalse();
  }

}
