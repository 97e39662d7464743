package dev.baton.internal.engine;

import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;

/**
 * The operations every Lincheck test of a session actor shares (the dispatcher claims a turn, a turn
 * finishes, an admin view reads), over the harness in {@link HarnessSlot}; a subclass adds how messages
 * arrive and names its sequential model. Lincheck reads @Operation methods of superclasses too.
 */
public abstract class ActorLincheckOperations {

  @Operation
  public String claim() {
    return HarnessSlot.current.claim();
  }

  @Operation
  public String finish() {
    return HarnessSlot.current.finish();
  }

  @Operation
  public String view() {
    return HarnessSlot.current.view();
  }

  /** Model-checks {@code test} against {@code model}: 3 threads x 3 operations. */
  static void check(Class<?> test, Class<?> model, int scenarios, int interleavings) {
    LinChecker.check(test, new ModelCheckingOptions().iterations(scenarios).invocationsPerIteration(interleavings)
        .threads(3).actorsPerThread(3).sequentialSpecification(model));
  }
}
