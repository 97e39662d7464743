package dev.baton.internal.time;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.spi.Scheduler.Cancellable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The timing wheel on the real clock: tasks never run early, cancelled ones never run, under concurrency. */
class SystemSchedulerTest {

  private SystemScheduler s;

  @BeforeEach
  void start() {
    s = new SystemScheduler("test-timer");
  }

  @AfterEach
  void stop() throws InterruptedException {
    s.stop();
  }

  @Test
  void aTaskRunsOnceNotBeforeItsDeadlineAndOnTheTimerThread() throws Exception {
    List<long[]> ran = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(4);
    ConcurrentLinkedQueue<String> names = new ConcurrentLinkedQueue<>();
    long[] delaysMs = {0, 3, 20, 1500}; // 1500 ms > one turn of the wheel (1024 ticks): uses rounds
    for (long d : delaysMs) {
      long[] slot = {s.nanoTime() + d * 1_000_000L, 0};
      synchronized (ran) {
        ran.add(slot);
      }
      s.schedule(Duration.ofMillis(d), () -> {
        slot[1] = System.nanoTime();
        names.add(Thread.currentThread().getName());
        done.countDown();
      });
    }
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    synchronized (ran) {
      for (long[] r : ran) assertThat(r[1]).isGreaterThanOrEqualTo(r[0]);
    }
    assertThat(names).hasSize(4).containsOnly("test-timer");
  }

  @Test
  void aCancelledTaskNeverRunsAndCancelReportsWhetherItWon() throws Exception {
    AtomicInteger cancelledRan = new AtomicInteger();
    Cancellable c = s.schedule(Duration.ofMillis(5), cancelledRan::incrementAndGet);
    assertThat(c.cancel()).isTrue();
    assertThat(c.cancel()).isFalse();
    CountDownLatch sentinel = new CountDownLatch(1);
    CountDownLatch ranOnce = new CountDownLatch(1);
    Cancellable ran = s.schedule(Duration.ZERO, ranOnce::countDown);
    s.schedule(Duration.ofMillis(30), sentinel::countDown); // runs after the cancelled task's deadline
    assertThat(ranOnce.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ran.cancel()).isFalse(); // already ran
    assertThat(sentinel.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(cancelledRan).hasValue(0);
  }

  @Test
  void concurrentScheduleAndCancelRunExactlyTheTasksNotCancelled() throws Exception {
    int threads = 4, perThread = 5_000;
    AtomicInteger ranCount = new AtomicInteger();
    AtomicInteger early = new AtomicInteger();
    AtomicInteger expected = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          go.await();
          for (int i = 0; i < perThread; i++) {
            long delayNs = (i % 7) * 1_000_000L + (i % 3) * 300_000L;
            long due = System.nanoTime() + delayNs;
            Cancellable c = s.schedule(Duration.ofNanos(delayNs), () -> {
              if (System.nanoTime() < due) early.incrementAndGet();
              ranCount.incrementAndGet();
            });
            if (i % 2 != 0 || !c.cancel()) expected.incrementAndGet(); // cancel() false: it ran
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }));
    }
    go.countDown();
    for (Thread t : ts) t.join();
    assertThat(errors).isEmpty();
    CountDownLatch sentinel = new CountDownLatch(1);
    s.schedule(Duration.ofMillis(50), sentinel::countDown); // later than every task above
    assertThat(sentinel.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ranCount).hasValue(expected.get());
    assertThat(early).hasValue(0);
  }
}
