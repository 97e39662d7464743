package dev.baton.testing.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.baton.SessionKey;
import dev.baton.spi.Store;
import dev.baton.testing.TestThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The stream anchors of {@link Store} (P10): {@code putAnchor}, {@code anchor}, {@code removeAnchor}; a session's
 * anchors are its own, at most {@link Store#MAX_ANCHORS_PER_SESSION} of them (the one put longest ago goes
 * first, P11, also under concurrent puts from two instances), the ids are bounded ({@link Store#MAX_ANCHOR_CHARS}), and a durable
 * store keeps them across a reopen.
 *
 * <p>Part of the store contract (STYLE 6), split by SPI; every store runs each part that applies to it, see
 * {@link StoreCases}. The concurrency case uses real threads released together ({@link TestThreads#together}).
 */
public interface AnchorContract extends StoreCases {

  SessionKey A = new SessionKey("api:u:a");
  SessionKey B = new SessionKey("api:u:b");

  @Test
  default void anAnchorIsPutReadReplacedAndRemoved() {
    assertThat(store().anchor(A, "m1#1")).isEmpty();
    store().putAnchor(A, "m1#1", "telegram:42:100");
    assertThat(store().anchor(A, "m1#1")).contains("telegram:42:100");
    assertThat(store().anchor(A, "m1#2")).as("another stream of the session").isEmpty();
    store().putAnchor(A, "m1#1", "telegram:42:101");
    assertThat(store().anchor(A, "m1#1")).as("replaced").contains("telegram:42:101");
    store().removeAnchor(A, "m1#1");
    assertThat(store().anchor(A, "m1#1")).isEmpty();
    store().removeAnchor(A, "m1#1"); // none: a no-op
    store().removeAnchor(B, "never-put");
    assertThat(store().anchor(A, "m1#1")).isEmpty();
  }

  @Test
  default void anotherSessionsAnchorIsInvisible() {
    store().putAnchor(A, "m1#1", "slack:C1:1.0");
    assertThat(store().anchor(B, "m1#1")).isEmpty();
    store().putAnchor(B, "m1#1", "slack:C2:2.0");
    assertThat(store().anchor(A, "m1#1")).contains("slack:C1:1.0");
    assertThat(store().anchor(B, "m1#1")).contains("slack:C2:2.0");
    store().removeAnchor(A, "m1#1");
    assertThat(store().anchor(A, "m1#1")).isEmpty();
    assertThat(store().anchor(B, "m1#1")).as("removing A's leaves B's").contains("slack:C2:2.0");
  }

  @Test
  default void aPutPastTheBoundForgetsTheSessionsOldestAnchor() {
    int max = Store.MAX_ANCHORS_PER_SESSION;
    for (int i = 0; i < max; i++) store().putAnchor(A, "s" + i, "a" + i);
    store().putAnchor(B, "s0", "b0");
    for (int i = 0; i < max; i++) assertThat(store().anchor(A, "s" + i)).contains("a" + i);
    store().putAnchor(A, "s0", "a0'"); // a replace makes s0 the newest: s1 is now the oldest
    store().putAnchor(A, "s" + max, "a" + max);
    assertThat(store().anchor(A, "s1")).as("the oldest put went").isEmpty();
    assertThat(store().anchor(A, "s0")).contains("a0'");
    for (int i = 2; i <= max; i++) assertThat(store().anchor(A, "s" + i)).contains("a" + i);
    store().putAnchor(A, "s" + (max + 1), "x");
    assertThat(store().anchor(A, "s2")).isEmpty();
    assertThat(store().anchor(A, "s3")).contains("a3");
    assertThat(store().anchor(B, "s0")).as("another session's anchors do not count").contains("b0");
  }

  @Test
  default void concurrentPutsOfOneSessionKeepExactlyTheBound() throws Exception {
    int threads = 6;
    int each = 10;
    // Half the threads on a second instance where the store has one (a second node on the same data).
    Store other = openAnother(scheduler()).map(this::track).orElse(store());
    TestThreads.together(threads, t -> () -> {
      Store on = t % 2 == 0 ? store() : other;
      for (int i = 0; i < each; i++) on.putAnchor(A, t + "#" + i, "anchor " + t + "/" + i);
      return null;
    });
    List<String> kept = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < each; i++) store().anchor(A, t + "#" + i).ifPresent(kept::add);
    }
    assertThat(kept).hasSize(Store.MAX_ANCHORS_PER_SESSION);
    // Each thread's last put was after its earlier ones: whatever of a thread survived is its newest puts.
    for (int t = 0; t < threads; t++) {
      boolean gone = false;
      for (int i = each - 1; i >= 0; i--) {
        boolean present = store().anchor(A, t + "#" + i).isPresent();
        if (present) assertThat(gone).as("thread %d put %d survived a later put of its own that went", t, i).isFalse();
        else gone = true;
      }
    }
  }

  @Test
  default void idsAreBoundedAndTheRefusalDoesNotEchoThem() {
    String longest = "x".repeat(Store.MAX_ANCHOR_CHARS);
    store().putAnchor(A, longest, longest);
    assertThat(store().anchor(A, longest)).contains(longest);
    String tooLong = "<script>" + "y".repeat(Store.MAX_ANCHOR_CHARS);
    assertThatThrownBy(() -> store().putAnchor(A, tooLong, "a")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("<script>").hasMessageContaining(String.valueOf(tooLong.length()));
    assertThatThrownBy(() -> store().putAnchor(A, "s", tooLong)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("<script>");
    assertThatThrownBy(() -> store().putAnchor(A, "", "a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store().putAnchor(A, "s", "")).isInstanceOf(IllegalArgumentException.class);
    assertThat(store().anchor(A, "s")).as("a refused put wrote nothing").isEmpty();
  }

  @Test
  default void anchorsSurviveAReopen() throws Exception {
    Optional<Store> probe = openAnother(scheduler());
    assumeThat(probe).as("store keeps data outside the instance").isPresent();
    probe.get().close();
    store().putAnchor(A, "m1#1", "discord:@original");
    store().putAnchor(A, "m2#1", "gone");
    store().removeAnchor(A, "m2#1");
    reopen();
    assertThat(store().anchor(A, "m1#1")).contains("discord:@original");
    assertThat(store().anchor(A, "m2#1")).isEmpty();
  }
}
