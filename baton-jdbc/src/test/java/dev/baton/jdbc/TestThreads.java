package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The threads a test starts: each is joined, and an exception in any of them fails the test. */
final class TestThreads {

  /** A thread's body; whatever it throws is kept and fails the test at {@link #joinAll}. */
  interface Body {
    void run() throws Exception;
  }

  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();

  /** Starts {@code body} on a new virtual thread named {@code name}. */
  Thread spawn(String name, Body body) {
    Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failures.add(e);
      }
    });
    threads.add(t);
    t.start();
    return t;
  }

  /** Waits for every thread (each at most {@code limit}, else the test fails), then rethrows a failure. */
  void joinAll(Duration limit) throws InterruptedException {
    for (Thread t : threads) {
      t.join(limit);
      assertThat(t.isAlive()).as("thread %s ended", t.getName()).isFalse();
    }
    if (!failures.isEmpty()) throw new AssertionError("a thread failed", failures.getFirst());
  }
}
