package dev.baton.internal.engine;

import dev.baton.OrderKey;
import dev.baton.config.ConcurrencyConfig.OverflowAction;
import dev.baton.config.ConcurrencyConfig.QueueMode;
import java.util.concurrent.TimeUnit;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the steer hand-off (P10): offers race a running turn that takes steered messages, the end
 * of that turn, and the claim of the next one, including a message that arrives at the very moment the turn
 * ends. The model (SteerModel) says each message is in exactly one turn, in order; an outcome no serial order
 * explains fails (e.g. a message taken by the turn and also left queued, or taken after the turn ended).
 */
@Param(name = "id", gen = IntGen.class, conf = "0:3")
public class SteerLincheckTest extends ActorLincheckOperations {

  public SteerLincheckTest() {
    Cfg cfg = new Cfg();
    cfg.maxPerSession = 1;
    cfg.maxTotal = 2;
    cfg.maxQueue = 2;
    cfg.mode = QueueMode.STEER;
    cfg.overflow = OverflowAction.REJECT;
    HarnessSlot.current = new ActorHarness(cfg.build());
  }

  @Operation
  public String offer(@Param(name = "id") int id) {
    return HarnessSlot.current.offer("m" + id, OrderKey.none());
  }

  @Operation
  public String steer() {
    return HarnessSlot.current.steer();
  }

  /** Default suite: 3 threads x 3 operations, 8 scenarios x 120 interleavings. */
  @Test
  void modelChecking() {
    check(SteerLincheckTest.class, SteerModel.class, 8, 120);
  }

  /** Wider search for {@code -Pslow}. */
  @Test
  @Tag("slow")
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void modelCheckingLong() {
    check(SteerLincheckTest.class, SteerModel.class, 30, 400);
  }
}
