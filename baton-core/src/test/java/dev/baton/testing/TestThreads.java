package dev.baton.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * The threads a test starts, so that none is forgotten: each is joined (bounded), and an exception in any of
 * them fails the test. The one copy of this scaffolding for every module's tests.
 *
 * <p><b>Overview.</b> {@link #spawn} starts a virtual thread and keeps it; {@link #joinAll} (or {@link #close})
 * waits for all of them and rethrows the first failure. {@link #together} is the other common shape: {@code n}
 * platform threads released at once by a barrier, their results returned in thread order.
 *
 * <p><b>Concurrency.</b> {@link #spawn} may be called from any thread, also from a spawned one; the lists are
 * copy-on-write. {@link #joinAll} is called by the test's own thread.
 *
 * <p><b>Failure.</b> A thread still alive after the limit fails the test as hung (it is not stopped: the JVM
 * ends it); a body's exception is kept and rethrown, wrapped in an {@link AssertionError}, by {@link #joinAll}.
 */
public final class TestThreads implements Iterable<Thread>, AutoCloseable {

  /** How long any test thread may take before the test fails as hung. */
  public static final Duration LIMIT = Duration.ofSeconds(60);

  /** A thread's body; whatever it throws is kept and fails the test at {@link #joinAll}. */
  public interface Body {
    void run() throws Exception;
  }

  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();

  /** Starts {@code body} on a new virtual thread named {@code name}. */
  public Thread spawn(String name, Body body) {
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
  public void joinAll(Duration limit) throws InterruptedException {
    for (Thread t : threads) {
      if (!t.join(limit)) throw new AssertionError("thread " + t.getName() + " did not end within " + limit);
    }
    if (!failures.isEmpty()) throw new AssertionError("a thread failed", failures.getFirst());
  }

  /** {@link #joinAll} with {@link #LIMIT}. */
  @Override
  public void close() throws InterruptedException {
    joinAll(LIMIT);
  }

  /** The threads started so far, in start order. */
  @Override
  public Iterator<Thread> iterator() {
    return threads.iterator();
  }

  /**
   * Runs {@code n} tasks on their own platform threads, released together by a barrier; joins all of them
   * (each within {@link #LIMIT}) and rethrows the first failure of any. Returns the results in task order.
   */
  public static <T extends @Nullable Object> List<T> together(int n, IntFunction<Callable<T>> task)
      throws Exception {
    CyclicBarrier start = new CyclicBarrier(n);
    List<Thread> started = new ArrayList<>();
    List<@Nullable T> results = new ArrayList<>();
    for (int i = 0; i < n; i++) results.add(null);
    List<Throwable> failed = new CopyOnWriteArrayList<>();
    for (int i = 0; i < n; i++) {
      Callable<T> c = task.apply(i);
      int idx = i;
      started.add(Thread.ofPlatform().name("together-" + i).start(() -> {
        try {
          start.await(LIMIT.toSeconds(), TimeUnit.SECONDS);
          T r = c.call();
          synchronized (results) {
            results.set(idx, r);
          }
        } catch (Throwable e) {
          failed.add(e);
        }
      }));
    }
    for (Thread t : started) {
      if (!t.join(LIMIT)) throw new AssertionError("thread " + t.getName() + " did not end within " + LIMIT);
    }
    if (!failed.isEmpty()) throw new AssertionError("a concurrent task failed", failed.getFirst());
    synchronized (results) {
      @SuppressWarnings("unchecked")
      List<T> out = (List<T>) new ArrayList<>(results);
      return out;
    }
  }

  /** {@link #together} for tasks without a result. */
  public static void together(List<? extends Body> tasks) throws Exception {
    together(tasks.size(), i -> () -> {
      tasks.get(i).run();
      return null;
    });
  }
}
