package dev.baton.tools.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.DeadlockException;
import dev.baton.config.DeadlockDetectionConfig;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.testing.ManualScheduler;
import dev.baton.tools.Access;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The lock manager's rules one by one: compatibility, no writer starvation, re-entry, upgrade, bounds. */
class LockManagerTest {
  final ManualScheduler clock = new ManualScheduler();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final WaitGraph graph = WaitGraph.create(DeadlockDetectionConfig.defaults(), clock, meters);
  final LockManager lm = new LockManager(graph, clock, meters);

  static Party p(int i) {
    return Party.call(i, "");
  }

  /** Waits (bounded, in real time, no sleeping) until another thread has queued on {@code key}. */
  void untilQueued(String key) {
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    while (lm.queued(key) == 0) {
      if (System.nanoTime() > end) throw new AssertionError("nobody queued on " + key);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  static boolean granted(LockManager.Request r) {
    return r.future().isDone() && !r.future().isCompletedExceptionally();
  }

  @Test
  void readersShareAndAWriterExcludes() {
    assertThat(granted(lm.request(p(1), "k", Access.SHARED))).isTrue();
    assertThat(granted(lm.request(p(2), "k", Access.SHARED))).isTrue();
    LockManager.Request w = lm.request(p(3), "k", Access.EXCLUSIVE);
    assertThat(granted(w)).isFalse();
    lm.releaseAll(p(1));
    assertThat(granted(w)).isFalse();
    lm.release(p(2), "k");
    assertThat(granted(w)).isTrue();
    assertThat(lm.holders("k")).containsExactly("call#3:exclusive");
  }

  @Test
  void aQueuedWriterIsNotStarvedByLaterReaders() {
    lm.request(p(1), "k", Access.SHARED);
    LockManager.Request w = lm.request(p(2), "k", Access.EXCLUSIVE);
    LockManager.Request r2 = lm.request(p(3), "k", Access.SHARED);
    LockManager.Request r3 = lm.request(p(4), "k", Access.SHARED);
    assertThat(granted(r2)).as("a reader arriving behind a writer queues").isFalse();
    lm.releaseAll(p(1));
    assertThat(granted(w)).isTrue();
    assertThat(granted(r2)).isFalse();
    lm.releaseAll(p(2));
    assertThat(granted(r2) && granted(r3)).as("the readers behind it go together").isTrue();
  }

  @Test
  void reEntryNeverQueuesAndCountsItsHolds() {
    lm.request(p(1), "k", Access.EXCLUSIVE);
    lm.request(p(2), "k", Access.SHARED); // queued behind
    assertThat(granted(lm.request(p(1), "k", Access.EXCLUSIVE))).isTrue();
    assertThat(granted(lm.request(p(1), "k", Access.SHARED))).isTrue();
    lm.release(p(1), "k");
    lm.release(p(1), "k");
    assertThat(lm.holders("k")).containsExactly("call#1:exclusive");
    lm.release(p(1), "k");
    assertThat(lm.holders("k")).containsExactly("call#2:shared");
  }

  @Test
  void soleReaderUpgradesAtOnceAndTwoUpgradersDeadlock() throws Exception {
    lm.request(p(1), "solo", Access.SHARED);
    assertThat(granted(lm.request(p(1), "solo", Access.EXCLUSIVE))).isTrue();
    lm.request(p(2), "k", Access.SHARED);
    lm.request(p(3), "k", Access.SHARED);
    LockManager.Request up2 = lm.request(p(2), "k", Access.EXCLUSIVE);
    clock.advance(Duration.ofMillis(1));
    LockManager.Request up3 = lm.request(p(3), "k", Access.EXCLUSIVE);
    assertThatThrownBy(() -> up2.future().get()).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(DeadlockException.class);
    lm.cancel(up2);
    lm.releaseAll(p(2));
    assertThat(granted(up3)).isTrue();
    assertThat(lm.holders("k")).containsExactly("call#3:exclusive");
  }

  @Test
  void aDeclaredSetIsTakenInOneGlobalOrder() throws Exception {
    // Declared in opposite orders, two calls still lock b before c: the second waits, no cycle.
    lm.acquireAll(p(1), Map.of("c", Access.EXCLUSIVE, "b", Access.EXCLUSIVE), Long.MAX_VALUE);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    Thread t = Thread.ofVirtual().start(() -> {
      try {
        lm.acquireAll(p(2), Map.of("b", Access.EXCLUSIVE, "c", Access.EXCLUSIVE), Long.MAX_VALUE);
      } catch (Throwable e) {
        failure.set(e);
      } finally {
        done.countDown();
      }
    });
    untilQueued("b");
    assertThat(lm.queued("c")).isZero();
    lm.releaseAll(p(1));
    done.await();
    t.join();
    assertThat(failure.get()).isNull();
    assertThat(lm.heldBy(p(2))).containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void aWaitEndsAtTheDeadlineWithNothingHeld() throws Exception {
    lm.request(p(1), "k", Access.EXCLUSIVE);
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread t = Thread.ofVirtual().start(() -> {
      try {
        lm.acquire(p(2), "k", Access.SHARED, clock.nanoTime() + Duration.ofMillis(50).toNanos());
      } catch (Throwable e) {
        outcome.set(e);
      }
    });
    untilQueued("k");
    clock.advance(Duration.ofMillis(49));
    assertThat(t.isAlive()).isTrue();
    clock.advance(Duration.ofMillis(1));
    t.join();
    assertThat(outcome.get()).isInstanceOf(LockTimeoutException.class);
    assertThat(lm.queued("k")).isZero();
    assertThat(graph.waitCount()).isZero();
    assertThat(lm.heldBy(p(2))).isEmpty();
  }

  @Test
  void anInterruptedWaitLeavesTheQueue() throws Exception {
    lm.request(p(1), "k", Access.EXCLUSIVE);
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread t = Thread.ofVirtual().start(() -> {
      try {
        lm.acquire(p(2), "k", Access.EXCLUSIVE, Long.MAX_VALUE);
      } catch (Throwable e) {
        outcome.set(e);
      }
    });
    untilQueued("k");
    t.interrupt();
    t.join();
    assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    assertThat(lm.queued("k")).isZero();
    lm.releaseAll(p(1));
    assertThat(lm.holders("k")).isEmpty();
  }
}
