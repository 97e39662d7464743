package dev.baton.config;

import java.util.Objects;

/** {@code server:} the HTTP server of {@code baton serve} (the gateway). */
public record ServerConfig(
    @Doc("Address to listen on.") String host,
    @Doc("Port to listen on (0 = any free port).") int port,
    @Doc("Largest request body accepted, in bytes; larger bodies get 413.") long maxBodyBytes,
    @Doc("Largest request head (request line and headers), in bytes; larger heads get 431/400.")
        int maxHeaderBytes,
    @Doc("Longest a client may take between bytes of its request before the connection is closed, in"
        + " milliseconds (guards against slow clients).") long requestTimeoutMs,
    @Doc("Idle keep-alive connections are closed after this many milliseconds.") long idleTimeoutMs,
    @Doc("On shutdown, how long running turns and reply deliveries may take to finish, in milliseconds;"
        + " the rest stays journaled.") long shutdownDrainMs) {

  public ServerConfig {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, was " + port);
    Checks.positive("server.max_body_bytes", maxBodyBytes);
    if (maxHeaderBytes < 1024) {
      throw new IllegalArgumentException("server.max_header_bytes must be at least 1024, was " + maxHeaderBytes);
    }
    Checks.positive("server.request_timeout_ms", requestTimeoutMs);
    Checks.positive("server.idle_timeout_ms", idleTimeoutMs);
    Checks.nonNegative("server.shutdown_drain_ms", shutdownDrainMs);
  }

  public static ServerConfig defaults() {
    return new ServerConfig("127.0.0.1", 8080, 64 * 1024, 16 * 1024, 10_000, 60_000, 10_000);
  }

  public ServerConfig withPort(int p) {
    return new ServerConfig(host, p, maxBodyBytes, maxHeaderBytes, requestTimeoutMs, idleTimeoutMs, shutdownDrainMs);
  }
}
