package dev.baton.jdbc;

import dev.baton.spi.Scheduler;
import dev.baton.spi.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background pruning: every {@code storage.prune_interval_ms} (on the injected {@link Scheduler}) a virtual
 * thread prunes dedup records older than {@code dedup.window_ms} and expired idempotency records. The prune
 * itself deletes in small transactions (see {@link JdbcStore#prune}), so ingest keeps flowing meanwhile.
 * One prune runs at a time: the next is scheduled only when the last has finished.
 */
final class Retention implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  /** No background pruning (a store opened without retention). */
  static final Retention NONE = new Retention(Optional.empty(), Scheduler.system(), Duration.ZERO, Duration.ZERO);

  private final Optional<JdbcStore> store;
  private final Scheduler scheduler;
  private final Duration window;
  private final Duration interval;
  private volatile boolean closed;
  private volatile Scheduler.Cancellable next = () -> false;

  Retention(JdbcStore store, Scheduler scheduler, Duration window, Duration interval) {
    this(Optional.of(store), scheduler, window, interval);
  }

  private Retention(Optional<JdbcStore> store, Scheduler scheduler, Duration window, Duration interval) {
    this.store = store;
    this.scheduler = scheduler;
    this.window = window;
    this.interval = interval;
  }

  void start() {
    if (store.isPresent()) schedule();
  }

  private void schedule() {
    if (!closed) next = scheduler.schedule(interval, () -> Thread.ofVirtual().name("baton-prune").start(this::run));
  }

  private void run() {
    try {
      Instant now = scheduler.now();
      long n = store.orElseThrow().prune(now.minus(window), now);
      if (n > 0) log.debug("pruned {} expired dedup and idempotency records", n);
    } catch (StoreException e) {
      if (!closed) log.warn("pruning expired records failed; will try again: {}", e.getMessage());
    } finally {
      schedule();
    }
  }

  @Override
  public void close() {
    closed = true;
    next.cancel();
  }
}
