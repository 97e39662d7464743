package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The flow demo end to end (in process, on the virtual clock): it passes with every tally checked, and each
 * protection switched off makes the tally that guards it fail.
 */
class FlowScenarioTest {

  private static DemoReport run(FlowScenario.Faults faults) throws Exception {
    return new FlowScenario(faults).run(new DemoOptions(10, 3, 1, 0, DemoCommand.demoConfig()), Progress.none());
  }

  @Test
  void everyFlowPromiseIsCheckedAndKeptWithinAFewSeconds() throws Exception {
    long start = System.nanoTime();
    DemoReport r = run(FlowScenario.Faults.NONE);
    assertThat(r.promises()).containsOnlyKeys("F1", "F2", "F3", "F4", "F5");
    assertThat(r.promises()).allSatisfy((name, p) -> {
      assertThat(p.violations()).as(name + ": " + p.examples()).isZero();
      assertThat(p.checked()).as(name).isPositive();
    });
    assertThat(r.passed()).isTrue();
    assertThat(r.engineCounters()).containsKey("baton.provider.pauses").containsKey("baton.loops.broken");
    assertThat((System.nanoTime() - start) / 1e9).as("real seconds").isLessThan(15);
  }

  @Test
  void withTheEnginesProviderLimitOffTheStubsLimitIsExceeded() throws Exception {
    DemoReport r = run(new FlowScenario.Faults(true, false, false));
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("F1").violations()).as("rate").isPositive();
    assertThat(r.promises().get("F5").violations()).isZero();
  }

  @Test
  void withThePerUserLimitOffTheFloodIsServed() throws Exception {
    DemoReport r = run(new FlowScenario.Faults(false, true, false));
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("F5").violations()).as("flood").isPositive();
    assertThat(r.promises().get("F1").violations()).isZero();
  }

  @Test
  void withAHighHopLimitAndNoRepeatCheckTheLoopRunsOnAndTheDemoBoundsAndReportsIt() throws Exception {
    DemoReport r = run(new FlowScenario.Faults(false, false, true));
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("F4").violations()).as("loops").isEqualTo(2);
    assertThat(r.promises().get("F4").examples()).allSatisfy(e -> assertThat(e).contains("not broken after"));
  }
}
