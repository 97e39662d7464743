package dev.baton.internal.engine;

import dev.baton.OrderKey;
import dev.baton.config.ConcurrencyConfig.OverflowAction;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.IntGen;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of a session's reorder buffer together with its mailbox: concurrent arrivals of sequence
 * numbers 0..3 in any order (repeats are late), claims and completions of serial turns. A message released
 * out of order, held when it should run, or run twice would be an outcome no serial order explains.
 */
@Param(name = "seq", gen = IntGen.class, conf = "0:3")
public class ReorderLincheckTest extends ActorLincheckOperations {


  public ReorderLincheckTest() {
    Cfg cfg = new Cfg();
    cfg.maxQueue = 3;
    cfg.overflow = OverflowAction.REJECT;
    HarnessSlot.current = new ActorHarness(cfg.build());
  }

  @Operation
  public String arrive(@Param(name = "seq") int seq) {
    return HarnessSlot.current.offer("s" + seq, OrderKey.sequence(seq));
  }

  /** Default suite: 3 threads x 3 operations, 8 scenarios x 100 interleavings (~25 s on 2 loaded cores). */
  @Test
  void modelChecking() {
    check(8, 100);
  }

  /** Wider search for {@code -Pslow}: 30 scenarios x 400 interleavings. */
  @Test
  @Tag("slow")
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void modelCheckingLong() {
    check(30, 400);
  }

  private static void check(int scenarios, int interleavings) {
    check(ReorderLincheckTest.class, MailboxModel.Reorder.class, scenarios, interleavings);
  }


}
