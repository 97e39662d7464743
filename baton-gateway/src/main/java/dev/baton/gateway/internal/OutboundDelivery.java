package dev.baton.gateway.internal;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.DeliveryConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview: delivers replies to the platforms, one lane per session. A lane is a FIFO queue with at most
 * one drainer (a virtual thread) at a time, so a session's replies go out in outboxSeq order while
 * sessions proceed in parallel. A transient failure is retried with exponential backoff, or after the
 * platform's Retry-After; the waits are CompletableFutures completed by the injected Scheduler (P4).
 * After max_attempts the reply is given up: counted, logged (without secrets), and marked delivered so it
 * does not block its session forever.
 * Concurrency: enqueue() is thread-safe and never blocks for long. Each lane's queue is guarded by a short
 * ReentrantLock (never held while delivering): the enqueuer that finds no drainer starts one; the drainer
 * takes each reply under the lock, and when it finds the queue empty (under the same lock, so no enqueue
 * can slip in between) it retires the lane and unmaps it, so idle sessions cost nothing. An enqueuer
 * that meets a retired lane takes the session's new one; the old drainer has already left, so a session
 * never has two drainers and its order holds.
 * Failure: stop() makes drainers leave at the next wait; what they did not deliver stays undelivered in
 * the store and is offered again after a restart.
 */
final class OutboundDelivery {

  /** Sends one reply to its platform; must not throw for a platform failure. */
  public interface Sink {
    SendOutcome send(Reply reply);
  }

  private static final Logger log = LoggerFactory.getLogger(OutboundDelivery.class);

  private final Map<String, Sink> sinks;
  private final Consumer<Runnable> starter;
  private final Store store;
  private final Scheduler scheduler;
  private final DeliveryConfig cfg;
  private final MeterRegistry meters;
  private final ConcurrentHashMap<SessionKey, Lane> lanes = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final ReentrantLock idleLock = new ReentrantLock();
  // Guarded by idleLock.
  private long pending;
  private CompletableFuture<Void> idle = CompletableFuture.completedFuture(null);

  public OutboundDelivery(Map<String, Sink> sinks, Store store, Scheduler scheduler, DeliveryConfig cfg,
      MeterRegistry meters) {
    this(sinks, store, scheduler, cfg, meters, drainer -> Thread.ofVirtual().name("baton-delivery").start(drainer));
  }

  /** With {@code starter} running each lane's drainer (a virtual thread; model-checking tests run it inline). */
  OutboundDelivery(Map<String, Sink> sinks, Store store, Scheduler scheduler, DeliveryConfig cfg,
      MeterRegistry meters, Consumer<Runnable> starter) {
    this.starter = starter;
    this.sinks = Map.copyOf(sinks);
    this.store = store;
    this.scheduler = scheduler;
    this.cfg = cfg;
    this.meters = meters;
  }

  public boolean handles(String channel) {
    return sinks.containsKey(channel);
  }

  /** Queues a reply behind the earlier ones of its session. Never blocks. */
  public void enqueue(Reply reply) {
    idleLock.lock();
    try {
      if (pending++ == 0) idle = new CompletableFuture<>();
    } finally {
      idleLock.unlock();
    }
    while (true) {
      Lane lane = lanes.computeIfAbsent(reply.session(), s -> new Lane());
      boolean start;
      lane.lock.lock();
      try {
        if (lane.retired) continue; // its drainer just left; take the session's new lane
        lane.queue.add(reply);
        start = !lane.draining;
        lane.draining = true;
      } finally {
        lane.lock.unlock();
      }
      if (start) starter.accept(() -> drain(reply.session(), lane));
      return;
    }
  }

  private void drain(SessionKey session, Lane lane) {
    while (true) {
      Reply r;
      lane.lock.lock();
      try {
        r = lane.queue.poll();
        if (r == null) { // empty, checked under the enqueuers' lock: retire, an idle session costs no memory
          lane.retired = true;
          lanes.remove(session, lane);
          return;
        }
      } finally {
        lane.lock.unlock();
      }
      if (!stopped.isDone()) deliver(r); // else left undelivered in the store
      idleLock.lock();
      try {
        if (--pending == 0) idle.complete(null);
      } finally {
        idleLock.unlock();
      }
    }
  }

