package dev.baton.tools.internal;

import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The operations of {@link LockManagerLincheckTest} under Lincheck's stress strategy (real threads, many
 * runs). A class of its own so it runs in its own JVM (surefire {@code reuseForks=false}): Lincheck's agent
 * cannot be installed twice in one JVM.
 */
@Tag("slow") // 12 s on a quiet machine, minutes on a loaded one: ./run-tests -Pslow
class LockManagerLincheckStressTest {
  @Test
  void stress() {
    LinChecker.check(LockManagerLincheckTest.class,
        new StressOptions().iterations(30).invocationsPerIteration(1_000).threads(3).actorsPerThread(3));
  }
}
