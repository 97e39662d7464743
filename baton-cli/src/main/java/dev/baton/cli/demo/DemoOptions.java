package dev.baton.cli.demo;

import dev.baton.config.BatonConfig;
import java.util.Objects;

/**
 * What a demo run is asked to do.
 *
 * @param users simulated users (one session each)
 * @param messages messages per user
 * @param seed seed of every random choice (duplicates, reordering, bursts), printed in the report
 * @param turnMillis how long the simulated agent works on each turn (0 = answers at once)
 * @param config the engine configuration
 * @param transport how the simulated users reach the engine
 * @param store which store the engine journals to ({@link DemoStore#CONFIGURED}: {@code storage:} of the config)
 */
public record DemoOptions(int users, int messages, long seed, int turnMillis, BatonConfig config, Transport transport,
    DemoStore store) {

  /** How the simulated users reach the engine. */
  public enum Transport {
    /** {@code Baton.submit} and the engine's reply handler, in process. */
    INPROCESS,
    /** A gateway started in process on 127.0.0.1: JWT-signed {@code POST /v1/messages}, long-polled replies. */
    HTTP
  }

  /** The store of a demo run. */
  public enum DemoStore { CONFIGURED, MEMORY, SQLITE }

  public DemoOptions {
    if (users < 1) throw new IllegalArgumentException("--users must be at least 1, was " + users);
    if (messages < 1) throw new IllegalArgumentException("--messages must be at least 1, was " + messages);
    if (turnMillis < 0) throw new IllegalArgumentException("--turn-ms must be 0 or more, was " + turnMillis);
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(store, "store");
  }

  /** An in-process run with the configuration's store. */
  public DemoOptions(int users, int messages, long seed, int turnMillis, BatonConfig config) {
    this(users, messages, seed, turnMillis, config, Transport.INPROCESS, DemoStore.CONFIGURED);
  }
}
