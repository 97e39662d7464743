package dev.baton.internal.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The engine's Micrometer meters (names are part of the operator contract, see docs/concurrency.md). */
final class EngineMetrics {

  final Counter admitted;
  final Counter duplicates;
  final Counter busy;
  final Counter dedupFull;
  final Counter rejected;
  final Counter expired;
  final Counter gaps;
  final Counter late;
  final Counter turnsFailed;
  final Counter turnsTimedOut;
  final Counter turnsCancelled;
  /** Cluster mode: commits refused because another node took the session's lease. */
  final Counter fenced;
  final Timer queueWait;
  final Timer turnDuration;
  /** Messages held in reorder buffers or waiting in mailboxes; the counter of max_queued_total (Bounds). */
  final AtomicLong queued;
  final AtomicInteger running = new AtomicInteger();
  /** Per session class: turns started (global permits granted), {@code baton.dispatch.grants{class}}. */
  Counter[] grants = new Counter[0];

  EngineMetrics(MeterRegistry r, AtomicLong queued) {
    this.queued = queued;
    admitted = r.counter("baton.messages.admitted");
    duplicates = r.counter("baton.messages.duplicates");
    busy = r.counter("baton.messages.busy");
    dedupFull = r.counter("baton.bounds.refused", "bound", "dedup");
    rejected = r.counter("baton.messages.rejected");
    expired = r.counter("baton.messages.expired");
    gaps = r.counter("baton.order.gaps");
    late = r.counter("baton.order.late");
    turnsFailed = r.counter("baton.turns.failed");
    turnsTimedOut = r.counter("baton.turns.timeouts");
    turnsCancelled = r.counter("baton.turns.cancelled");
    fenced = r.counter("baton.cluster.fenced");
    queueWait = Timer.builder("baton.queue.wait")
        .description("From arrival to the start of the message's turn")
        .publishPercentileHistogram().register(r);
    turnDuration = Timer.builder("baton.turn.duration")
        .description("From turn start to its commit")
        .publishPercentileHistogram().register(r);
    Gauge.builder("baton.queue.depth", queued, AtomicLong::get)
        .description("Messages waiting in mailboxes and reorder buffers").register(r);
    Gauge.builder("baton.turns.running", running, AtomicInteger::get)
        .description("Turns running now").register(r);
  }

  /** {@code baton.turns.limit}: the permits turns may hold (max_concurrent_total; a cluster node's share). */
  void limit(MeterRegistry r, java.util.function.IntSupplier capacity) {
    Gauge.builder("baton.turns.limit", capacity::getAsInt)
        .description("Turns that may run at once (agent.concurrency.max_concurrent_total; a cluster node's permits)")
        .register(r);
  }

  /** The per-class meters: grants counted, tickets waiting for a permit (gauge). */
  void classes(MeterRegistry r, java.util.List<String> names, java.util.function.IntToLongFunction waiting) {
    grants = new Counter[names.size()];
    for (int i = 0; i < names.size(); i++) {
      int cls = i;
      grants[i] = Counter.builder("baton.dispatch.grants").tag("class", names.get(i))
          .description("Global permits granted to turns of the session class").register(r);
      Gauge.builder("baton.dispatch.waiting", () -> waiting.applyAsLong(cls)).tag("class", names.get(i))
          .description("Sessions of the class in line for a global permit").register(r);
    }
  }
}
