package dev.baton.cli.demo;

/**
 * One demo scenario: drives an engine with simulated users, checks the promises it exercises from the
 * outside, and returns a report. {@code baton demo --scenario NAME} picks one; to add a scenario (tool
 * contention, deadlocks), implement this and list it in {@link DemoCommand#SCENARIOS}.
 */
public interface Scenario {

  /** The name given to {@code --scenario}. */
  String name();

  /** One line for {@code --help}. */
  String summary();

  /**
   * Runs the scenario to the end. Every wait inside is bounded; an engine that loses a message makes the
   * report show a P4 violation rather than hang.
   */
  DemoReport run(DemoOptions options, Progress progress) throws InterruptedException;
}
