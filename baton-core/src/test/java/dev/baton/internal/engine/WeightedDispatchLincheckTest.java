package dev.baton.internal.engine;

import dev.baton.testing.ManualScheduler;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * The weighted dispatcher's lock-free paths under Lincheck's model checking: tickets of two classes offered
 * and turns finished concurrently, two permits. The operations return nothing (the order of grants within a
 * period may differ under concurrency, by design); what every interleaving must keep is checked after it
 * ({@link #invariants}): no lost wake-up (a ticket never waits while a permit is free), never more grants
 * than permits, and every ticket either granted exactly once or still in line.
 */
@Param(name = "cls", gen = IntGen.class, conf = "0:1")
public class WeightedDispatchLincheckTest {

  private static final int PERMITS = 2;
  private final AtomicInteger held = new AtomicInteger();
  private final AtomicInteger offered = new AtomicInteger();
  private final AtomicInteger granted = new AtomicInteger();
  private final FairDispatcher d = new FairDispatcher(PERMITS, new int[] {1, 2}, (s, cls) -> {
    held.incrementAndGet();
    granted.incrementAndGet();
    return true;
  }, new ManualScheduler(), () -> {});

  @Operation
  public void offer(@Param(name = "cls") int cls) {
    offered.incrementAndGet();
    d.offer(null, cls, Long.MAX_VALUE);
    d.pump();
  }

  /** A running turn ends and gives its permit back (if one runs). */
  @Operation
  public void finish() {
    if (held.getAndUpdate(h -> h > 0 ? h - 1 : h) > 0) d.release();
  }

  @Validate
  public void invariants() {
    int inUse = d.inUse();
    if (inUse != held.get()) throw new IllegalStateException("permits in use " + inUse + " != turns " + held.get());
    if (inUse > PERMITS) throw new IllegalStateException("more turns than permits: " + inUse);
    if (d.waiting() > 0 && inUse < PERMITS) {
      throw new IllegalStateException("lost wake-up: " + d.waiting() + " waiting with a permit free");
    }
    if (granted.get() + d.waiting() != offered.get()) {
      throw new IllegalStateException("tickets lost or granted twice: " + granted.get() + " granted + "
          + d.waiting() + " waiting != " + offered.get() + " offered");
    }
  }

  /** 3 threads x 3 operations, 10 scenarios x 200 interleavings. */
  @Test
  void modelChecking() {
    LinChecker.check(WeightedDispatchLincheckTest.class, new ModelCheckingOptions().iterations(10)
        .invocationsPerIteration(200).threads(3).actorsPerThread(3));
  }
}
