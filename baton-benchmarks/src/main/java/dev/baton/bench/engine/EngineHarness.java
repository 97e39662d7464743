package dev.baton.bench.engine;

import org.jspecify.annotations.Nullable;
import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.DedupConfig;
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
    this(sessions, agentOrNull, true);
  }

  /**
   * @param shortDedupWindow true: keys are kept 2 s (sustained load); false: the default window and bounds (a
   *     footprint count that includes each message's dedup record)
   */
  EngineHarness(int sessions, @Nullable Agent agentOrNull, boolean shortDedupWindow) {
    senders = new String[sessions];
    for (int i = 0; i < sessions; i++) senders[i] = "user-" + i;
    BatonConfig defaults = BatonConfig.defaults();
    ConcurrencyConfig c = defaults.agent().concurrency();
    // Every promise on, with bounds sized for a benchmark: a batch of 20,000 may all wait at once
    // (max_queued_total), and the dedup window keeps 2 s of keys (about the 1,000,000 records of the default
    // max_entries at 500,000 msgs/s) with room to spare, so no message is refused (P11) and the live set stays
    // what the default window's bound kept before the bound refused instead of forgetting.
    ConcurrencyConfig bench = new ConcurrencyConfig(1, 64, 10_000, 60_000, c.overflowAction(), c.busyMessage(),
        c.queueMode(), 0, 1_000_000);
    DedupConfig d = defaults.dedup();
    BatonConfig config = defaults.withAgent(defaults.agent().withConcurrency(bench));
    if (shortDedupWindow) config = config.withDedup(new DedupConfig(2_000, 50_000_000, d.fingerprintBucketMs(), 50_000_000));
    Agent agent = agentOrNull != null ? agentOrNull : turn -> processed.incrementAndGet();
    baton = Baton.builder().config(config).agent(agent).build();
  }

  /** Submits one message for session {@code i}; ids are unique so every message is admitted. */
  void submit(int session) {
    submit(senders[session]);
  }

  /**
   * Submits one message from {@code sender}; thread-safe. A message that is not accepted fails the benchmark
   * at once: waiting for its turn would hang, and a figure with refusals in it measures something else.
   */
  void submit(String sender) {
    long id = nextId.getAndIncrement();
    Admission a = baton.submit(new InboundMessage("bench", Long.toString(id), sender, "", OrderKey.none(), "hi",
        SENT, Map.of()));
    if (!(a instanceof Admission.Accepted)) {
      throw new IllegalStateException("message " + id + " was not accepted: " + a + " (a bound of the harness's"
          + " config is too small for this rate)");
    }
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
