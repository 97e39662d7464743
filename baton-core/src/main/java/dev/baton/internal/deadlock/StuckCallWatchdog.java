package dev.baton.internal.deadlock;

import dev.baton.deadlock.GraphSnapshot;
import dev.baton.deadlock.Party;
import dev.baton.spi.LogText;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. The running tool calls and their last progress, for the stuck-call report (P4): a call that made
 * no progress (start, a lock taken, ctx.progress()) for longer than its timeout is counted and logged once,
 * until it makes progress again. A stuck call is not a wait and breaks nothing: it still runs and keeps its
 * locks. The graph's sweep calls check(); the graph's snapshot lists the calls.
 *
 * Concurrency. Thread-safe. One ReentrantLock guards the map of running calls; it is a leaf lock, separate
 * from the graph's (the two are never held together). check() decides under the lock which calls to report
 * and logs after releasing it.
 *
 * Failure. Nothing here throws on a call it does not know (progress or end of a call not started is a no-op).
 */
final class StuckCallWatchdog {
  private static final Logger log = LoggerFactory.getLogger(StuckCallWatchdog.class);

  private final Scheduler scheduler;
  private final Counter stuckCalls;
  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final Map<Party, Running> running = new HashMap<>();

  StuckCallWatchdog(Scheduler scheduler, MeterRegistry meters) {
    this.scheduler = scheduler;
    this.stuckCalls = meters.counter("baton.tool.calls.stuck");
  }

  void started(Party call, Duration timeout) {
    lock.lock();
    try {
      long now = scheduler.nanoTime();
      running.put(call, new Running(now, scheduler.now(), now, timeout.toNanos()));
    } finally {
      lock.unlock();
    }
  }

  void progress(Party call) {
    lock.lock();
    try {
      Running r = running.get(call);
      if (r != null) {
        r.lastProgressNanos = scheduler.nanoTime();
        r.reported = false;
      }
    } finally {
      lock.unlock();
    }
  }

  void ended(Party call) {
    lock.lock();
    try {
      running.remove(call);
    } finally {
      lock.unlock();
    }
  }

  /** Counts and logs every call that became stuck since the last check (each once until it progresses). */
  void check() {
    List<String> lines = new ArrayList<>(0);
    lock.lock();
    try {
      long now = scheduler.nanoTime();
      for (Map.Entry<Party, Running> e : running.entrySet()) {
        Running r = e.getValue();
        if (!r.reported && r.isStuck(now)) {
          r.reported = true;
          lines.add("tool call " + LogText.escape(e.getKey().toString(), 1_000) + " made no progress for "
              + (now - r.lastProgressNanos) / 1_000_000 + " ms (timeout " + r.timeoutNanos / 1_000_000
              + " ms); it still runs and keeps its locks");
        }
      }
    } finally {
      lock.unlock();
    }
    for (String line : lines) {
      stuckCalls.increment();
      log.warn("{}", line);
    }
  }

  /** The running calls with their last progress and whether each is stuck now. */
  List<GraphSnapshot.RunningCall> snapshot() {
    lock.lock();
    try {
      long now = scheduler.nanoTime();
      List<GraphSnapshot.RunningCall> calls = new ArrayList<>(running.size());
      running.forEach((call, r) -> calls.add(new GraphSnapshot.RunningCall(call.toString(), r.since,
          r.since.plusNanos(r.lastProgressNanos - r.startNanos), r.isStuck(now))));
      return calls;
    } finally {
      lock.unlock();
    }
  }

  /** One running call. Fields other than the finals are guarded by the watchdog's lock. */
  private static final class Running {
    final long startNanos;
    final Instant since;
    final long timeoutNanos;
    long lastProgressNanos;
    boolean reported;

    Running(long startNanos, Instant since, long lastProgressNanos, long timeoutNanos) {
      this.startNanos = startNanos;
      this.since = since;
      this.lastProgressNanos = lastProgressNanos;
      this.timeoutNanos = timeoutNanos;
    }

    boolean isStuck(long now) {
      return now - lastProgressNanos > timeoutNanos;
    }
  }
}
