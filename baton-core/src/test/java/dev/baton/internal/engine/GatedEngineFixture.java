package dev.baton.internal.engine;

import dev.baton.Baton;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;

/**
 * An engine test on the memory store with a manual clock, a {@link GateAgent} (turns block until opened) and
 * a {@link Replies} log; {@link #start} builds the engine from a {@link Cfg}. Fresh per test method.
 */
abstract class GatedEngineFixture {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  final ManualScheduler clock = new ManualScheduler();
  final Replies replies = new Replies();
  final GateAgent agent = new GateAgent();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final MemoryStore store = new MemoryStore();

  Baton start(Cfg cfg) {
    return Baton.builder().config(cfg.build()).scheduler(clock).agent(agent).store(store).replies(replies)
        .meterRegistry(meters).build();
  }
}
