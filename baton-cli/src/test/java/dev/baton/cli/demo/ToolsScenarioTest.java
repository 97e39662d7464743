package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tools demo end to end against the real in-memory engine and tool runtime, small. */
class ToolsScenarioTest {

  @Test
  void contentionAndInjectedDeadlocksKeepP5P6P8() throws Exception {
    DemoReport r = new ToolsScenario().run(new DemoOptions(10, 3, 1, 0, DemoCommand.demoConfig()), Progress.none());
    assertThat(r.promises()).containsOnlyKeys("P4", "P5", "P6", "P8");
    assertThat(r.promises()).allSatisfy((name, p) -> {
      assertThat(p.violations()).as(name + ": " + p.examples()).isZero();
      assertThat(p.checked()).as(name).isPositive();
    });
    assertThat(r.passed()).isTrue();
    assertThat(r.load()).containsEntry("lost_updates", 0L).containsEntry("executed_twice", 0L)
        .containsEntry("deadlocks", Map.of("injected", 2, "detected", 2, "broken", 2));
    assertThat(r.messages()).containsEntry("sent", 34L).containsEntry("answered", 34L);
  }
}
