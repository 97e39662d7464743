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
 * Linearizability of a session's mailbox (SessionActor): concurrent offers (with the queue cap), claims of
 * turns by the dispatcher and turn completions, with up to two turns of the session at once. The sequential
 * specification is an independent model (MailboxModel): any outcome (queued/full, which messages a turn gets,
 * what is left, the actor retiring and coming back) that no serial order explains fails.
 */
@Param(name = "id", gen = IntGen.class, conf = "0:3")
public class MailboxLincheckTest extends ActorLincheckOperations {


  public MailboxLincheckTest() {
    Cfg cfg = new Cfg();
    cfg.maxPerSession = 2;
    cfg.maxTotal = 2;
    cfg.maxQueue = 2;
    cfg.overflow = OverflowAction.REJECT;
    HarnessSlot.current = new ActorHarness(cfg.build());
  }

  @Operation
  public String offer(@Param(name = "id") int id) {
    return HarnessSlot.current.offer("m" + id, OrderKey.none());
  }

  /** Default suite: 3 threads x 3 operations, 8 scenarios x 120 interleavings (~20 s on 2 loaded cores). */
  @Test
  void modelChecking() {
    check(8, 120);
  }

  /** Wider search for {@code -Pslow}: 30 scenarios x 400 interleavings. */
  @Test
  @Tag("slow")
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void modelCheckingLong() {
    check(30, 400);
  }

  private static void check(int scenarios, int interleavings) {
    check(MailboxLincheckTest.class, MailboxModel.Mailbox.class, scenarios, interleavings);
  }


}
