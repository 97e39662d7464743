package dev.baton.cli.demo;

import dev.baton.config.BatonConfig;

/**
 * What a demo run is asked to do.
 *
 * @param users simulated users (one session each)
 * @param messages messages per user
 * @param seed seed of every random choice (duplicates, reordering, bursts), printed in the report
 * @param turnMillis how long the simulated agent works on each turn (0 = answers at once)
 * @param config the engine configuration
 */
public record DemoOptions(int users, int messages, long seed, int turnMillis, BatonConfig config) {

  public DemoOptions {
    if (users < 1) throw new IllegalArgumentException("--users must be at least 1, was " + users);
    if (messages < 1) throw new IllegalArgumentException("--messages must be at least 1, was " + messages);
    if (turnMillis < 0) throw new IllegalArgumentException("--turn-ms must be 0 or more, was " + turnMillis);
  }
}
