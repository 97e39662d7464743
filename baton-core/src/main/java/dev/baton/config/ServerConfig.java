package dev.baton.config;

import java.util.Objects;

/** {@code server:} (owned by the gateway work; extend here). */
public record ServerConfig(
    @Doc("Address to listen on.") String host,
    @Doc("Port to listen on (0 = any free port).") int port) {

  public ServerConfig {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, was " + port);
  }

  public static ServerConfig defaults() {
    return new ServerConfig("127.0.0.1", 8080);
  }
}