  private void deliver(Reply r) {
    Sink sink = sinks.get(r.channel());
    if (sink == null) {
      giveUp(r, 0, "no such channel");
      return;
    }
    SendOutcome last = null;
    for (int attempt = 1; attempt <= cfg.maxAttempts(); attempt++) {
      try {
        last = sink.send(r);
      } catch (RuntimeException e) {
        last = new SendOutcome.Retry("error: " + e.getClass().getSimpleName(), java.util.Optional.empty());
      }
      switch (last) {
        case SendOutcome.Delivered d -> {
          meters.counter("baton.gateway.delivery.delivered", "channel", r.channel()).increment();
          markDelivered(r);
          return;
        }
        case SendOutcome.Failed f -> {
          giveUp(r, attempt, f.why());
          return;
        }
        case SendOutcome.Retry retry -> {
          if (attempt == cfg.maxAttempts()) break;
          meters.counter("baton.gateway.delivery.retried", "channel", r.channel()).increment();
          int n = attempt;
          Duration delay = retry.retryAfter().orElseGet(() -> backoff(n));
          if (!pause(delay)) return; // stopping: stays undelivered in the store
        }
      }
    }
    giveUp(r, cfg.maxAttempts(), last instanceof SendOutcome.Retry rt ? rt.why() : "unknown");
  }

  Duration backoff(int attempt) {
    long ms = cfg.initialBackoffMs() << Math.min(attempt - 1, 20);
    return Duration.ofMillis(Math.min(ms, cfg.maxBackoffMs()));
  }

  private boolean pause(Duration delay) {
    CompletableFuture<Void> wake = new CompletableFuture<>();
    Scheduler.Cancellable timer = scheduler.schedule(delay, () -> wake.complete(null));
    CompletableFuture.anyOf(wake, stopped).join();
    timer.cancel();
    return !stopped.isDone();
  }

  private void giveUp(Reply r, int attempts, String why) {
    meters.counter("baton.gateway.delivery.failed", "channel", r.channel()).increment();
    log.warn("reply delivery gave up: channel={} session={} outbox_seq={} attempts={} last={}", r.channel(),
        r.session(), r.outboxSeq(), attempts, why);
    markDelivered(r);
  }

  private void markDelivered(Reply r) {
    if (r.outboxSeq() <= 0) return; // not an outbox reply (no sequence number): nothing to mark
    try {
      store.markDelivered(r.session(), r.outboxSeq());
    } catch (RuntimeException e) {
      log.warn("could not mark reply delivered: session={} outbox_seq={} ({})", r.session(), r.outboxSeq(),
          e.getClass().getSimpleName());
    }
  }

  /** Waits (blocking) until nothing is queued or {@code deadline} passes, by the Scheduler's clock. */
  public boolean awaitIdle(Duration deadline) {
    CompletableFuture<Void> done;
    idleLock.lock();
    try {
      done = idle;
    } finally {
      idleLock.unlock();
    }
    if (done.isDone()) return true;
    if (deadline.isZero() || deadline.isNegative()) return false;
    CompletableFuture<Void> late = new CompletableFuture<>();
    Scheduler.Cancellable timer = scheduler.schedule(deadline, () -> late.complete(null));
    CompletableFuture.anyOf(done, late).join();
    timer.cancel();
    return done.isDone();
  }

  /** Makes every drainer stop at its next wait; undelivered replies stay in the store. */
  public void stop() {
    stopped.complete(null);
  }

  public long pending() {
    idleLock.lock();
    try {
      return pending;
    } finally {
      idleLock.unlock();
    }
  }

  private static final class Lane {
    final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock: the queue, whether a drainer runs, and whether it left for good (then unmapped).
    final ArrayDeque<Reply> queue = new ArrayDeque<>();
    boolean draining;
    boolean retired;
  }

  /** Lanes currently mapped (sessions with replies queued or in flight). */
  int lanes() {
    return lanes.size();
  }
}
