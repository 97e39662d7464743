package dev.baton.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.ReplyHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A thread-safe {@link ReplyHandler} for tests: records every reply, checks that one session's replies come in
 * outboxSeq order and never concurrently, and lets a test wait (bounded) for a number of replies.
 *
 * <p><b>Concurrency.</b> The engine's delivery threads call {@link #onReply}; the test's thread reads. One lock
 * guards everything; {@link #await} waits on its condition, bounded by {@link #WAIT}.
 */
public class ReplyLog implements ReplyHandler {

  public static final Duration WAIT = Duration.ofSeconds(20);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<Reply> all = new ArrayList<>();
  private final Map<SessionKey, Long> lastSeq = new HashMap<>();
  private final Map<SessionKey, Thread> inHandler = new HashMap<>();
  private final List<String> violations = new ArrayList<>();

  @Override
  public void onReply(Reply r) {
    lock.lock();
    try {
      Thread other = inHandler.put(r.session(), Thread.currentThread());
      if (other != null) violations.add("concurrent delivery for " + r.session());
      long last = lastSeq.getOrDefault(r.session(), 0L);
      if (r.outboxSeq() != last + 1) violations.add(r.session() + ": seq " + r.outboxSeq() + " after " + last);
      lastSeq.put(r.session(), r.outboxSeq());
    } finally {
      lock.unlock();
    }
    Thread.yield();
    lock.lock();
    try {
      inHandler.remove(r.session());
      all.add(r);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until at least {@code n} replies arrived; fails after {@link #WAIT}. */
  public List<Reply> await(int n) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    lock.lock();
    try {
      while (all.size() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new AssertionError("only " + all.size() + " of " + n + " replies: " + all);
        changed.awaitNanos(left);
      }
      return List.copyOf(all);
    } finally {
      lock.unlock();
    }
  }

  public List<Reply> all() {
    lock.lock();
    try {
      return List.copyOf(all);
    } finally {
      lock.unlock();
    }
  }

  public List<String> texts() {
    List<String> out = new ArrayList<>();
    for (Reply r : all()) out.add(r.text());
    return out;
  }

  public List<Reply> of(SessionKey s) {
    List<Reply> out = new ArrayList<>();
    for (Reply r : all()) if (r.session().equals(s)) out.add(r);
    return out;
  }

  public void assertOrderly() {
    lock.lock();
    try {
      assertThat(violations).isEmpty();
    } finally {
      lock.unlock();
    }
  }
}
