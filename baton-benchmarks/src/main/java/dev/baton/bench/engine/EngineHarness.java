package dev.baton.bench.engine;

import org.jspecify.annotations.Nullable;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A Baton engine with a no-op agent that counts the turns it runs, every promise on (dedup, ordering,
 * per-session serial turns, global cap, queue timeout). Shared by the engine benchmarks.
 */
final class EngineHarness implements AutoCloseable {

  static final Instant SENT = Instant.parse("2026-11-27T00:00:00Z");

  final AtomicLong processed = new AtomicLong();
  final Baton baton;
  final String[] senders;
  private final AtomicLong nextId = new AtomicLong();

  EngineHarness(int sessions, @Nullable Agent agentOrNull) {
    senders = new String[sessions];
    for (int i = 0; i < sessions; i++) senders[i] = "user-" + i;
    BatonConfig defaults = BatonConfig.defaults();
    ConcurrencyConfig c = defaults.agent().concurrency();
    ConcurrencyConfig bench = new ConcurrencyConfig(1, 64, 10_000, 60_000, c.overflowAction(), c.busyMessage(),
        c.queueMode(), 0);
    BatonConfig config = defaults.withAgent(defaults.agent().withConcurrency(bench));
    Agent agent = agentOrNull != null ? agentOrNull : turn -> processed.incrementAndGet();
    baton = Baton.builder().config(config).agent(agent).build();
  }

  /** Submits one message for session {@code i}; ids are unique so every message is admitted. */
  void submit(int session) {
    submit(senders[session]);
  }

  /** Submits one message from {@code sender}; thread-safe. */
  void submit(String sender) {
    long id = nextId.getAndIncrement();
    baton.submit(new InboundMessage("bench", Long.toString(id), sender, "", OrderKey.none(), "hi", SENT,
        Map.of()));
  }

  /** Waits until the agent has run {@code target} turns in total. */
  void awaitProcessed(long target) {
    while (processed.get() < target) LockSupport.parkNanos(10_000);
  }

  @Override
  public void close() {
    baton.close();
  }
}
